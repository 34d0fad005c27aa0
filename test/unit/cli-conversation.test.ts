// CLI.md "Conversations", end to end in child processes: what the Ollama
// stand-in and a NIP-90 provider actually received on follow-ups.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestRelay } from '../support/relay';
import type { OllamaStandin } from '../support/ollama-standin';
import type { TestProvider } from '../support/test-provider';
import { startStandIns } from '../support/stand-ins';
import { runCli } from '../support/cli';

let relay: TestRelay, ollama: OllamaStandin, provider: TestProvider, stop: () => Promise<void>;

before(async () => {
  ({ relay, ollama, provider, stop } = await startStandIns({
    models: {
      llama3: { reply: 'It adds two numbers.' },
      // breaks after two words: a failed turn with a partial answer
      flaky: { reply: 'half an answer that never ends', crashAfterTokens: 2 },
      // a small context: 50 tokens = 200 characters
      tiny: { reply: 'Short.', contextLength: 50 },
      // a server that does not say (old Ollama): 8192 tokens are assumed
      quiet: { reply: 'Quiet.', contextLength: null },
    },
    provider: { result: 'Swarm answer.' },
  }));
});
after(() => stop());

const dataDir = () => mkdtempSync(join(tmpdir(), 'sc-conv-'));
const local = (dir: string, model = 'llama3') => ['--local-only', '--model', model, '--ollama-host', ollama.url, '--data-dir', dir];

async function submitJson(args: string[]) {
  const r = await runCli(['submit', '--json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return { json: JSON.parse(r.stdout) as Record<string, unknown>, stderr: r.stderr };
}

const chatBodies = () => ollama.requests.filter((r) => r.path === '/api/chat').map((r) => r.body as { messages: { role: string; content: string }[] });

test('a follow-up sends the earlier turns as Ollama chat messages; --json and the human output name the conversation', async () => {
  const dir = dataDir();
  const first = await runCli(['submit', '--prompt', 'Explain add()', ...local(dir)]);
  assert.equal(first.code, 0, first.stderr);
  const m = /\nConversation: (\S+)\n$/.exec(`\n${first.stderr}`);
  assert.ok(m, `the last stderr line names the conversation: ${JSON.stringify(first.stderr)}`);
  const id = m[1];
  assert.match(first.stdout, /^✓ Completed locally in \d+ms\n\nIt adds two numbers\.\n$/, 'stdout keeps the seed format');

  const chatsBefore = chatBodies().length;
  const second = await submitJson(['--conversation', id, '--prompt', 'make that shorter', ...local(dir)]);
  assert.equal(second.json.conversationId, id);
  const sent = chatBodies().slice(chatsBefore);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].messages, [
    { role: 'user', content: 'Explain add()' },
    { role: 'assistant', content: 'It adds two numbers.' },
    { role: 'user', content: 'make that shorter' },
  ]);

  // --continue: the newest conversation
  await submitJson(['--continue', '--prompt', 'and the second line?', ...local(dir)]);
  assert.deepEqual(
    chatBodies()
      .at(-1)!
      .messages.map((x) => x.content),
    ['Explain add()', 'It adds two numbers.', 'make that shorter', 'It adds two numbers.', 'and the second line?'],
  );

  // a new submit begins a new conversation: the prompt alone, as before
  const fresh = await submitJson(['--prompt', 'unrelated', ...local(dir)]);
  assert.notEqual(fresh.json.conversationId, id);
  const last = ollama.requests.at(-1)!;
  assert.equal(last.path, '/api/chat');
  assert.deepEqual((last.body as { messages: unknown }).messages, [{ role: 'user', content: 'unrelated' }]);

  const h = await runCli(['history', '--conversation', id, '--json', '--data-dir', dir]);
  assert.equal(h.code, 0, h.stderr);
  const rows = JSON.parse(h.stdout) as Record<string, unknown>[];
  assert.deepEqual(
    rows.map((r) => r.prompt),
    ['Explain add()', 'make that shorter', 'and the second line?'],
    'oldest first',
  );
  assert.ok(rows.every((r) => r.conversationId === id));
  const all = JSON.parse((await runCli(['history', '--json', '--data-dir', dir])).stdout) as Record<string, unknown>[];
  assert.deepEqual(
    all.map((r) => r.conversationId),
    [fresh.json.conversationId, id, id, id],
  );
});

