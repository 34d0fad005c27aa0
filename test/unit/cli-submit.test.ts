// The command line end to end, in child processes, against real parts: the
// Ollama stand-in over HTTP, a real relay, a NIP-90 provider and an NWC wallet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nip19 from 'nostr-tools/nip19';
import { getPublicKey, generateSecretKey } from 'nostr-tools/pure';
import { bytesToHex } from 'nostr-tools/utils';
import { startRelay, type TestRelay } from '../support/relay';
import { startOllamaStandin, type OllamaStandin, promptOf } from '../support/ollama-standin';
import { startTestProvider, type TestProvider } from '../support/test-provider';
import { flags, runCli, untilPrinted } from '../support/cli';

let relay: TestRelay;
let ollama: OllamaStandin;
let provider: TestProvider;

before(async () => {
  relay = await startRelay();
  ollama = await startOllamaStandin({ models: { llama3: { reply: 'Local says hi.' } } });
  provider = await startTestProvider({ relays: [relay.url], script: { partials: ['Swarm ', 'says '], result: 'Swarm says hi.' } });
});
after(async () => {
  await provider.stop();
  await ollama.stop();
  await relay.stop();
});

const dataDir = () => mkdtempSync(join(tmpdir(), 'sc-cli-'));
const base = (dir: string) => ['--relay', relay.url, '--ollama-host', ollama.url, '--data-dir', dir, '--swarm-timeout-secs', '10'];

async function history(dir: string) {
  const r = await runCli(['history', '--json', '--data-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

test('local-first, local answers: the seed output, exit 0, one history row with local_attempted', async () => {
  const dir = dataDir();
  const before = relay.received.length;
  const r = await runCli(['submit', '--local-first', '--prompt', 'say hi', ...base(dir)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^✓ Completed locally in \d+ms\n\nLocal says hi\.\n$/);
  assert.equal(relay.received.length, before, 'nothing reached the relay');
  const rows = await history(dir);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].state, 'completed');
  assert.equal(rows[0].lane, 'local');
  assert.equal(rows[0].localAttempted, true);
  assert.equal(rows[0].response, 'Local says hi.');
  assert.equal(rows[0].prompt, 'say hi');
});

test('local-first, model missing: falls back to the swarm with the seed output', async () => {
  const dir = dataDir();
  const r = await runCli(['submit', '--local-first', '--model', 'mistral', '--prompt', 'fallback please', ...base(dir)]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^⚠ Local inference failed: model "mistral" is not pulled.* - falling back to marketplace$/);
  assert.equal(lines[1], '✓ Completed on swarm');
  const jobId = lines[2].replace('Job ID: ', '');
  assert.match(jobId, /^[0-9a-f]{64}$/);
  assert.equal(lines[3], `Provider: ${nip19.npubEncode(provider.pubkey)}`);
  assert.equal(lines[4], 'Cost: 0 msats (0 sats)');
  assert.match(lines[5], /^Duration: \d+ms$/);
  assert.equal(r.stdout.trim().split('\n').at(-1), 'Swarm says hi.');
  // the job the relay holds is the one reported, with the model asked for
  const job = await relay.waitFor({ ids: [jobId] });
  assert.equal(job.kind, 5050);
  assert.deepEqual(
    job.tags.find((t) => t[0] === 'param' && t[1] === 'model'),
    ['param', 'model', 'mistral'],
  );
  assert.deepEqual(
    job.tags.find((t) => t[0] === 'i'),
    ['i', 'fallback please', 'text'],
  );
  const rows = await history(dir);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].jobId, jobId);
  assert.equal(rows[0].lane, 'swarm');
  assert.equal(rows[0].localAttempted, true);
  assert.equal(rows[0].provider, provider.pubkey);
});

