// `submit` end to end (built CLI in a child process) against the Ollama
// stand-in over HTTP, a real relay and a NIP-90 provider: the first-token
// deadline, the stall watchdog, fallback after a partial answer, and the
// messages a user reads. Streams are paced at 20 ms a token and outlast the
// deadlines they must survive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay, type TestRelay } from '../support/relay';
import { startOllamaStandin, wordTokens, type OllamaStandin } from '../support/ollama-standin';
import { startTestProvider, type TestProvider } from '../support/test-provider';
import { runCli } from '../support/cli';
import { jobsColumns } from '../support/history-file';

let relay: TestRelay;
let ollama: OllamaStandin;
let provider: TestProvider;

const LONG = Array.from({ length: 150 }, (_, i) => `word${i} `);

before(async () => {
  relay = await startRelay();
  ollama = await startOllamaStandin({
    models: {
      // 150 tokens × 20 ms ≈ 3 s: past the 2.5 s first-token deadline, three times the 1 s stall deadline
      slowcpu: { tokens: LONG, tokenDelayMs: 20 },
      stall: { tokens: LONG, tokenDelayMs: 20, stallAfterTokens: 5 },
      crash: { tokens: wordTokens('one two three four five six'), tokenDelayMs: 20, crashAfterTokens: 4 },
      inband: { tokens: wordTokens('alpha beta gamma'), streamErrorAfterTokens: { after: 2, error: 'llama runner process has terminated' } },
      cold: { coldLoadMs: 600_000 },
    },
  });
  provider = await startTestProvider({ relays: [relay.url], script: { result: 'Swarm answered.' } });
});
after(async () => {
  await provider.stop();
  await ollama.stop();
  await relay.stop();
});

const dataDir = () => mkdtempSync(join(tmpdir(), 'sc-deadlines-'));
const base = (dir: string) => ['--relay', relay.url, '--ollama-host', ollama.url, '--data-dir', dir, '--swarm-timeout-secs', '20'];
const quick = ['--local-timeout-secs', '2.5', '--local-stall-secs', '1'];