test('an unknown conversation is exit 2 naming it, and nothing is sent', async () => {
  const dir = dataDir();
  await submitJson(['--prompt', 'hello', ...local(dir)]);
  const seen = ollama.requests.length;
  const seenRelay = relay.received.length;
  const r = await runCli(['submit', '--conversation', 'no-such-conversation', '--prompt', 'x', '--relay', relay.url, ...local(dir).slice(1)]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--conversation "no-such-conversation" is not a conversation/);
  assert.equal(ollama.requests.length, seen, 'Ollama was not asked');
  assert.equal(relay.received.length, seenRelay, 'no relay saw anything');
  const h = await runCli(['history', '--conversation', 'no-such-conversation', '--data-dir', dir]);
  assert.equal(h.code, 2);
  assert.match(h.stderr, /no-such-conversation/);
  const both = await runCli(['submit', '--conversation', 'a', '--continue', '--prompt', 'x', ...local(dir)]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--conversation and --continue/);
  const none = await runCli(['submit', '--continue', '--prompt', 'x', ...local(dataDir())]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--continue: there is no conversation/);
});

test('a failed turn is not sent as an answer (its question still is)', async () => {
  const dir = dataDir();
  const first = await submitJson(['--prompt', 'first question', ...local(dir)]);
  const id = String(first.json.conversationId);
  const failed = await runCli(['submit', '--json', '--conversation', id, '--prompt', 'will you fail?', ...local(dir, 'flaky')]);
  assert.equal(failed.code, 1, failed.stderr);
  assert.equal(JSON.parse(failed.stdout).localPartial ?? JSON.parse(failed.stdout).response, 'half an ');
  await submitJson(['--conversation', id, '--prompt', 'try again', ...local(dir)]);
  const messages = chatBodies().at(-1)!.messages;
  assert.deepEqual(messages, [
    { role: 'user', content: 'first question' },
    { role: 'assistant', content: 'It adds two numbers.' },
    { role: 'user', content: 'will you fail?' },
    { role: 'user', content: 'try again' },
  ]);
  assert.ok(!JSON.stringify(messages).includes('half an'), 'the partial answer is not sent');
});

