import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OllamaLane } from '../../src/local/ollama-lane';
import type { LocalOutcome, LocalRequest } from '../../src/local/types';
import { quietFor } from '../support/quiet';
import { closedPort, startOllamaStandin, type OllamaStandin, type RecordedRequest } from '../support/ollama-standin';

const MODEL = 'llama3.2';

async function withStandin(fn: (s: OllamaStandin) => Promise<void>, models: Parameters<typeof startOllamaStandin>[0] = {}) {
  const standin = await startOllamaStandin(models);
  try {
    await fn(standin);
  } finally {
    await standin.stop();
  }
}

function req(host: string, over: Partial<LocalRequest> = {}): LocalRequest {
  return { prompt: 'Say hello', model: MODEL, host, timeoutMs: 10_000, ...over };
}

async function run(request: LocalRequest, signal = new AbortController().signal, lane = new OllamaLane()) {
  const tokens: string[] = [];
  const t0 = performance.now();
  const outcome = await lane.run(request, signal, (t) => tokens.push(t));
  return { outcome, tokens, elapsed: performance.now() - t0 };
}

function failure(outcome: LocalOutcome) {
  assert.equal(outcome.ok, false, `expected a failure, got ${JSON.stringify(outcome)}`);
  if (outcome.ok) throw new Error('unreachable');
  return outcome;
}

/** The stand-in saw the client close the connection before the response ended. */
async function assertClosedEarly(r: RecordedRequest) {
  await Promise.race([r.settled, new Promise((res) => setTimeout(res, 2000))]);
  assert.equal(r.closedEarly, true, 'the HTTP request to Ollama was not aborted');
}

test('streams tokens in order; the response is their concatenation; ttft and duration recorded', async () => {
  const tokens = ['Hel', 'lo', ', ', 'wor', 'ld', '!'];
  await withStandin(
    async (s) => {
      const { outcome, tokens: got } = await run(req(s.url, { system: 'Be brief.' }));
      assert.deepEqual(got, tokens);
      assert.ok(outcome.ok, JSON.stringify(outcome));
      assert.equal(outcome.response, 'Hello, world!');
      assert.equal(typeof outcome.ttftMs, 'number');
      assert.ok(outcome.ttftMs! >= 0 && outcome.ttftMs! <= outcome.durationMs);
      // tokens arrive 30 ms apart, so the first one came well before the end
      assert.ok(outcome.durationMs - outcome.ttftMs! >= 100, `ttft ${outcome.ttftMs} duration ${outcome.durationMs}`);
      const r = s.requests.find((x) => x.path === '/api/chat')!;
      assert.deepEqual(r.body, {
        model: MODEL,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hello' },
        ],
        stream: true,
      });
      assert.equal(r.finished, true);
    },
    { models: { [MODEL]: { tokens, tokenDelayMs: 30 } } },
  );
});

test('nothing listening → unavailable, quickly, telling the user to start ollama', async () => {
  const host = `http://127.0.0.1:${await closedPort()}`;
  const { outcome, elapsed } = await run(req(host, { timeoutMs: 30_000 }));
  const f = failure(outcome);
  assert.equal(f.error.kind, 'unavailable');
  assert.match(f.error.message, /not running/);
  assert.ok(f.error.message.includes(host));
  assert.match(f.error.message, /ollama serve/);
  assert.equal(f.partial, '');
  assert.equal(f.ttftMs, null);
  assert.ok(elapsed < 2000, `took ${elapsed} ms`);
});

test('a port fetch refuses outright (port 1) → unavailable, saying why', async () => {
  const { outcome, elapsed } = await run(req('http://127.0.0.1:1', { timeoutMs: 30_000 }));
  const f = failure(outcome);
  assert.equal(f.error.kind, 'unavailable');
  assert.match(f.error.message, /bad port/);
  assert.ok(elapsed < 2000, `took ${elapsed} ms`);
});

test('unknown model → model-missing naming the model, quickly', async () => {
  await withStandin(async (s) => {
    const { outcome, elapsed } = await run(req(s.url, { model: 'mistral-nemo', timeoutMs: 30_000 }));
    const f = failure(outcome);
    assert.equal(f.error.kind, 'model-missing');
    assert.match(f.error.message, /"mistral-nemo"/);
    assert.match(f.error.message, /ollama pull mistral-nemo/);
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  });
});

