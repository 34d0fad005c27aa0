import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { api } from './helpers';

const NWC = `nostr+walletconnect://${'ab'.repeat(32)}?relay=wss%3A%2F%2Frelay.example&secret=${'cd'.repeat(32)}`;
// a fixed test key: nsec for 32 bytes of 0x01
const HEX_KEY = '01'.repeat(32);

describe('secrets', () => {
  before(async () => {
    await api();
  });

  it('keeps the wallet URI and the Nostr key in SecretStorage, never in settings', async () => {
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.connectWallet', NWC), true);
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.setNostrKey', HEX_KEY), true);
    const report = (await vscode.commands.executeCommand('swarmCompute.diagnoseConnection')) as { walletConnected: boolean; npub: string };
    assert.strictEqual(report.walletConnected, true, 'the wallet URI was stored and read back');
    // npub of secret key 0x0101…01
    assert.ok(report.npub.startsWith('npub1'), report.npub);

    const everySetting = JSON.stringify(vscode.workspace.getConfiguration('swarmCompute'));
    assert.ok(!everySetting.includes('cd'.repeat(32)), 'the wallet secret is not in settings');
    assert.ok(!everySetting.includes(HEX_KEY), 'the Nostr key is not in settings');
    const home = process.env.HOME ?? '';
    for (const file of [join(home, '.vscode-server/data/User/settings.json')]) {
      if (existsSync(file)) assert.ok(!readFileSync(file, 'utf8').includes('cd'.repeat(32)), `${file} holds no secret`);
    }
  });

  it('refuses a malformed wallet URI and keeps the stored one', async () => {
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.connectWallet', 'https://not-a-wallet'), false);
    const report = (await vscode.commands.executeCommand('swarmCompute.diagnoseConnection')) as { walletConnected: boolean };
    assert.strictEqual(report.walletConnected, true);
  });
});
