import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { api } from './helpers';

const NWC = `nostr+walletconnect://${'ab'.repeat(32)}?relay=wss%3A%2F%2Frelay.example&secret=${'cd'.repeat(32)}`;
// a fixed test key: nsec for 32 bytes of 0x01
const HEX_KEY = '01'.repeat(32);

describe('secrets', () => {
  before(async () => {
    await api();
  });

  it('keeps the wallet URI and the Nostr key in SecretStorage, never in settings', async () => {
    // relay.example does not exist: saved only because the test says so (the check is tested in wallet-check.test.ts)
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.connectWallet', NWC, { saveUnchecked: true }), true);
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.setNostrKey', HEX_KEY), true);
    const report = (await vscode.commands.executeCommand('swarmCompute.diagnoseConnection')) as { walletConnected: boolean; npub: string };
    assert.strictEqual(report.walletConnected, true, 'the wallet URI was stored and read back');
    // npub of secret key 0x0101…01
    assert.ok(report.npub.startsWith('npub1'), report.npub);

    const everySetting = JSON.stringify(vscode.workspace.getConfiguration('swarmCompute'));
    assert.ok(!everySetting.includes('cd'.repeat(32)), 'the wallet secret is not in settings');
    assert.ok(!everySetting.includes(HEX_KEY), 'the Nostr key is not in settings');
    // The runner's folders sit side by side: <run>/ws is the workspace, <run>/ud the user data the server reads settings from.
    const userSettings = join(dirname(process.env.SWARM_TEST_WORKSPACE ?? ''), 'ud/User/settings.json');
    await vscode.workspace.getConfiguration('swarmCompute').update('maxPriceMsats', 1234, vscode.ConfigurationTarget.Global);
    try {
      const written = readFileSync(userSettings, 'utf8');
      assert.ok(written.includes('1234'), `${userSettings} is the settings file VS Code writes`);
      assert.ok(!written.includes('cd'.repeat(32)), `${userSettings} holds no wallet secret`);
      assert.ok(!written.includes(HEX_KEY), `${userSettings} holds no Nostr key`);
    } finally {
      await vscode.workspace.getConfiguration('swarmCompute').update('maxPriceMsats', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('refuses a malformed wallet URI and keeps the stored one', async () => {
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.connectWallet', 'https://not-a-wallet'), false);
    const report = (await vscode.commands.executeCommand('swarmCompute.diagnoseConnection')) as { walletConnected: boolean };
    assert.strictEqual(report.walletConnected, true);
  });
});

describe('a secret storage that does not keep secrets', () => {
  // What VS Code's web secret storage does under a bare VS Code server: a write "succeeds", nothing is there later.
  const forgetful = (keepForSession: boolean) => {
    const values = new Map<string, string>();
    const changed = new vscode.EventEmitter<vscode.SecretStorageChangeEvent>();
    return {
      get: async (k: string) => (keepForSession ? values.get(k) : undefined),
      store: async (k: string, v: string) => void values.set(k, v),
      delete: async (k: string) => void values.delete(k),
      keys: async () => [...values.keys()],
      onDidChange: changed.event,
    } as unknown as vscode.SecretStorage;
  };
  const memento = () => {
    const m = new Map<string, unknown>();
    return { get: (k: string) => m.get(k), update: async (k: string, v: unknown) => void m.set(k, v), keys: () => [...m.keys()] } as unknown as vscode.Memento;
  };

  it('warns once when a generated key cannot be read back', async () => {
    const { SecretsStore } = await import('../../src/vscode/secrets');
    const warnings: string[] = [];
    const store = new SecretsStore(forgetful(false), memento(), (why) => warnings.push(why));
    await store.nostrSecretKey();
    await store.nostrSecretKey();
    assert.deepStrictEqual(warnings, ['not-read-back']);
    store.dispose();
  });

  it('warns on the next activation when the key made last time is gone', async () => {
    const { SecretsStore } = await import('../../src/vscode/secrets');
    const state = memento();
    const first: string[] = [];
    const a = new SecretsStore(forgetful(true), state, (why) => first.push(why));
    await a.nostrSecretKey();
    assert.deepStrictEqual(first, [], 'kept within the session: nothing to say yet');
    const second: string[] = [];
    // a reload: the same globalState, a secret storage that lost everything
    const b = new SecretsStore(forgetful(true), state, (why) => second.push(why));
    await b.nostrSecretKey();
    assert.deepStrictEqual(second, ['lost-since-last-time']);
    assert.ok(!JSON.stringify(state.keys().map((k) => state.get(k))).match(/[0-9a-f]{64}/), 'no key in globalState');
    a.dispose();
    b.dispose();
  });
});