test('a daemon that accepts and never answers → timeout near timeoutMs, and the request is closed', async () => {
  await withStandin(
    async (s) => {
      const { outcome, elapsed } = await run(req(s.url, { timeoutMs: 300 }));
      const f = failure(outcome);
      assert.equal(f.error.kind, 'timeout');
      assert.ok(elapsed >= 250 && elapsed < 5000, `took ${elapsed} ms`);
      assert.equal(f.partial, '');
      await assertClosedEarly(s.requests.find((r) => r.path === '/api/chat')!);
    },
    { models: { [MODEL]: { hang: true } } },
  );
});

test('a cold load (slow first token) within the timeout succeeds', async () => {
  await withStandin(
    async (s) => {
      const { outcome } = await run(req(s.url, { timeoutMs: 5000 }));
      assert.ok(outcome.ok, JSON.stringify(outcome));
      assert.equal(outcome.response, 'ready now');
      assert.ok(outcome.ttftMs! >= 550, `ttft ${outcome.ttftMs}`);
    },
    { models: { [MODEL]: { reply: 'ready now', loadDelayMs: 600 } } },
  );
});

test('a cold load longer than the timeout → timeout, not a wait for the load', async () => {
  await withStandin(
    async (s) => {
      const { outcome, elapsed } = await run(req(s.url, { timeoutMs: 300 }));
      const f = failure(outcome);
      assert.equal(f.error.kind, 'timeout');
      assert.ok(elapsed >= 250 && elapsed < 2500, `took ${elapsed} ms`);
      assert.match(f.error.message, /no answer within 0\.3s/);
    },
    { models: { [MODEL]: { reply: 'too late', loadDelayMs: 4000 } } },
  );
});

test('timeoutMs still bounds the whole call when given (provider mode): a stream going at timeoutMs → timeout with the partial', async () => {
  await withStandin(
    async (s) => {
      const { outcome, tokens, elapsed } = await run(req(s.url, { timeoutMs: 400 }));
      const f = failure(outcome);
      assert.equal(f.error.kind, 'timeout');
      assert.ok(tokens.length >= 1 && tokens.length < 10);
      assert.equal(f.partial, tokens.join(''));
      assert.ok(elapsed < 3000, `took ${elapsed} ms`);
      await assertClosedEarly(s.requests.find((r) => r.path === '/api/chat')!);
    },
    { models: { [MODEL]: { tokens: Array.from({ length: 10 }, (_, i) => `t${i} `), tokenDelayMs: 150 } } },
  );
});

test('a crash mid-stream → failed, keeping the text streamed so far', async () => {
  await withStandin(
    async (s) => {
      const { outcome, tokens } = await run(req(s.url));
      const f = failure(outcome);
      assert.equal(f.error.kind, 'failed');
      assert.deepEqual(tokens, ['One ', 'two ']);
      assert.equal(f.partial, 'One two ');
      assert.equal(typeof f.ttftMs, 'number');
      assert.match(f.error.message, /middle of the answer/);
    },
    { models: { [MODEL]: { tokens: ['One ', 'two ', 'three ', 'four'], tokenDelayMs: 10, crashAfterTokens: 2 } } },
  );
});

test("an in-band error line mid-stream → failed with Ollama's message and the partial text", async () => {
  await withStandin(
    async (s) => {
      const { outcome } = await run(req(s.url));
      const f = failure(outcome);
      assert.equal(f.error.kind, 'failed');
      assert.equal(f.partial, 'a b ');
      assert.match(f.error.message, /llama runner process has terminated/);
    },
    {
      models: {
        [MODEL]: { tokens: ['a ', 'b ', 'c'], streamErrorAfterTokens: { after: 2, error: 'llama runner process has terminated: exit status 2' } },
      },
    },
  );
});

test("HTTP 500 → failed with the body's error", async () => {
  await withStandin(
    async (s) => {
      const { outcome, elapsed } = await run(req(s.url));
      const f = failure(outcome);
      assert.equal(f.error.kind, 'failed');
      assert.match(f.error.message, /500/);
      assert.match(f.error.message, /model requires more system memory/);
      assert.equal(f.partial, '');
      assert.ok(elapsed < 2000);
    },
    { models: { [MODEL]: { httpError: { status: 500, error: 'model requires more system memory (9.1 GiB) than is available (4.0 GiB)' } } } },
  );
});

