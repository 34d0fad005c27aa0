import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { npubEncode } from 'nostr-tools/nip19';
import { startRelay, type TestRelay } from '../support/relay';
import { startCustomer, type JobCustomer } from '../support/job-customer';
import { api, config, resetSettings, setSettings, until } from './helpers';
import type { NewJobRecord } from '../../src/history/types';

const KEYS = ['relays', 'providers'];

/** A NIP-89 handler announcement for kind 5050, as a DVM publishes it. */
function announcement(secretKey: Uint8Array, content: Record<string, unknown>) {
  return finalizeEvent(
    {
      kind: 31990,
      created_at: Math.floor(Date.now() / 1000),
      content: JSON.stringify(content),
      tags: [
        ['d', `dvm-${randomUUID()}`],
        ['k', '5050'],
      ],
    },
    secretKey,
  );
}

function swarmRow(provider: string, state: 'completed' | 'failed', durationMs: number | null): NewJobRecord {
  const id = randomUUID();
  const at = Date.now() - 60_000;
  return {
    id,
    jobId: id,
    state,
    lane: state === 'completed' ? 'swarm' : 'failed',
    model: 'llama3.2',
    prompt: `earlier job ${id}`,
    response: state === 'completed' ? 'ok' : null,
    error: state === 'failed' ? 'provider reported an error' : null,
    localAttempted: false,
    localOutcome: null,
    localError: null,
    swarmStart: 'direct',
    swarmOutcome: state === 'completed' ? 'success' : 'failure',
    swarmError: state === 'failed' ? 'provider reported an error' : null,
    provider,
    costMsats: 0,
    feesMsats: 0,
    paymentBolt11: null,
    paymentPreimage: null,
    ttftMs: null,
    durationMs,
    submittedAt: at,
    completedAt: at + (durationMs ?? 0),
    localErrorKind: null,
    swarmErrorKind: null,
    paymentWarning: null,
  };
}

describe('Show Providers', () => {
  let relay: TestRelay;
  let customer: JobCustomer;
  const known = generateSecretKey();
  const knownPubkey = getPublicKey(known);
  const stranger = generateSecretKey();

  before(async () => {
    relay = await startRelay();
    customer = await startCustomer([relay.url]);
    await customer.publish(announcement(stranger, { name: 'New DVM', models: ['mistral'], priceMsats: 0 }));
    await customer.publish(announcement(known, { name: 'Known DVM', about: 'tested here', models: ['llama3.2', 'qwen2.5'], priceMsats: 3000 }));
    const history = await (await api()).history();
    await history.insert(swarmRow(knownPubkey, 'completed', 1000));
    await history.insert(swarmRow(knownPubkey, 'completed', 3000));
    await history.insert(swarmRow(knownPubkey, 'failed', null));
    await setSettings({ relays: [relay.url], providers: [] });
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await resetSettings(KEYS);
    await customer.close();
    await relay.stop();
  });

  it("lists the announced providers with this machine's record; choosing one makes it a preferred provider", async () => {
    const swarm = await api();
    const chosen = vscode.commands.executeCommand<string | undefined>('swarmCompute.showProviders');
    const picker = await until('the provider list', () => {
      const p = swarm.providerPicker();
      return p && !p.busy && p.items.length > 0 ? p : null;
    });
    assert.deepStrictEqual(
      picker.items.map((i) => i.label),
      ['Known DVM', 'New DVM'],
      'the provider with a track record comes first',
    );
    const [first, second] = picker.items;
    assert.strictEqual(first.pubkey, knownPubkey);
    assert.strictEqual(first.description, 'llama3.2, qwen2.5 · 3 sats a job');
    assert.match(first.detail ?? '', /^3 jobs from here · 67% answered · median 2 s · npub1/);
    assert.strictEqual(second.description, 'mistral · free');
    assert.match(second.detail ?? '', /^no jobs from this machine yet/);

    // The headless workbench can take a moment to focus the quick input: accept until the choice lands.
    const npub = await acceptUntilChosen(chosen);
    assert.strictEqual(npub, npubEncode(knownPubkey));
    assert.deepStrictEqual(config().get('providers'), [npubEncode(knownPubkey)]);
    assert.strictEqual(swarm.providerPicker(), null, 'the list closed');
  });

  it('marks a preferred provider and lists it first', async () => {
    const swarm = await api();
    const strangerPubkey = getPublicKey(stranger);
    await setSettings({ providers: [npubEncode(strangerPubkey)] });
    const shown = vscode.commands.executeCommand<string | undefined>('swarmCompute.showProviders');
    const picker = await until('the provider list', () => {
      const p = swarm.providerPicker();
      return p && !p.busy && p.items.length > 0 ? p : null;
    });
    assert.strictEqual(picker.items[0].pubkey, strangerPubkey);
    assert.match(picker.items[0].label, /^\$\(star-full\) New DVM$/);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.strictEqual(await shown, undefined);
  });

  it('marks this machine\'s own announcement "(you)"', async () => {
    const swarm = await api();
    const mine = generateSecretKey();
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.setNostrKey', Buffer.from(mine).toString('hex')), true);
    await customer.publish(announcement(mine, { name: 'My Machine', models: ['llama3.2'], priceMsats: 0 }));
    await setSettings({ providers: [] });
    const shown = vscode.commands.executeCommand<string | undefined>('swarmCompute.showProviders');
    const picker = await until('the provider list', () => {
      const p = swarm.providerPicker();
      return p && !p.busy && p.items.length > 0 ? p : null;
    });
    const labels = picker.items.map((i) => i.label);
    assert.ok(labels.includes('My Machine (you)'), labels.join(', '));
    assert.ok(labels.includes('Known DVM'), labels.join(', '));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await shown;
  });
});

async function acceptUntilChosen<T>(chosen: Thenable<T>): Promise<T> {
  let settled = false;
  let value: T | undefined;
  void Promise.resolve(chosen).then((v) => {
    settled = true;
    value = v;
  });
  for (let attempt = 0; attempt < 20 && !settled; attempt++) {
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    for (let i = 0; i < 10 && !settled; i++) await new Promise((r) => setTimeout(r, 100));
  }
  if (!settled) throw new Error('the provider list never took the choice');
  return value as T;
}