test('local-first, both fail: exit 1 with both reasons', async () => {
  const dir = dataDir();
  const r = await runCli([
    'submit',
    '--local-first',
    '--model',
    'mistral',
    '--prompt',
    'x',
    '--relay',
    'ws://127.0.0.1:1',
    '--ollama-host',
    ollama.url,
    '--data-dir',
    dir,
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout,
    /✗ Job failed\nLocal error: model "mistral" is not pulled[^\n]*\nSwarm error: no relay could be reached: ws:\/\/127\.0\.0\.1:1[^\n]*\n/,
  );
  const [row] = await history(dir);
  assert.equal(row.state, 'failed');
  assert.equal(row.jobId === null, false);
});

test('swarm only (no mode flag) --json: one JSON object on stdout, no local attempt', async () => {
  const dir = dataDir();
  const localBefore = ollama.requests.length;
  const r = await runCli(['submit', '--prompt', 'direct', '--json', ...base(dir)]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(
    Object.keys(out).sort(),
    ['costMsats', 'durationMs', 'jobId', 'lane', 'localAttempted', 'localError', 'model', 'provider', 'response', 'swarmError', 'conversationId'].sort(),
  );
  assert.equal(out.lane, 'swarm');
  assert.equal(out.response, 'Swarm says hi.');
  assert.equal(out.localAttempted, false);
  assert.equal(out.provider, provider.pubkey);
  assert.match(out.jobId, /^[0-9a-f]{64}$/);
  assert.equal(out.localError, null);
  assert.equal(out.swarmError, null);
  assert.equal(out.model, 'llama3');
  assert.equal(ollama.requests.length, localBefore, 'Ollama was not asked');
});

test('--local-only: a local failure opens no relay connection; swarmError null', async () => {
  const dir = dataDir();
  const before = relay.received.length;
  const opened = relay.connectionsOpened();
  const r = await runCli(['submit', '--local-only', '--model', 'mistral', '--prompt', 'secret code', '--json', ...base(dir)]);
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout);
  assert.equal(out.lane, 'failed');
  assert.equal(out.swarmError, null);
  assert.equal(out.jobId, null);
  assert.match(out.localError, /not pulled/);
  assert.equal(relay.received.length, before);
  assert.equal(relay.connectionsOpened(), opened, 'no connection to the relay');
  assert.equal(readdirSync(dir).includes('identity'), false, 'no identity needed for local only');
});

test('--local-first --no-fallback: local once; swarm error "fallback disabled"', async () => {
  const dir = dataDir();
  const opened = relay.connectionsOpened();
  const r = await runCli(['submit', '--local-first', '--no-fallback', '--model', 'mistral', '--prompt', 'x', ...base(dir)]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Swarm error: fallback disabled/);
  assert.equal(relay.connectionsOpened(), opened, 'no connection to the relay');
});

test('--stream prints local tokens as they arrive; with --json they go to stderr', async () => {
  const dir = dataDir();
  const human = await runCli(['submit', '--local-only', '--stream', '--prompt', 'x', ...base(dir)]);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^Local says hi\.\n\n✓ Completed locally in \d+ms\n$/);
  const json = await runCli(['submit', '--local-only', '--stream', '--json', '--prompt', 'x', ...base(dir)]);
  assert.equal(JSON.parse(json.stdout).response, 'Local says hi.');
  assert.match(json.stderr, /Local says hi\./);
});

test('--stream on the swarm prints partial feedback as increments', async () => {
  const dir = dataDir();
  const r = await runCli(['submit', '--stream', '--prompt', 'x', ...base(dir)]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith('Swarm says '), r.stdout);
  assert.match(r.stdout, /✓ Completed on swarm/);
});

test('--prompt - reads the prompt from standard input', async () => {
  const dir = dataDir();
  const r = await runCli(['submit', '--local-only', '--prompt', '-', '--json', ...base(dir)], { input: 'from stdin\n' });
  assert.equal(r.code, 0, r.stderr);
  const [row] = await history(dir);
  assert.equal(row.prompt, 'from stdin\n');
  const req = ollama.requests.filter((q) => q.path === '/api/chat').at(-1)!;
  assert.equal(promptOf(req.body), 'from stdin\n');
});

test('metrics and history are read back from the database by later processes', async () => {
  const dir = dataDir();
  await runCli(['submit', '--local-first', '--prompt', 'a', ...base(dir)]); // local success
  await runCli(['submit', '--local-first', '--model', 'mistral', '--prompt', 'b', ...base(dir)]); // fallback success
  await runCli(['submit', '--prompt', 'c', ...base(dir)]); // direct swarm
  const m = await runCli(['metrics', '--json', '--data-dir', dir]);
  assert.deepEqual(JSON.parse(m.stdout), {
    localSuccess: 1,
    localFailure: 1,
    swarmFallback: 1,
    swarmDirect: 1,
    swarmSuccess: 2,
    swarmFailure: 0,
    totalCostMsats: 0,
    localSuccessRate: 50,
    fallbackRate: 50,
  });
  const rows = await history(dir);
  assert.deepEqual(
    rows.map((r) => r.prompt),
    ['c', 'b', 'a'],
  );
  const limited = JSON.parse((await runCli(['history', '--json', '--limit', '1', '--data-dir', dir])).stdout);
  assert.equal(limited.length, 1);
  for (const key of [
    'jobId',
    'state',
    'lane',
    'localAttempted',
    'provider',
    'model',
    'costMsats',
    'durationMs',
    'submittedAt',
    'completedAt',
    'error',
    'prompt',
    'response',
  ]) {
    assert.ok(key in rows[0], `history JSON has ${key}`);
  }
  const human = await runCli(['metrics', '--data-dir', dir]);
  assert.match(human.stdout, /Fallback rate: 50%/);
});

test('the identity file is created with mode 0600 and reused; SWARM_COMPUTE_NSEC takes precedence', async () => {
  const dir = dataDir();
  await runCli(['submit', '--prompt', 'who am i', ...base(dir)]);
  const file = join(dir, 'identity');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const nsec = readFileSync(file, 'utf8').trim();
  const decoded = nip19.decode(nsec as `nsec1${string}`);
  assert.equal(decoded.type, 'nsec');
  const pubkey = getPublicKey(decoded.data as Uint8Array);
  const r2 = await runCli(['submit', '--prompt', 'who am i again', '--json', ...base(dir)]);
  const job2 = await relay.waitFor({ ids: [JSON.parse(r2.stdout).jobId] });
  assert.equal(job2.pubkey, pubkey);
  assert.equal(readFileSync(file, 'utf8').trim(), nsec, 'not rewritten');
  const sk = generateSecretKey();
  const r3 = await runCli(['submit', '--prompt', 'env key', '--json', ...base(dir)], { env: { SWARM_COMPUTE_NSEC: bytesToHex(sk) } });
  const job3 = await relay.waitFor({ ids: [JSON.parse(r3.stdout).jobId] });
  assert.equal(job3.pubkey, getPublicKey(sk));
});

