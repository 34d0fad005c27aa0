// Deadlines that fit streaming, against the Ollama stand-in over real HTTP:
// the first-token deadline covers connecting, queueing and loading; after
// the first token only the stall watchdog applies, so a healthy slow stream
// is never cut. Streams are paced (20 ms a token) but run well past the
// deadlines they must survive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OllamaLane } from '../../src/local/ollama-lane';
import type { LocalOutcome, LocalProgress, LocalRequest } from '../../src/local/types';
import { startOllamaStandin, wordTokens, type OllamaStandin, type OllamaStandinOptions } from '../support/ollama-standin';

const MODEL = 'llama3';

async function withStandin(options: OllamaStandinOptions, fn: (s: OllamaStandin) => Promise<void>) {
  const s = await startOllamaStandin(options);
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

function req(host: string, over: Partial<LocalRequest> = {}): LocalRequest {
  return { prompt: 'Say a lot', model: MODEL, host, timeoutMs: 0, firstTokenTimeoutMs: 1500, stallTimeoutMs: 250, ...over };
}

async function run(request: LocalRequest, signal = new AbortController().signal, onToken?: () => void) {
  const tokens: string[] = [];
  const progress: LocalProgress[] = [];
  const outcome = await new OllamaLane().run(
    request,
    signal,
    (t) => {
      tokens.push(t);
      onToken?.();
    },
    (p) => progress.push(p),
  );
  return { outcome, tokens, progress };
}

function failure(outcome: LocalOutcome) {
  if (outcome.ok) assert.fail(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome;
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i} `);

test('a steady slow stream lasting many times the first-token and stall deadlines completes in full', async () => {
  const tokens = words(120); // 120 × 25 ms ≈ 3 s against a 2 s first-token and a 1 s stall deadline
  await withStandin({ models: { [MODEL]: { tokens, tokenDelayMs: 25 } } }, async (s) => {
    const { outcome, tokens: got } = await run(req(s.url, { firstTokenTimeoutMs: 2000, stallTimeoutMs: 1000 }));
    // (the stream outlasts the 2 s first-token deadline: it only covered the first token)
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.response, tokens.join(''));
    assert.deepEqual(got, tokens);
    assert.ok(outcome.durationMs > 2000, `the stream ran ${outcome.durationMs} ms, past both deadlines`);
    assert.equal(outcome.stats?.evalCount, 120);
    assert.ok((outcome.stats?.tokensPerSec ?? 0) > 0, JSON.stringify(outcome.stats));
  });
});

test('a stream that stalls after 3 tokens → timeout "sent nothing for 0.25 s after 3 words", partial kept, request closed', async () => {
  await withStandin({ models: { [MODEL]: { tokens: words(10), tokenDelayMs: 20, stallAfterTokens: 3 } } }, async (s) => {
    const { outcome, tokens } = await run(req(s.url));
    const f = failure(outcome);
    assert.equal(f.error.kind, 'timeout');
    assert.match(f.error.message, /sent nothing for 0\.25 s after 3 words$/);
    assert.equal(f.partial, 'w0 w1 w2 ');
    assert.equal(tokens.length, 3);
    const chat = s.requests.find((r) => r.path === '/api/generate' || r.path === '/api/chat')!;
    await chat.settled;
    assert.equal(chat.closedEarly, true, 'the stalled request was aborted');
  });
});

test('a model that is not loaded and misses the first-token deadline says so (Ollama /api/ps did not list it)', async () => {
  await withStandin({ models: { [MODEL]: { coldLoadMs: 60_000 } } }, async (s) => {
    const { outcome, progress } = await run(req(s.url, { firstTokenTimeoutMs: 250 }));
    const f = failure(outcome);
    assert.equal(f.error.kind, 'timeout');
    assert.equal(f.error.message, 'no first token within 0.25 s — llama3 was not loaded, Ollama may still be loading it');
    assert.deepEqual(progress, [{ type: 'loaded', model: MODEL, loaded: false }]);
    assert.ok(s.requests.some((r) => r.path === '/api/ps'));
  });
});

test('a cold load within the first-token deadline succeeds and reports its load duration', async () => {
  await withStandin({ models: { [MODEL]: { coldLoadMs: 300, reply: 'loaded and ready' } } }, async (s) => {
    assert.deepEqual(s.loadedModels(), []);
    const { outcome } = await run(req(s.url, { firstTokenTimeoutMs: 10_000 }));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.response, 'loaded and ready');
    assert.ok((outcome.stats?.loadMs ?? 0) >= 290, JSON.stringify(outcome.stats));
    assert.deepEqual(s.loadedModels(), ['llama3:latest'], 'listed in /api/ps once loaded');
  });
});

test('a loaded model queued behind another request → "Ollama was busy with another request"', async () => {
  await withStandin({ serial: true, models: { [MODEL]: { tokens: words(200), tokenDelayMs: 20 } } }, async (s) => {
    const first = new AbortController();
    let streaming!: () => void;
    const started = new Promise<void>((r) => (streaming = r));
    const running = run(req(s.url, { firstTokenTimeoutMs: 10_000, stallTimeoutMs: 10_000 }), first.signal, () => streaming());
    await started;
    const { outcome, progress } = await run(req(s.url, { firstTokenTimeoutMs: 250 }));
    const f = failure(outcome);
    assert.equal(f.error.kind, 'timeout');
    assert.match(f.error.message, /^no first token within 0\.25 s — llama3 was loaded, so Ollama was busy with another request/);
    assert.deepEqual(progress, [{ type: 'loaded', model: MODEL, loaded: true }]);
    first.abort();
    assert.equal(failure((await running).outcome).error.kind, 'cancelled');
  });
});

test('a crash after 2 tokens → failed, "after 2 words", partial kept', async () => {
  await withStandin({ models: { [MODEL]: { tokens: wordTokens('one two three four'), tokenDelayMs: 20, crashAfterTokens: 2 } } }, async (s) => {
    const f = failure((await run(req(s.url))).outcome);
    assert.equal(f.error.kind, 'failed');
    assert.match(f.error.message, /broke in the middle of the answer after 2 words/);
    assert.equal(f.partial, 'one two ');
  });
});
