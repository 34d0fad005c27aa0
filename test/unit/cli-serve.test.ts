// `swarm-compute serve` and `providers` in child processes, with the
// project's own client (`submit`) as the customer: two data directories on
// one machine, a real relay, the Ollama stand-in, and two NWC test wallets on
// one ledger (the buyer's payment settles the seller's invoice).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import * as nip19 from 'nostr-tools/nip19';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { bytesToHex } from 'nostr-tools/utils';
import type { Event } from 'nostr-tools/pure';
import { quietFor } from '../support/quiet';
import { startRelay, type TestRelay } from '../support/relay';
import { startOllamaStandin, type OllamaStandin, promptOf } from '../support/ollama-standin';
import { startNwcWallet, createLedger } from '../support/nwc-wallet';
import { startCustomer, repliesTo, statusOf, statusExtra } from '../support/job-customer';
import { flags, runCli, type CliRun } from '../support/cli';

const ANSWER = 'Served by the command line provider.';
const SLOW = Array.from({ length: 40 }, (_, i) => `word${i} `).join('');

let ollama: OllamaStandin;

before(async () => {
  ollama = await startOllamaStandin({
    models: { 'llama3.2': { reply: ANSWER, tokenDelayMs: 20 }, slow: { reply: SLOW, tokenDelayMs: 250 } },
  });
});
after(async () => {
  await ollama.stop();
});

const dataDir = (tag: string) => mkdtempSync(join(tmpdir(), `sc-${tag}-`));

interface Server {
  run: Promise<CliRun>;
  child: () => ChildProcess;
  /** the announcement, once published */
  announced: Promise<Event>;
  /** SIGTERM; resolves with the run and how long the exit took */
  terminate(): Promise<{ run: CliRun; ms: number }>;
}

function serve(relay: TestRelay, args: string[], env: Record<string, string> = {}): Server {
  let child: ChildProcess | null = null;
  const since = Math.floor(Date.now() / 1000) - 1;
  const run = runCli(['serve', '--relay', relay.url, '--ollama-host', ollama.url, ...args], {
    env,
    timeoutMs: 90_000,
    onSpawn: (c) => (child = c),
  });
  return {
    run,
    child: () => child!,
    announced: relay.waitFor({ kinds: [31990], since }, 10_000),
    async terminate() {
      const t0 = Date.now();
      child!.kill('SIGTERM');
      const r = await run;
      return { run: r, ms: Date.now() - t0 };
    },
  };
}

