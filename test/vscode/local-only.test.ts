import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { startRelay, type TestRelay } from '../support/relay';
import { api, resetSettings, setSettings, until } from './helpers';

// Local only means zero relay sockets: Diagnose Connection skips the relays
// (and says which it would contact), Show Providers asks first. The test
// relay counts every connection it ever accepted.
describe('Local only opens no relay connection', () => {
  let relay: TestRelay;
  const KEYS = ['mode', 'relays'];

  before(async () => {
    relay = await startRelay();
    await setSettings({ mode: 'local-only', relays: [relay.url] });
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await resetSettings(KEYS);
    await relay.stop();
  });

  it('Diagnose Connection checks Ollama but no relay, and says which relays it would contact', async () => {
    const report = await vscode.commands.executeCommand<{ relays: unknown[]; lines: string[] }>('swarmCompute.diagnoseConnection');
    assert.deepStrictEqual(report.relays, []);
    const line = report.lines.find((l) => l.startsWith('Relays: not contacted'));
    assert.ok(line, report.lines.join('\n'));
    assert.ok(line.includes(relay.url), line);
    assert.strictEqual(relay.connectionsOpened(), 0, 'no relay connection');
  });

  it('Show Providers asks before contacting any relay; closing the list contacts none', async () => {
    const swarm = await api();
    const shown = vscode.commands.executeCommand<string | undefined>('swarmCompute.showProviders');
    const picker = await until('the providers list', () => {
      const p = swarm.providerPicker();
      return p && !p.busy && p.items.length > 0 ? p : null;
    });
    assert.match(picker.items[0].detail ?? '', new RegExp(`Would contact: ${relay.url.replace(/[.]/g, '\\.')}`));
    assert.match(picker.items[0].label, /Contact 1 relay\(s\) this once/);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.strictEqual(await shown, undefined);
    assert.strictEqual(relay.connectionsOpened(), 0, 'no relay connection');
  });

  it('…and contacts the relays once the user agrees', async () => {
    const swarm = await api();
    const shown = vscode.commands.executeCommand<string | undefined>('swarmCompute.showProviders');
    await until('the providers list', () => {
      const p = swarm.providerPicker();
      return p && !p.busy && p.items.length > 0 ? p : null;
    });
    // the headless quick input may take a moment to focus: accept until the relay is contacted
    for (let i = 0; i < 50 && relay.connectionsOpened() === 0; i++) {
      const p = swarm.providerPicker();
      if (p && p.items[0]?.label.includes('this once')) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(relay.connectionsOpened() > 0, 'the relay was contacted after the user agreed');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await shown;
  });
});