test('a URL that is not an Ollama API (plain-text 404) → failed, not model-missing', async () => {
  await withStandin(async (s) => {
    const { outcome } = await run(req(`${s.url}/not-ollama`));
    const f = failure(outcome);
    assert.equal(f.error.kind, 'failed');
    assert.match(f.error.message, /404 page not found/);
  });
});

test('cancel mid-stream → cancelled, partial kept, and Ollama sees the connection closed', async () => {
  const tokens = Array.from({ length: 40 }, (_, i) => `w${i} `);
  await withStandin(
    async (s) => {
      const ac = new AbortController();
      const lane = new OllamaLane();
      const got: string[] = [];
      const outcome = await lane.run(req(s.url), ac.signal, (t) => {
        got.push(t);
        if (got.length === 2) ac.abort();
      });
      const f = failure(outcome);
      assert.equal(f.error.kind, 'cancelled');
      assert.equal(f.partial, 'w0 w1 ');
      const r = s.requests.find((x) => x.path === '/api/chat')!;
      await assertClosedEarly(r);
      assert.ok(r.tokensSent < tokens.length, `the stand-in sent all ${r.tokensSent} tokens`);
      // nothing more is delivered after the cancel
      await quietFor(150);
      assert.equal(got.length, 2);
    },
    { models: { [MODEL]: { tokens, tokenDelayMs: 40 } } },
  );
});

test('cancel before the headers (hung daemon) → cancelled promptly, request closed', async () => {
  await withStandin(
    async (s) => {
      const ac = new AbortController();
      const pending = run(req(s.url, { timeoutMs: 30_000 }), ac.signal);
      const r = await s.waitForRequest((x) => x.path === '/api/chat');
      const t0 = performance.now();
      ac.abort();
      const { outcome } = await pending;
      const sinceCancel = performance.now() - t0;
      const f = failure(outcome);
      assert.equal(f.error.kind, 'cancelled');
      assert.ok(sinceCancel < 1000, `cancel took ${sinceCancel} ms`);
      await assertClosedEarly(r);
    },
    { models: { [MODEL]: { hang: true } } },
  );
});

test('an already-cancelled signal → cancelled without calling Ollama', async () => {
  await withStandin(async (s) => {
    const ac = new AbortController();
    ac.abort();
    const { outcome } = await run(req(s.url), ac.signal);
    assert.equal(failure(outcome).error.kind, 'cancelled');
    await quietFor(50);
    assert.equal(s.requests.length, 0);
  });
});

test('stallTimeoutMs: a stream that goes quiet → timeout before timeoutMs, partial kept', async () => {
  await withStandin(
    async (s) => {
      const lane = new OllamaLane({ stallTimeoutMs: 250 });
      const { outcome, elapsed } = await run(req(s.url, { timeoutMs: 20_000 }), undefined, lane);
      const f = failure(outcome);
      assert.equal(f.error.kind, 'timeout');
      assert.equal(f.partial, 'first ');
      assert.match(f.error.message, /sent nothing for 0\.25 s after 1 word$/);
      assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    },
    { models: { [MODEL]: { tokens: ['first ', 'second'], tokenDelayMs: 5000 } } },
  );
});

test('run() returns an outcome, never throws, for an invalid host', async () => {
  const { outcome } = await run(req('http://[not a host'));
  const f = failure(outcome);
  assert.equal(f.error.kind, 'failed');
  assert.match(f.error.message, /not a valid URL/);
});

test('messages, when given, are sent to /api/chat as they are (a conversation), prompt and system unused', async () => {
  await withStandin(async (s) => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'What is 2+2?' },
      { role: 'assistant' as const, content: '4' },
      { role: 'user' as const, content: 'And times 3?' },
    ];
    const { outcome } = await run(req(s.url, { messages, prompt: 'ignored' }));
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const r = s.requests.find((x) => x.path === '/api/chat')!;
    assert.deepEqual((r.body as { messages: unknown }).messages, messages);
    assert.equal(
      s.requests.some((x) => x.path === '/api/generate'),
      false,
    );
  });
});