test("turns that do not fit the model's context (/api/show) are left out oldest first, and stderr says how many", async () => {
  const dir = dataDir();
  const long = (c: string) => c.repeat(100);
  const first = await submitJson(['--prompt', long('a'), ...local(dir, 'tiny')]);
  const id = String(first.json.conversationId);
  await submitJson(['--conversation', id, '--prompt', long('b'), ...local(dir, 'tiny')]);
  // 50 tokens × 4 = 200 characters: two turns (106 each) and the prompt (10) do not fit; without the oldest they do
  const r = await submitJson(['--conversation', id, '--prompt', 'third turn', ...local(dir, 'tiny')]);
  assert.match(r.stderr, /1 earlier turn\(s\) left out to fit the model's context of 50 tokens; 1 sent with the prompt/);
  assert.deepEqual(
    chatBodies()
      .at(-1)!
      .messages.map((m) => m.content),
    [long('b'), 'Short.', 'third turn'],
  );
  assert.ok(ollama.requests.some((q) => q.path === '/api/show' && (q.body as { model: string }).model === 'tiny'));

  // no context length from Ollama: 8192 tokens (32768 characters) are assumed
  const dir2 = dataDir();
  const big = await submitJson(['--prompt', 'x'.repeat(40_000), ...local(dir2, 'quiet')]);
  const next = await submitJson(['--conversation', String(big.json.conversationId), '--prompt', 'small', ...local(dir2, 'quiet')]);
  assert.match(next.stderr, /1 earlier turn\(s\) left out to fit the model's context of 8192 tokens; 0 sent/);
  // nothing earlier fits: sent exactly as a first turn
  const last = ollama.requests.at(-1)!;
  assert.equal(last.path, '/api/chat');
  assert.deepEqual((last.body as { messages: unknown }).messages, [{ role: 'user', content: 'small' }]);
});

test('a swarm follow-up carries the conversation in the i tag and the messages param; a first turn the prompt alone', async () => {
  const dir = dataDir();
  const swarm = ['--relay', relay.url, '--provider', provider.pubkey, '--ollama-host', ollama.url, '--data-dir', dir, '--swarm-timeout-secs', '20'];
  const first = await submitJson(['--prompt', 'What is a relay?', ...swarm]);
  assert.equal(first.json.lane, 'swarm');
  const job1 = provider.jobs.at(-1)!;
  assert.deepEqual(
    job1.event.tags.filter((t) => t[0] === 'i'),
    [['i', 'What is a relay?', 'text']],
  );
  assert.equal(job1.params.messages, undefined);

  await submitJson(['--conversation', String(first.json.conversationId), '--prompt', 'And a provider?', ...swarm]);
  const job2 = provider.jobs.at(-1)!;
  assert.notEqual(job2.event.id, job1.event.id);
  assert.equal(job2.prompt, 'User: What is a relay?\n\nAssistant: Swarm answer.\n\nUser: And a provider?');
  assert.deepEqual(JSON.parse(job2.params.messages), [
    { role: 'user', content: 'What is a relay?' },
    { role: 'assistant', content: 'Swarm answer.' },
    { role: 'user', content: 'And a provider?' },
  ]);
});

test('serve reads the messages param and answers a follow-up through /api/chat; a first turn as before', async () => {
  const serveDir = dataDir();
  const since = Math.floor(Date.now() / 1000) - 1;
  let child: import('node:child_process').ChildProcess | null = null;
  const run = runCli(['serve', '--model', 'llama3', '--relay', relay.url, '--ollama-host', ollama.url, '--data-dir', serveDir], {
    timeoutMs: 90_000,
    onSpawn: (c) => (child = c),
  });
  try {
    const announcement = await relay.waitFor({ kinds: [31990], since }, 15_000);
    const dir = dataDir();
    const swarm = ['--relay', relay.url, '--provider', announcement.pubkey, '--data-dir', dir, '--swarm-timeout-secs', '30', '--model', 'llama3'];
    const first = await submitJson(['--prompt', 'Explain add()', ...swarm]);
    assert.equal(first.json.lane, 'swarm', JSON.stringify(first.json));
    const served1 = ollama.requests.at(-1)!;
    assert.equal(served1.path, '/api/chat');
    assert.deepEqual((served1.body as { messages: unknown }).messages, [{ role: 'user', content: 'Explain add()' }]);
    const second = await submitJson(['--conversation', String(first.json.conversationId), '--prompt', 'shorter', ...swarm]);
    assert.equal(second.json.response, 'It adds two numbers.');
    const served2 = ollama.requests.at(-1)!;
    assert.equal(served2.path, '/api/chat');
    assert.deepEqual((served2.body as { messages: unknown }).messages, [
      { role: 'user', content: 'Explain add()' },
      { role: 'assistant', content: 'It adds two numbers.' },
      { role: 'user', content: 'shorter' },
    ]);
  } finally {
    (child as import('node:child_process').ChildProcess | null)?.kill('SIGTERM');
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
  }
});

test('--keep-days blanks the texts of older rows and keeps their money and metrics', async () => {
  const { openHistory } = await import('../../src/history/sqlite-history');
  const { makeRecord } = await import('../support/history-writer');
  const dir = dataDir();
  const store = await openHistory(join(dir, 'history.sqlite'));
  const old = Date.now() - 40 * 86_400_000;
  await store.insert(
    makeRecord('old-paid', {
      lane: 'swarm',
      localAttempted: false,
      localOutcome: null,
      swarmStart: 'direct',
      swarmOutcome: 'success',
      costMsats: 3000,
      prompt: 'old secret',
      submittedAt: old,
    }),
  );
  await store.insert(makeRecord('recent', { prompt: 'recent question', submittedAt: Date.now() - 86_400_000 }));
  await store.close();
  const metrics = async () => JSON.parse((await runCli(['metrics', '--json', '--data-dir', dir])).stdout);
  const before = await metrics();
  const bad = await runCli(['history', '--keep-days', '0', '--data-dir', dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--keep-days must be a whole number ≥ 1, got "0"/);
  const h = await runCli(['history', '--json', '--keep-days', '30', '--data-dir', dir]);
  assert.equal(h.code, 0, h.stderr);
  const rows = JSON.parse(h.stdout) as Record<string, unknown>[];
  const byPrompt = rows.map((r) => [r.prompt, r.response, r.costMsats]);
  assert.deepEqual(byPrompt, [
    ['recent question', 'response of recent', 0],
    ['', null, 3000],
  ]);
  assert.deepEqual(await metrics(), before);
  // submit takes it too, before it runs
  const s = await runCli(['submit', '--json', '--keep-days', '1', '--prompt', 'now', ...local(dir)]);
  assert.equal(s.code, 0, s.stderr);
  const after = JSON.parse((await runCli(['history', '--json', '--data-dir', dir])).stdout) as Record<string, unknown>[];
  assert.deepEqual(
    after.map((r) => r.prompt),
    ['now', '', ''],
  );
});
