import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { startRelay, type TestRelay } from '../support/relay';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { repliesTo, startCustomer, statusOf, type JobCustomer } from '../support/job-customer';
import { startNwcWallet, type NwcTestWallet } from '../support/nwc-wallet';
import { api, resetSettings, setSettings, until } from './helpers';
import type { ShareOutcome } from '../../src/vscode/model-sharing';

const KEYS = ['model', 'ollamaHost', 'relays', 'share.model', 'share.priceMsats', 'share.maxConcurrent'];
const ANSWER = 'Shared from VS Code.';

describe('Share My Model', () => {
  let relay: TestRelay;
  let ollama: OllamaStandin;
  let customer: JobCustomer;
  let pubkey: string;

  before(async () => {
    relay = await startRelay();
    ollama = await startOllamaStandin({ models: { 'llama3.2': { reply: ANSWER } } });
    customer = await startCustomer([relay.url]);
    const key = generateSecretKey();
    pubkey = getPublicKey(key);
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.setNostrKey', Buffer.from(key).toString('hex')), true);
    await vscode.commands.executeCommand('swarmCompute.disconnectWallet');
    await setSettings({ model: 'qwen2.5', ollamaHost: ollama.url, relays: [relay.url], 'share.model': 'llama3.2', 'share.priceMsats': 0 });
  });

  after(async () => {
    await vscode.commands.executeCommand('swarmCompute.stopSharing');
    await vscode.commands.executeCommand('swarmCompute.disconnectWallet');
    await resetSettings(KEYS);
    await customer.close();
    await ollama.stop();
    await relay.stop();
  });

  it('toggled on: announces on the relay, answers a customer job with a 6050 result; toggled off: withdraws', async () => {
    const swarm = await api();
    const outcome = (await vscode.commands.executeCommand('swarmCompute.toggleSharing', { confirmed: true })) as ShareOutcome;
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.strictEqual(outcome.pubkey, pubkey, "it serves as the extension's Nostr identity");

    const announcement = await relay.waitFor({ kinds: [31990], authors: [pubkey] });
    assert.ok(announcement.tags.some((t) => t[0] === 'k' && t[1] === '5050'));
    const content = JSON.parse(announcement.content) as { models: string[]; priceMsats: number; name: string };
    assert.deepStrictEqual(content.models, ['llama3.2'], 'swarmCompute.share.model is what is offered');
    assert.strictEqual(content.priceMsats, 0);

    let sharing = swarm.sharing();
    assert.strictEqual(sharing.status.state, 'serving');
    assert.ok(sharing.item.visible);
    assert.match(sharing.item.text, /\$\(broadcast\) serving llama3\.2 · 0 jobs/);

    const job = await customer.submit({ prompt: 'What do you serve?', model: 'llama3.2' });
    const result = await relay.waitFor({ kinds: [6050], '#e': [job.id] }, 30_000);
    assert.strictEqual(result.pubkey, pubkey);
    assert.strictEqual(result.content, ANSWER);
    assert.ok(result.tags.some((t) => t[0] === 'p' && t[1] === customer.pubkey));
    assert.ok(result.tags.some((t) => t[0] === 'request'));
    assert.ok(
      repliesTo(relay, job.id).some((e) => e.kind === 7000 && statusOf(e) === 'processing'),
      'processing feedback first',
    );
    assert.ok(
      ollama.requests.some((r) => JSON.stringify(r.body).includes('What do you serve?')),
      'the local Ollama answered it',
    );

    sharing = await until('the status bar to count the job', () => {
      const s = swarm.sharing();
      return /· 1 job\b/.test(s.item.text) ? s : null;
    });
    const status = await swarm.refreshStatus();
    assert.match(status.tooltip, /Sharing `llama3\.2` with the swarm/);
    const served = (await (await swarm.history()).list(20)).find((r) => r.lane === 'served' && r.prompt === 'What do you serve?');
    assert.ok(served, 'the served job has a history row');

    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.toggleSharing'), true);
    const deletion = await relay.waitFor({ kinds: [5], authors: [pubkey] });
    assert.ok(
      deletion.tags.some((t) => t[0] === 'a' && t[1].startsWith(`31990:${pubkey}:`)),
      JSON.stringify(deletion.tags),
    );
    assert.ok(!relay.stored().some((e) => e.kind === 31990 && e.pubkey === pubkey), 'the relay no longer holds the announcement');
    sharing = swarm.sharing();
    assert.strictEqual(sharing.status.state, 'off');
    assert.strictEqual(sharing.item.visible, false);
  });

  it('a price without a wallet is refused with a "Connect Wallet" fix, and nothing is announced', async () => {
    await setSettings({ 'share.priceMsats': 5000 });
    const before = relay.received.filter((e) => e.kind === 31990).length;
    const outcome = (await vscode.commands.executeCommand('swarmCompute.shareModel', { confirmed: true })) as ShareOutcome;
    assert.strictEqual(outcome.ok, false);
    assert.ok(!outcome.ok && /wallet/.test(outcome.message), JSON.stringify(outcome));
    assert.ok(!outcome.ok && outcome.fixes.includes('Connect Wallet'));
    assert.strictEqual(relay.received.filter((e) => e.kind === 31990).length, before);
    assert.strictEqual((await api()).sharing().status.state, 'off');
  });

  it("for a price with a connected wallet: payment-required with the wallet's invoice, the answer once paid", async () => {
    let wallet: NwcTestWallet | undefined;
    try {
      wallet = await startNwcWallet({ relayUrl: relay.url, balanceMsats: 0 });
      assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.connectWallet', wallet.uri), true);
      await setSettings({ 'share.priceMsats': 2000 });
      const outcome = (await vscode.commands.executeCommand('swarmCompute.shareModel', { confirmed: true })) as ShareOutcome;
      assert.ok(outcome.ok, JSON.stringify(outcome));
      const announcements = relay.received.filter((e) => e.kind === 31990 && e.pubkey === pubkey);
      assert.strictEqual(JSON.parse(announcements[announcements.length - 1].content).priceMsats, 2000);

      const job = await customer.submit({ prompt: 'Paid question', model: 'llama3.2', bidMsats: 2000 });
      const asked = await until('payment-required feedback', () => repliesTo(relay, job.id).find((e) => e.kind === 7000 && statusOf(e) === 'payment-required'));
      const amount = asked.tags.find((t) => t[0] === 'amount');
      assert.strictEqual(amount?.[1], '2000');
      const invoice = [...wallet.ledger.invoices.values()].find((i) => i.bolt11 === amount?.[2]);
      assert.ok(invoice, 'the invoice was made by the connected wallet');
      assert.ok(!repliesTo(relay, job.id).some((e) => e.kind === 6050), 'no answer before payment');
      wallet.markPaid(invoice!.paymentHash);
      const result = await relay.waitFor({ kinds: [6050], '#e': [job.id] }, 30_000);
      assert.strictEqual(result.content, ANSWER);
      await until('the paid job to count as done', () => api().then((a) => a.sharing().status.running === 0 && a.sharing().status.completed === 1));
      assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.stopSharing'), true);
    } finally {
      await vscode.commands.executeCommand('swarmCompute.stopSharing');
      await wallet?.stop();
    }
  });
});
