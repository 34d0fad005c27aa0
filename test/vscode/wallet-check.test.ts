// Connect Wallet and Diagnose ask the wallet (NIP-47 get_info + get_balance)
// through its relay: the NWC wallet service of test/support on a real relay,
// and a connection string whose relay does not exist.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { startRelay, type TestRelay } from '../support/relay';
import { startNwcWallet, type NwcTestWallet } from '../support/nwc-wallet';
import { closedPort } from '../support/ollama-standin';
import { api, resetSettings, setSettings } from './helpers';
import type { DiagnoseReport } from '../../src/vscode/diagnose';

describe('wallet check', () => {
  let relay: TestRelay;
  let wallet: NwcTestWallet;

  before(async () => {
    await api();
    relay = await startRelay();
    wallet = await startNwcWallet({ relayUrl: relay.url, balanceMsats: 123_000, methods: ['pay_invoice', 'get_balance', 'get_info'] });
    await setSettings({ relays: [relay.url], mode: 'fallback' });
  });

  after(async () => {
    await vscode.commands.executeCommand('swarmCompute.disconnectWallet');
    await resetSettings(['relays', 'mode']);
    await wallet.stop();
    await relay.stop();
  });

  it('a live wallet: connected after get_info and get_balance; Diagnose shows the balance and methods', async () => {
    await vscode.commands.executeCommand('swarmCompute.disconnectWallet');
    const seen = wallet.requests.length;
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.connectWallet', wallet.uri), true);
    assert.deepStrictEqual(
      wallet.requests.slice(seen).map((r) => r.method),
      ['get_info', 'get_balance'],
    );
    const report = (await vscode.commands.executeCommand('swarmCompute.diagnoseConnection')) as DiagnoseReport;
    assert.strictEqual(report.wallet?.ok, true, JSON.stringify(report.wallet));
    assert.ok(report.wallet?.ok && report.wallet.balanceMsats === 123_000);
    const line = report.lines.find((l) => l.startsWith('Wallet (NWC):')) ?? '';
    assert.match(line, /balance 123 sats; allows pay_invoice, get_balance, get_info/);
  });

  it('a wallet whose relay is dead is not "connected": the failure names the relay', async () => {
    await vscode.commands.executeCommand('swarmCompute.disconnectWallet');
    const dead = `ws://127.0.0.1:${await closedPort()}`;
    const uri = wallet.uri.replace(/relay=[^&]+/, `relay=${encodeURIComponent(dead)}`);
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.connectWallet', uri), false);
    let report = (await vscode.commands.executeCommand('swarmCompute.diagnoseConnection')) as DiagnoseReport;
    assert.strictEqual(report.walletConnected, false, 'nothing was saved');
    // saved anyway (the user's choice): Diagnose says it does not answer, and why
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.connectWallet', uri, { saveUnchecked: true }), true);
    report = (await vscode.commands.executeCommand('swarmCompute.diagnoseConnection')) as DiagnoseReport;
    assert.strictEqual(report.wallet?.ok, false);
    const line = report.lines.find((l) => l.startsWith('Wallet (NWC):')) ?? '';
    assert.match(line, /NOT answering/);
    assert.ok(line.includes(dead), line);
    assert.doesNotMatch(line, /connected/);
  });
});