test('several submits at once on one data dir each leave their row', async () => {
  const dir = dataDir();
  const runs = await Promise.all([0, 1, 2, 3].map((i) => runCli(['submit', '--local-only', '--prompt', `p${i}`, ...base(dir)])));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const rows = await history(dir);
  assert.deepEqual(rows.map((r) => r.prompt).sort(), ['p0', 'p1', 'p2', 'p3']);
});

test('an unreadable history.sqlite is kept aside, a warning printed, and the submit proceeds', async () => {
  const dir = dataDir();
  writeFileSync(join(dir, 'history.sqlite'), 'this is not a database');
  const r = await runCli(['submit', '--local-only', '--prompt', 'x', ...base(dir)]);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /warning: .*history\.sqlite\.corrupt-\d+/);
  const backup = readdirSync(dir).find((f) => /^history\.sqlite\.corrupt-\d+$/.test(f));
  assert.ok(backup);
  assert.equal(readFileSync(join(dir, backup!), 'utf8'), 'this is not a database');
  assert.equal((await history(dir)).length, 1);
});

test('SIGINT while waiting on the swarm: kind-5 deletion, row cancelled, exit 130', async () => {
  const dir = dataDir();
  const silent = await startTestProvider({ relays: [relay.url], script: { silent: true } });
  try {
    const r = await runCli(['submit', '--prompt', 'cancel me', '--json', '--provider', silent.pubkey, ...base(dir)], {
      // interrupted once the child itself says the job is out (it knows the id the deletion must name)
      onSpawn: (child) => untilPrinted(child, /job [0-9a-f]{64} accepted by /).then(() => child.kill('SIGINT')),
    });
    assert.equal(r.code, 130, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.lane, 'failed');
    const deletion = await relay.waitFor({ kinds: [5], '#e': [out.jobId] });
    assert.equal(deletion.pubkey, (await relay.waitFor({ ids: [out.jobId] })).pubkey);
    const [row] = await history(dir);
    assert.equal(row.state, 'cancelled');
    assert.equal(row.costMsats, 0);
  } finally {
    await silent.stop();
  }
});

test('fallback that succeeds on the swarm still reports why local failed (localError)', async () => {
  const dir = dataDir();
  const r = await runCli([
    'submit',
    ...flags({ 'local-first': true, json: true, prompt: 'x', relay: relay.url, 'data-dir': dir, 'ollama-host': 'http://127.0.0.1:11499' }),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.lane, 'swarm');
  assert.equal(out.localAttempted, true);
  assert.match(out.localError, /Ollama is not running at http:\/\/127\.0\.0\.1:11499/);
  assert.equal(out.swarmError, null);
});

test('--stream prints the whole answer even when the partials covered only part of it', async () => {
  const dir = dataDir();
  const partialOnly = await startTestProvider({ relays: [relay.url], script: { partials: ['The answer '], result: 'The answer is 42.' } });
  try {
    const r = await runCli(['submit', '--stream', '--prompt', 'x', '--provider', partialOnly.pubkey, ...base(dir)]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('The answer is 42.\n\n✓ Completed on swarm'), r.stdout);
  } finally {
    await partialOnly.stop();
  }
});

test('SIGTERM while --prompt - is still reading standard input: exit 130 at once, one cancelled row, nothing sent', async () => {
  const dir = dataDir();
  const r = await runCli(['submit', '--local-only', '--prompt', '-', ...base(dir)], {
    keepStdinOpen: true,
    onSpawn: (child) => {
      // signal once the CLI says it is reading the prompt (not after a guessed delay)
      let said = '';
      child.stderr!.on('data', (d) => {
        said += d;
        if (said.includes('standard input')) child.kill('SIGTERM');
      });
    },
    timeoutMs: 10_000,
  });
  assert.equal(r.code, 130, r.stderr);
  const h = await runCli(['history', '--json', '--data-dir', dir]);
  assert.equal(h.code, 0, h.stderr);
  const rows = JSON.parse(h.stdout) as { state: string; localAttempted: boolean; jobId: string; costMsats: number }[];
  assert.deepEqual(
    rows.map((row) => [row.state, row.localAttempted, row.costMsats]),
    [['cancelled', false, 0]],
  );
});

test('OLLAMA_HOST in Ollama\'s ":port" form is understood; a new data dir is private (0700)', async () => {
  const dir = join(dataDir(), 'fresh');
  const port = new URL(ollama.url).port;
  const r = await runCli(['submit', '--local-only', '--json', '--prompt', 'x', '--data-dir', dir], { env: { OLLAMA_HOST: `:${port}` } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).response, 'Local says hi.');
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});
