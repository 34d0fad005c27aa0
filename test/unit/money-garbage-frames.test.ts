// Quiet under garbage: a relay that answers every REQ with 250 `null` frames
// and other malformed messages. `submit` and `serve` still work over the
// good relay beside it, and standard error carries a few summary lines, not
// a library stack trace per frame.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startRelay, type TestRelay } from '../support/relay';
import { startScriptedRelay, startTestProvider, type ScriptedRelay } from '../support/test-provider';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { startCustomer, repliesTo } from '../support/job-customer';
import { runCli } from '../support/cli';
import { screenFrame } from '../../src/relay/frame-screen';

const GARBAGE = [
  ...Array.from({ length: 250 }, () => 'null'),
  ...Array.from({ length: 20 }, () => '["EVENT","x",null]'),
  ...Array.from({ length: 20 }, (_, i) => `["EVENT","sub",{"id":"${'a'.repeat(64)}","kind":7000,"tags":"nope${i}"}]`),
  ...Array.from({ length: 20 }, () => '{"not":"an array"}'),
  ...Array.from({ length: 20 }, () => 'not json at all ['),
  ...Array.from({ length: 10 }, () => '[42]'),
  ...Array.from({ length: 10 }, () => '["OK"]'),
];

let good: TestRelay;
let bad: ScriptedRelay;
let ollama: OllamaStandin;

before(async () => {
  good = await startRelay();
  bad = await startScriptedRelay({ onJob: () => [], garbageOnReq: GARBAGE });
  ollama = await startOllamaStandin({ models: { 'llama3.2': { reply: 'served through the garbage', tokenDelayMs: 5 } } });
});
after(async () => {
  await ollama.stop();
  await bad.stop();
  await good.stop();
});

function assertQuiet(stderr: string) {
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(stderr, /error processing message/);
  const lines = stderr.split('\n').filter((l) => /malformed frame/.test(l));
  assert.ok(lines.length >= 1 && lines.length <= 16, `summary lines: ${lines.length}\n${stderr.slice(0, 3000)}`);
  assert.ok(stderr.split('\n').length < 40, `stderr has ${stderr.split('\n').length} lines`);
}

test('submit: the job completes over the good relay; garbage from the other gives a few summary lines', async () => {
  const provider = await startTestProvider({ relays: [good.url], script: { result: 'the answer' } });
  try {
    const r = await runCli([
      'submit',
      '--prompt',
      'through garbage',
      '--relay',
      good.url,
      '--relay',
      bad.url,
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'sc-garbage-')),
      '--swarm-timeout-secs',
      '15',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr.slice(0, 3000));
    assert.equal(JSON.parse(r.stdout).response, 'the answer');
    assertQuiet(r.stderr);
    assert.match(r.stderr, /sent a malformed frame \(not a message array\)/);
  } finally {
    await provider.stop();
  }
});

test('serve: answers a job from the good relay while the other sends garbage; quiet stderr, exits 0', async () => {
  let child: ChildProcess | null = null;
  const since = Math.floor(Date.now() / 1000) - 1;
  const run = runCli(
    [
      'serve',
      '--relay',
      good.url,
      '--relay',
      bad.url,
      '--ollama-host',
      ollama.url,
      '--model',
      'llama3.2',
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'sc-garbage-serve-')),
    ],
    { timeoutMs: 60_000, onSpawn: (c) => (child = c) },
  );
  const customer = await startCustomer([good.url]);
  try {
    const announcement = await good.waitFor({ kinds: [31990], since }, 20_000);
    const job = await customer.submit({ prompt: 'hello', model: 'llama3.2', providers: [announcement.pubkey] });
    const result = await good.waitFor({ kinds: [6050], '#e': [job.id] }, 30_000);
    assert.equal(result.content, 'served through the garbage');
    assert.ok(repliesTo(good, job.id).length >= 1);
  } finally {
    await customer.close();
    child!.kill('SIGTERM');
  }
  const r = await run;
  assert.equal(r.code, 0, r.stderr.slice(0, 3000));
  assertQuiet(r.stderr);
});

test('frame screen: NIP-01 messages pass, each kind of garbage is named', () => {
  const event = { id: 'a'.repeat(64), pubkey: 'b'.repeat(64), sig: 'c'.repeat(128), kind: 1, created_at: 1, content: '', tags: [['e', 'x']] };
  assert.equal(screenFrame(JSON.stringify(['EVENT', 's', event])), null);
  assert.equal(screenFrame('["EOSE","s"]'), null);
  assert.equal(screenFrame('["OK","id",true,""]'), null);
  assert.equal(screenFrame('["NOTICE","hi"]'), null);
  assert.equal(screenFrame('null'), 'not a message array');
  assert.equal(screenFrame('{'), 'not JSON');
  assert.equal(screenFrame('["HELLO"]'), 'unknown message type');
  assert.equal(screenFrame('["EVENT","s",null]'), 'malformed event');
  assert.equal(screenFrame(JSON.stringify(['EVENT', 's', { ...event, tags: [[1]] }])), 'malformed event');
  assert.equal(screenFrame('["EVENT"]'), 'malformed EVENT');
  assert.equal(screenFrame('["OK"]'), 'malformed OK/EOSE/CLOSED/NOTICE/AUTH/COUNT');
});