test('serve: bad usage is exit 2 naming the flag, before any connection', async () => {
  const relay = await startRelay();
  try {
    const dir = dataDir('serve-usage');
    const cases: [string[], RegExp][] = [
      [[], /--model is required/],
      [['--model', 'llama3.2', '--price-msats', '500'], /--price-msats 500 needs a wallet to make invoices: give --nwc or set SWARM_COMPUTE_NWC/],
      [['--model', 'llama3.2', '--price-msats', '-5'], /--price-msats must be a whole number ≥ 0, got "-5"/],
      [['--model', 'llama3.2', '--max-concurrent', '0'], /--max-concurrent must be a whole number ≥ 1, got "0"/],
      [['--model', 'llama3.2', '--relay', 'http://example.com'], /--relay must be a ws:\/\/ or wss:\/\/ URL/],
      [['--model', 'llama3.2', '--bogus'], /unknown flag --bogus/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['serve', '--data-dir', dir, '--relay', relay.url, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(relay.connectionsOpened(), 0, 'nothing was sent anywhere');
  } finally {
    await relay.stop();
  }
});

test('serve: a model Ollama does not have is a clear exit-2 error, and nothing is announced', async () => {
  const relay = await startRelay();
  try {
    const r = await runCli(['serve', '--model', 'mistral', '--relay', relay.url, '--ollama-host', ollama.url, '--data-dir', dataDir('serve-nomodel')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /model "mistral" is not installed in Ollama at http:\/\/127\.0\.0\.1:\d+ \(installed: .*llama3\.2:latest.*\); pull it first: ollama pull mistral/,
    );
    assert.deepEqual(relay.received, []);
  } finally {
    await relay.stop();
  }
});

test('serve: Ollama not running is exit 1 saying so', async () => {
  const relay = await startRelay();
  try {
    const r = await runCli([
      'serve',
      ...flags({ model: 'llama3.2', relay: relay.url, 'ollama-host': 'http://127.0.0.1:9', 'data-dir': dataDir('serve-noollama') }),
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot ask Ollama which models it has/);
    assert.deepEqual(relay.received, []);
  } finally {
    await relay.stop();
  }
});

test('free: submit (the project client) gets its answer from serve, streamed; SIGTERM withdraws the announcement and exits 0', async () => {
  const relay = await startRelay();
  const serverDir = dataDir('server');
  const buyerDir = dataDir('buyer');
  const t0 = Date.now();
  const server = serve(relay, ['--model', 'llama3.2', '--data-dir', serverDir]);
  try {
    const announcement = await server.announced;
    assert.ok(Date.now() - t0 < 10_000, 'announced within 10 s');
    const pubkey = announcement.pubkey;
    assert.ok(announcement.tags.some((t) => t[0] === 'k' && t[1] === '5050'));
    assert.ok(announcement.tags.some((t) => t[0] === 'd'));
    const content = JSON.parse(announcement.content);
    assert.deepEqual(Object.keys(content).sort(), ['about', 'encryption', 'models', 'name', 'priceMsats']);
    assert.deepEqual(content.models, ['llama3.2']);
    assert.equal(content.priceMsats, 0);
    const nsec = readFileSync(join(serverDir, 'identity'), 'utf8').trim();
    assert.equal(getPublicKey(nip19.decode(nsec as `nsec1${string}`).data as Uint8Array), pubkey, 'the identity lives in the data dir');

    const buyer = { relay: relay.url, 'data-dir': buyerDir, 'swarm-timeout-secs': 15 };
    const untargeted = await runCli(['submit', ...flags({ prompt: 'hello provider', model: 'llama3.2', stream: true, ...buyer })]);
    assert.equal(untargeted.code, 0, untargeted.stderr + untargeted.stdout);
    assert.ok(untargeted.stdout.startsWith(ANSWER), `streamed first: ${untargeted.stdout}`);
    assert.match(untargeted.stdout, /✓ Completed on swarm\n/);
    assert.match(untargeted.stdout, new RegExp(`Provider: ${nip19.npubEncode(pubkey)}\\n`));
    assert.match(untargeted.stdout, /Cost: 0 msats/);

    const targeted = await runCli(['submit', ...flags({ prompt: 'just you', model: 'llama3.2', provider: pubkey, json: true, ...buyer })]);
    assert.equal(targeted.code, 0, targeted.stderr);
    const out = JSON.parse(targeted.stdout);
    assert.equal(out.response, ANSWER);
    assert.equal(out.provider, pubkey);
    const result = await relay.waitFor({ kinds: [6050], '#e': [out.jobId] });
    for (const tag of ['request', 'e', 'p', 'i', 'amount'])
      assert.ok(
        result.tags.some((t) => t[0] === tag),
        `result has a ${tag} tag`,
      );

    const { run, ms } = await server.terminate();
    assert.equal(run.code, 0, run.stderr);
    assert.ok(ms < 10_000, `exited ${ms} ms after SIGTERM`);
    assert.match(run.stdout, /Serving llama3\.2 as npub1\w+ \(free\)/);
    assert.match(run.stdout, /Stopped; announcement withdrawn\./);
    const deletion = await relay.waitFor({ kinds: [5], authors: [pubkey] });
    assert.ok(deletion.tags.some((t) => t[0] === 'a' && t[1].startsWith(`31990:${pubkey}:`)));
    assert.equal(relay.stored().filter((e) => e.kind === 31990).length, 0, 'no announcement left on the relay');

    const served = JSON.parse((await runCli(['history', '--json', '--data-dir', serverDir])).stdout);
    assert.equal(served.length, 2);
    assert.ok(served.every((r: { lane: string; state: string }) => r.lane === 'served' && r.state === 'completed'));
    const metrics = JSON.parse((await runCli(['metrics', '--json', '--data-dir', serverDir])).stdout);
    assert.equal(metrics.swarmSuccess + metrics.swarmDirect + metrics.localSuccess, 0, 'served jobs are not consumer metrics');
  } finally {
    server.child()?.kill('SIGKILL');
    await server.run.catch(() => undefined);
    await relay.stop();
  }
});

test('done when: one data dir serves for 700 msats, another submits and pays over NWC, and `providers` lists the server with its record', async () => {
  const relay = await startRelay();
  const ledger = createLedger();
  const sellerWallet = await startNwcWallet({ relayUrl: relay.url, ledger, balanceMsats: 0 });
  const buyerWallet = await startNwcWallet({ relayUrl: relay.url, ledger, balanceMsats: 100_000 });
  const serverDir = dataDir('seller');
  const buyerDir = dataDir('payer');
  const server = serve(relay, [
    '--model',
    'llama3.2',
    '--price-msats',
    '700',
    '--nwc',
    sellerWallet.uri,
    '--data-dir',
    serverDir,
    '--name',
    'Test GPU',
    '--about',
    'a spare card',
  ]);
  try {
    const pubkey = (await server.announced).pubkey;
    const r = await runCli([
      'submit',
      '--prompt',
      'worth paying for',
      '--model',
      'llama3.2',
      '--relay',
      relay.url,
      '--data-dir',
      buyerDir,
      '--nwc',
      buyerWallet.uri,
      '--max-price-msats',
      '1000',
      '--offer-window-secs',
      '0.3',
      '--swarm-timeout-secs',
      '20',
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /✓ Completed on swarm\n/);
    assert.match(r.stdout, /\nCost: 700 msats \(0 sats\)\n/);
    assert.ok(r.stdout.trimEnd().endsWith(ANSWER));
    assert.equal(buyerWallet.payments.length, 1, 'paid once');
    assert.equal(buyerWallet.payments[0].amountMsats, 700);
    assert.equal(sellerWallet.balanceMsats(), 700, "the seller's wallet received it");
    assert.ok(sellerWallet.requests.some((q) => q.method === 'make_invoice'));
    assert.ok(sellerWallet.requests.some((q) => q.method === 'lookup_invoice'));

    const listed = await runCli(['providers', '--json', '--relay', relay.url, '--data-dir', buyerDir]);
    assert.equal(listed.code, 0, listed.stderr);
    const providers = JSON.parse(listed.stdout);
    const entry = providers.find((p: { pubkey: string }) => p.pubkey === pubkey);
    assert.ok(entry, `the server is listed: ${listed.stdout}`);
    assert.deepEqual(Object.keys(entry).sort(), ['about', 'jobs', 'medianDurationMs', 'models', 'name', 'priceMsats', 'pubkey', 'successes']);
    assert.equal(entry.name, 'Test GPU');
    assert.equal(entry.about, 'a spare card');
    assert.deepEqual(entry.models, ['llama3.2']);
    assert.equal(entry.priceMsats, 700);
    assert.ok(entry.jobs >= 1 && entry.successes >= 1, `record: ${JSON.stringify(entry)}`);
    assert.equal(typeof entry.medianDurationMs, 'number');

    const table = await runCli(['providers', '--relay', relay.url, '--data-dir', buyerDir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME +PRICE +MODELS +JOBS +OK +MEDIAN +PUBKEY\n/);
    assert.match(table.stdout, new RegExp(`Test GPU +700 msats +llama3\\.2 +1 +1 +\\d+ms +${nip19.npubEncode(pubkey)}\\n`));

    const [servedRow] = JSON.parse((await runCli(['history', '--json', '--data-dir', serverDir])).stdout);
    assert.equal(servedRow.lane, 'served');
    assert.equal(servedRow.state, 'completed');
    assert.equal(servedRow.costMsats, 700);

    const { run } = await server.terminate();
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      relay.stored().some((e) => e.kind === 31990 && e.pubkey === pubkey),
      false,
      'the relay dropped the announcement',
    );
    // the test relay (@nostr-relay/core) answers an identical REQ from a 1 s cache; a real relay would not
    await new Promise((r) => setTimeout(r, 1100));
    const after = JSON.parse((await runCli(['providers', '--json', '--relay', relay.url, '--data-dir', buyerDir])).stdout);
    assert.equal(
      after.some((p: { pubkey: string }) => p.pubkey === pubkey),
      false,
      'withdrawn on shutdown',
    );
  } finally {
    server.child()?.kill('SIGKILL');
    await server.run.catch(() => undefined);
    await sellerWallet.stop();
    await buyerWallet.stop();
    await relay.stop();
  }
});

test('encrypted: submit --encrypt to the server gets its answer; the relay never sees prompt or answer in clear', async () => {
  const relay = await startRelay();
  const key = generateSecretKey();
  const pubkey = getPublicKey(key);
  const server = serve(relay, ['--model', 'llama3.2', '--data-dir', dataDir('enc-server')], { SWARM_COMPUTE_NSEC: bytesToHex(key) });
  try {
    assert.equal((await server.announced).pubkey, pubkey, 'SWARM_COMPUTE_NSEC is the identity');
    const r = await runCli([
      'submit',
      '--prompt',
      'classified prompt text',
      '--model',
      'llama3.2',
      '--encrypt',
      '--provider',
      pubkey,
      '--json',
      '--relay',
      relay.url,
      '--data-dir',
      dataDir('enc-buyer'),
      '--swarm-timeout-secs',
      '15',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).response, ANSWER);
    const seen = JSON.stringify(relay.received);
    assert.equal(seen.includes('classified prompt'), false, 'prompt never in clear');
    assert.equal(seen.includes('command line provider'), false, 'answer never in clear');
    const result = relay.received.find((e) => e.kind === 6050)!;
    assert.ok(result.tags.some((t) => t[0] === 'encrypted'));
  } finally {
    await server.terminate().catch(() => undefined);
    await relay.stop();
  }
});

test('SIGTERM mid-job: the running job gets an error feedback (or its result), the announcement goes, exit 0 within 10 s', async () => {
  const relay = await startRelay();
  const server = serve(relay, ['--model', 'slow', '--data-dir', dataDir('sigterm')]);
  const customer = await startCustomer([relay.url]);
  try {
    const pubkey = (await server.announced).pubkey;
    const client = runCli([
      'submit',
      '--prompt',
      'a long story',
      '--model',
      'slow',
      '--provider',
      pubkey,
      '--stream',
      '--relay',
      relay.url,
      '--data-dir',
      dataDir('sigterm-buyer'),
      '--swarm-timeout-secs',
      '30',
    ]);
    const job = await relay.waitFor({ kinds: [5050] });
    await relay.waitFor({ kinds: [7000], '#e': [job.id], '#p': [job.pubkey] });
    await ollama.waitForRequest((q) => promptOf(q.body) === 'a long story');
    // a second job arriving during shutdown is not taken
    const { run, ms } = await server.terminate();
    assert.equal(run.code, 0, run.stderr);
    assert.ok(ms < 10_000, `exited ${ms} ms after SIGTERM`);
    const replies = repliesTo(relay, job.id);
    const ended = replies.find((e) => e.kind === 6050 || statusOf(e) === 'error');
    assert.ok(ended, `the running job was told how it ended: ${replies.map((e) => statusOf(e) ?? e.kind).join(', ')}`);
    if (ended.kind !== 6050) assert.match(statusExtra(ended), /shut down before the answer was complete/);
    assert.ok(
      relay.received.some((e) => e.kind === 5 && e.pubkey === pubkey && e.tags.some((t) => t[0] === 'a')),
      'announcement deleted',
    );
    const late = await customer.submit({ prompt: 'too late', model: 'slow' });
    await quietFor(300);
    assert.deepEqual(repliesTo(relay, late.id), []);
    const c = await client;
    assert.equal(c.code, 1, c.stdout);
    assert.match(c.stdout, /Swarm error: provider .* reported an error: the provider shut down before the answer was complete/);
  } finally {
    await customer.close();
    server.child()?.kill('SIGKILL');
    await server.run.catch(() => undefined);
    await relay.stop();
  }
});
