import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { generateSecretKey, getPublicKey, type Event } from 'nostr-tools/pure';
import { signNow } from '../support/signed-now';
import { startRelay, type TestRelay } from '../support/relay';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { api, resetSettings, setSettings, until } from './helpers';
import type { ShareOutcome } from '../../src/vscode/model-sharing';

const KEYS = ['relays', 'providers', 'model', 'ollamaHost', 'share.model', 'share.priceMsats'];

/** Publishes as a NIP-42 client would: refused, answers the relay's challenge, sends again. */
async function publishAuthenticated(url: string, secretKey: Uint8Array, event: Event): Promise<void> {
  const ws = new WebSocket(url);
  let authId = '';
  try {
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify(['EVENT', event])));
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw)) as unknown[];
        if (msg[0] === 'AUTH') {
          const tags = [
            ['relay', url],
            ['challenge', String(msg[1])],
          ];
          const auth = signNow({ kind: 22242, content: '', tags }, secretKey);
          authId = auth.id;
          ws.send(JSON.stringify(['AUTH', auth]));
        }
        if (msg[0] !== 'OK') return;
        if (msg[1] === authId) return msg[2] ? ws.send(JSON.stringify(['EVENT', event])) : reject(new Error(String(msg[3])));
        if (msg[1] === event.id && msg[2]) resolve();
        else if (msg[1] === event.id && !String(msg[3]).startsWith('auth-required:')) reject(new Error(String(msg[3])));
      });
    });
  } finally {
    ws.close();
  }
}

describe('Relays that ask for authentication (NIP-42)', () => {
  let relay: TestRelay;
  let ollama: OllamaStandin;
  const key = generateSecretKey();
  const pubkey = getPublicKey(key);

  before(async () => {
    relay = await startRelay({ requireAuth: 'on-refusal' });
    ollama = await startOllamaStandin({ models: { 'llama3.2': { reply: 'served behind auth' } } });
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.setNostrKey', Buffer.from(key).toString('hex')), true);
    await setSettings({ relays: [relay.url], providers: [], model: 'llama3.2', ollamaHost: ollama.url, 'share.model': 'llama3.2', 'share.priceMsats': 0 });
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('swarmCompute.stopSharing');
    await resetSettings(KEYS);
    await ollama.stop();
    await relay.stop();
  });

  it("Show Providers answers the challenge with the extension's key and lists what the relay holds", async () => {
    const dvm = generateSecretKey();
    const tags = [
      ['d', `dvm-${randomUUID()}`],
      ['k', '5050'],
    ];
    const announcement = signNow({ kind: 31990, content: JSON.stringify({ name: 'Auth DVM', models: ['llama3.2'], priceMsats: 0 }), tags }, dvm);
    await publishAuthenticated(relay.url, dvm, announcement);
    const swarm = await api();
    const shown = vscode.commands.executeCommand<string | undefined>('swarmCompute.showProviders');
    const picker = await until('the provider list', () => {
      const p = swarm.providerPicker();
      return p && !p.busy && p.items.length > 0 ? p : null;
    });
    assert.deepStrictEqual(
      picker.items.map((i) => i.pubkey),
      [getPublicKey(dvm)],
    );
    assert.ok(relay.authenticated.includes(pubkey), 'the extension authenticated with its Nostr key');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.strictEqual(await shown, undefined);
  });

  it('Share My Model announces on a relay that refuses it until it authenticates', async () => {
    const outcome = (await vscode.commands.executeCommand('swarmCompute.shareModel', { confirmed: true })) as ShareOutcome;
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const announced = await relay.waitFor({ kinds: [31990], authors: [pubkey] }, 30_000);
    assert.ok(announced.tags.some((t) => t[0] === 'k' && t[1] === '5050'));
    assert.ok(relay.authRefusals() > 0, 'the first tries were refused');
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.stopSharing'), true);
  });
});