async function history(dir: string) {
  const r = await runCli(['history', '--json', '--data-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

test('a steady slow answer far longer than --local-timeout-secs completes locally, in full', async () => {
  const dir = dataDir();
  const r = await runCli(['submit', '--local-first', '--model', 'slowcpu', '--prompt', 'long one', '--json', ...quick, ...base(dir)]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.lane, 'local');
  assert.equal(out.response, LONG.join(''));
  assert.equal(out.localError, null);
  assert.equal('localPartial' in out, false, 'absent when local answered');
  assert.ok(out.durationMs > 2500, `the answer took ${out.durationMs} ms, past both deadlines`);
});

test("a stall after 5 words falls back to the swarm: the human warning counts the words, the answer is the swarm's", async () => {
  const dir = dataDir();
  const r = await runCli(['submit', '--local-first', '--model', 'stall', '--prompt', 'stall please', ...quick, ...base(dir)]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(
    lines[0],
    /^⚠ Local inference failed after 5 words: Ollama at http:\/\/127\.0\.0\.1:\d+ sent nothing for 1 s after 5 words - falling back to marketplace$/,
  );
  assert.equal(lines[1], '✓ Completed on swarm');
  assert.equal(r.stdout.trim().split('\n').at(-1), 'Swarm answered.');
  const [row] = await history(dir);
  assert.equal(row.lane, 'swarm');
  assert.equal(row.response, 'Swarm answered.');
});

test('--json: a crash mid-answer goes to the swarm and carries localPartial', async () => {
  const dir = dataDir();
  const r = await runCli(['submit', '--local-first', '--model', 'crash', '--prompt', 'crash please', '--json', ...base(dir)]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.lane, 'swarm');
  assert.equal(out.response, 'Swarm answered.');
  assert.equal(out.localPartial, 'one two three four ');
  assert.match(out.localError, /broke in the middle of the answer after 4 words/);
  const [row] = await jobsColumns(join(dir, 'history.sqlite'), ['lane', 'local_error', 'local_partial', 'local_outcome', 'result']);
  assert.equal(row.lane, 'swarm');
  assert.equal(row.local_partial, 'one two three four ', 'the row keeps the half local answer');
  assert.equal(row.local_error, out.localError);
  assert.equal(row.local_outcome, 'failure');
  assert.equal(row.result, 'Swarm answered.');
});

test('while a model loads, stderr says so — and how long it took last time, from the history', async () => {
  const dir = dataDir();
  ollama.setModel('warming', { coldLoadMs: 1200, reply: 'warm now' });
  const first = await runCli(['submit', '--local-only', '--model', 'warming', '--prompt', 'x', '--json', ...base(dir)]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^loading warming \(not in memory yet\)$/m);
  const [row] = await jobsColumns(join(dir, 'history.sqlite'), ['local_load_ms', 'local_ttft_ms', 'local_tokens_per_sec']);
  assert.ok(Number(row.local_load_ms) >= 1150, JSON.stringify(row));
  assert.ok(Number(row.local_ttft_ms) >= Number(row.local_load_ms), JSON.stringify(row));
  assert.ok(Number(row.local_tokens_per_sec) > 0, JSON.stringify(row));
  ollama.setModel('warming', { coldLoadMs: 1200, reply: 'warm now' }); // unloaded again (Ollama's keep-alive ran out)
  const second = await runCli(['submit', '--local-only', '--model', 'warming', '--prompt', 'x', '--json', ...base(dir)]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /^loading warming — took 1 s last time$/m);
});

test('--stream: the half local answer, the warning, then the swarm answer', async () => {
  const dir = dataDir();
  const r = await runCli(['submit', '--local-first', '--model', 'inband', '--prompt', 'x', '--stream', ...base(dir)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^alpha beta \n⚠ Local inference failed after 2 words: [^\n]*llama runner process has terminated - falling back to marketplace\n/);
  assert.match(r.stdout, /\n✓ Completed on swarm\n/);
  assert.equal(r.stdout.trim().split('\n').at(-1), 'Swarm answered.');
});

for (const flags of [['--local-first', '--no-fallback'], ['--local-only']]) {
  test(`${flags.join(' ')}: a crash mid-answer fails the run; localPartial and response carry the half answer`, async () => {
    const dir = dataDir();
    const before = relay.received.length;
    const r = await runCli(['submit', ...flags, '--model', 'crash', '--prompt', 'x', '--json', ...base(dir)]);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.lane, 'failed');
    assert.equal(out.localPartial, 'one two three four ');
    assert.equal(out.response, 'one two three four ');
    assert.equal(relay.received.length, before, 'nothing went to the relay');
  });
}

test('a model still loading misses the first-token deadline: the error says it was not loaded', async () => {
  const dir = dataDir();
  const r = await runCli(['submit', '--local-only', '--model', 'cold', '--prompt', 'x', '--json', ...quick, ...base(dir)]);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.localError, 'no first token within 2.5 s — cold was not loaded, Ollama may still be loading it');
  assert.equal('localPartial' in out, false);
  assert.match(r.stderr, /loading cold/);
});

for (const [args, flag] of [
  [['--local-stall-secs', '0'], '--local-stall-secs'],
  [['--local-stall-secs', 'soon'], '--local-stall-secs'],
  [['--hedge-after-secs', '-1'], '--hedge-after-secs'],
  [['--hedge-after-secs', '3', '--local-only'], '--hedge-after-secs'],
  [['--allow-ollama-cloud=yes'], '--allow-ollama-cloud'],
] as const) {
  test(`bad usage ${args.join(' ')} → exit 2 naming ${flag}, nothing sent`, async () => {
    const dir = dataDir();
    const seen = ollama.requests.length;
    const before = relay.received.length;
    const r = await runCli([
      'submit',
      '--prompt',
      'x',
      ...((args as readonly string[]).includes('--local-only') ? [] : ['--local-first']),
      ...args,
      ...base(dir),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(flag), r.stderr);
    assert.equal(ollama.requests.length, seen);
    assert.equal(relay.received.length, before);
  });
}

test('a cloud model (remote_host): --local-first goes to the swarm without sending the prompt to Ollama', async () => {
  ollama.setModel('gpt-oss:120b-cloud', { remoteHost: 'https://ollama.com:443', reply: 'cloud says hi' });
  const dir = dataDir();
  const seen = ollama.requests.length;
  const r = await runCli(['submit', '--local-first', '--model', 'gpt-oss:120b-cloud', '--prompt', 'secret', '--json', ...base(dir)]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.lane, 'swarm');
  assert.match(out.localError, /gpt-oss:120b-cloud is not a local model: Ollama serves it from https:\/\/ollama\.com:443/);
  assert.equal('localRemoteHost' in out, false);
  const prompted = ollama.requests.slice(seen).filter((q) => q.path === '/api/chat' || q.path === '/api/generate');
  assert.deepEqual(prompted, []);
});

test('a cloud model with --local-only fails without --allow-ollama-cloud, answers with it (localRemoteHost)', async () => {
  ollama.setModel('gpt-oss:120b-cloud', { remoteHost: 'https://ollama.com:443', reply: 'cloud says hi' });
  const dir = dataDir();
  const opened = relay.connectionsOpened();
  const refused = await runCli(['submit', '--local-only', '--model', 'gpt-oss:120b-cloud', '--prompt', 'x', '--json', ...base(dir)]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(JSON.parse(refused.stdout).localError, /not a local model/);
  const allowed = await runCli(['submit', '--local-only', '--allow-ollama-cloud', '--model', 'gpt-oss:120b-cloud', '--prompt', 'x', '--json', ...base(dir)]);
  assert.equal(allowed.code, 0, allowed.stderr);
  const out = JSON.parse(allowed.stdout);
  assert.equal(out.lane, 'local');
  assert.equal(out.response, 'cloud says hi');
  assert.equal(out.localRemoteHost, 'https://ollama.com:443');
  assert.equal(relay.connectionsOpened(), opened, 'local only opened no relay connection');
});
