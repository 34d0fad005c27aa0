// `submit --local-first --hedge-after-secs N` end to end: the built CLI, the
// Ollama stand-in over HTTP, a real relay, NIP-90 providers and an NWC
// wallet. The first lane to stream wins; the loser is stopped (Ollama request
// aborted / swarm job deleted with kind 5); nothing is paid after local won.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay, type TestRelay } from '../support/relay';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { startTestProvider, type TestProvider } from '../support/test-provider';
import { startNwcWallet, type NwcTestWallet } from '../support/nwc-wallet';
import { makeInvoice } from '../support/invoices';
import { runCli } from '../support/cli';
import { jobsColumns } from '../support/history-file';

let relay: TestRelay;
let ollama: OllamaStandin;
let fast: TestProvider;
let wallet: NwcTestWallet;

const STREAM = Array.from({ length: 150 }, (_, i) => `t${i} `); // 150 × 20 ms ≈ 3 s of answer

before(async () => {
  relay = await startRelay();
  wallet = await startNwcWallet({ relayUrl: relay.url });
  ollama = await startOllamaStandin({
    models: {
      cold: { coldLoadMs: 600_000 },
      // every request waits 0.8 s before its first token, then streams for ~3 s
      late: { loadDelayMs: 800, tokens: STREAM, tokenDelayMs: 20 },
    },
  });
  fast = await startTestProvider({ relays: [relay.url], script: { partials: ['Swarm ', 'was '], result: 'Swarm was faster.' } });
});
after(async () => {
  await fast.stop();
  await ollama.stop();
  await wallet.stop();
  await relay.stop();
});

const dataDir = () => mkdtempSync(join(tmpdir(), 'sc-hedge-'));
const base = (dir: string) => ['--relay', relay.url, '--ollama-host', ollama.url, '--data-dir', dir, '--swarm-timeout-secs', '20'];

test('a model still loading: at the hedge time the swarm is asked too, streams first and wins; the Ollama request is aborted', async () => {
  const dir = dataDir();
  const seen = ollama.requests.length;
  const r = await runCli([
    'submit',
    '--local-first',
    '--model',
    'cold',
    '--hedge-after-secs',
    '0.3',
    '--provider',
    fast.pubkey,
    '--prompt',
    'hedge me',
    '--json',
    ...base(dir),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.lane, 'swarm');
  assert.equal(out.response, 'Swarm was faster.');
  assert.equal(out.hedged, true);
  assert.equal(out.hedgeWinner, 'swarm');
  assert.match(r.stderr, /no local token after 0\.3 s — asking the swarm as well/);
  const chat = ollama.requests.slice(seen).find((q) => q.path === '/api/chat')!;
  await chat.settled;
  assert.equal(chat.closedEarly, true, 'the local request was aborted');
  const hist = await runCli(['history', '--json', '--data-dir', dir]);
  const rows = JSON.parse(hist.stdout);
  assert.equal(rows.length, 1, 'one history row for the hedged run');
  assert.equal(rows[0].lane, 'swarm');
  const [row] = await jobsColumns(join(dir, 'history.sqlite'), ['lane', 'hedged', 'hedge_winner', 'hedge_loser_outcome', 'local_error']);
  assert.deepEqual(row, { lane: 'swarm', hedged: 1, hedge_winner: 'swarm', hedge_loser_outcome: 'stopped', local_error: 'stopped: the swarm answered first' });
});

test('the local model streams first after the hedge started: local wins, the swarm job gets its kind-5 deletion, its late offer is never paid', async () => {
  const dir = dataDir();
  const invoice = makeInvoice({ amountMsats: 500 });
  // answers the hedge's job with a payment request only after local has begun to stream
  const paid = await startTestProvider({
    relays: [relay.url],
    script: { delayMs: 1500, paymentRequired: { amountMsats: 500, bolt11: invoice.bolt11 }, result: 'too late' },
  });
  try {
    const payments = wallet.payments.length;
    const r = await runCli([
      'submit',
      '--local-first',
      '--model',
      'late',
      '--hedge-after-secs',
      '0.2',
      '--provider',
      paid.pubkey,
      '--nwc',
      wallet.uri,
      '--offer-window-secs',
      '0',
      '--prompt',
      'race',
      '--json',
      ...base(dir),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.lane, 'local');
    assert.equal(out.response, STREAM.join(''));
    assert.equal(out.hedged, true);
    assert.equal(out.hedgeWinner, 'local');
    assert.equal(out.costMsats, 0);
    // the hedge's job reached the relay (jobId) and was withdrawn by its author
    assert.match(out.jobId, /^[0-9a-f]{64}$/);
    const job = await relay.waitFor({ ids: [out.jobId] });
    const deletion = await relay.waitFor({ kinds: [5], '#e': [out.jobId] }, 10_000);
    assert.equal(deletion.pubkey, job.pubkey, 'the customer withdrew its job');
    assert.equal(wallet.payments.length, payments, 'nothing was paid');
    const [row] = await jobsColumns(join(dir, 'history.sqlite'), ['lane', 'hedged', 'hedge_winner', 'hedge_loser_outcome', 'cost_msats']);
    assert.deepEqual(row, { lane: 'local', hedged: 1, hedge_winner: 'local', hedge_loser_outcome: 'stopped', cost_msats: 0 });
  } finally {
    await paid.stop();
  }
});

test('--hedge-after-secs 0 (the default) never starts a swarm job while local is slow', async () => {
  const dir = dataDir();
  const before = relay.received.length;
  const r = await runCli(['submit', '--local-first', '--model', 'late', '--hedge-after-secs', '0', '--prompt', 'patience', '--json', ...base(dir)]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.lane, 'local');
  assert.equal('hedged' in out, false);
  assert.equal(relay.received.length, before, 'no job reached the relay');
});
