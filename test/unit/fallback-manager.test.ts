// Decision logic of the FallbackManager with scripted lanes: which lane runs,
// what is reported, and what is never done (no swarm after a streamed local
// token, no swarm for local-only). Lanes against real parts are tested in
// local-lane, swarm-lane and cli tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FallbackManager, FALLBACK_DISABLED, SWARM_DECLINED, type FallbackRequest } from '../../src/fallback/fallback-manager';
import { DEFAULT_FALLBACK_CONFIG, type FallbackConfig } from '../../src/fallback/config';
import { MODES } from '../../src/settings-schema';
import { ConfigError, localError, swarmError, type LocalErrorKind } from '../../src/run/errors';
import type { RunEvent } from '../../src/run/events';
import type { LocalLane, LocalOutcome } from '../../src/local/types';
import type { SwarmLane, SwarmOutcome } from '../../src/swarm/types';

const request: FallbackRequest = {
  prompt: 'explain x',
  model: 'llama3',
  ollamaHost: 'http://127.0.0.1:1',
  swarm: { relays: ['ws://127.0.0.1:1'], providers: [], encrypt: false, timeoutMs: 1000, offerWindowMs: 0 },
};

function localLane(outcome: LocalOutcome, tokens: string[] = []) {
  const calls: unknown[] = [];
  const lane: LocalLane = {
    async run(req, _signal, onToken) {
      calls.push(req);
      for (const t of tokens) onToken(t);
      return outcome;
    },
  };
  return { lane, calls };
}

function swarmLane(outcome: SwarmOutcome) {
  const calls: unknown[] = [];
  const lane: SwarmLane = {
    async run(req) {
      calls.push(req);
      return outcome;
    },
  };
  return { lane, calls };
}

const localOk: LocalOutcome = { ok: true, response: 'local answer', ttftMs: 5, durationMs: 10 };
const localFail = (kind: LocalErrorKind, partial = ''): LocalOutcome => ({
  ok: false,
  error: localError(kind, `local ${kind}`),
  partial,
  ttftMs: null,
  durationMs: 3,
});
const swarmOk: SwarmOutcome = {
  ok: true,
  jobId: 'a'.repeat(64),
  provider: 'b'.repeat(64),
  costMsats: 500,
  feesMsats: 1,
  paymentBolt11: 'lnbc…',
  paymentPreimage: 'c'.repeat(64),
  response: 'swarm answer',
  ttftMs: 20,
  durationMs: 30,
};
const swarmFail = (kind: Parameters<typeof swarmError>[0], message: string): SwarmOutcome => ({
  ok: false,
  error: swarmError(kind, message),
  jobId: null,
  provider: null,
  costMsats: 0,
  feesMsats: 0,
  paymentBolt11: null,
  partial: '',
  durationMs: 5,
});

async function run(config: Partial<FallbackConfig>, local: LocalLane, swarm: SwarmLane, signal = new AbortController().signal) {
  const events: RunEvent[] = [];
  const trace = await new FallbackManager({ local, swarm }).run(
    { ...DEFAULT_FALLBACK_CONFIG, ...config },
    request,
    { secretKey: new Uint8Array(32), payer: { pay: async () => ({ ok: false, kind: 'payment-failed', message: 'no' }) } },
    (e) => events.push(e),
    signal,
  );
  return { trace, events };
}

test('default mode: local success answers locally and never contacts the swarm', async () => {
  const l = localLane(localOk, ['local ', 'answer']);
  const s = swarmLane(swarmOk);
  const { trace, events } = await run({}, l.lane, s.lane);
  assert.equal(trace.result.lane, 'local');
  assert.equal(trace.result.lane === 'local' && trace.result.response, 'local answer');
  assert.equal(s.calls.length, 0);
  assert.deepEqual(
    events.filter((e) => e.type === 'token').map((e) => e.type === 'token' && e.text),
    ['local ', 'answer'],
  );
  assert.equal(events.at(-1)?.type, 'done');
});

for (const kind of ['unavailable', 'model-missing', 'timeout', 'failed'] as const) {
  test(`default mode: local ${kind} before any token falls back to the swarm`, async () => {
    const l = localLane(localFail(kind));
    const s = swarmLane(swarmOk);
    const { trace, events } = await run({}, l.lane, s.lane);
    assert.equal(trace.result.lane, 'swarm');
    assert.equal(trace.swarmStart, 'fallback');
    assert.equal(s.calls.length, 1);
    const fallback = events.find((e) => e.type === 'status' && e.state === 'fallback');
    assert.ok(fallback && fallback.type === 'status' && fallback.message.includes(`local ${kind}`));
    assert.equal(trace.result.lane === 'swarm' && trace.result.costMsats, 500);
  });
}

test('default mode: a failure after tokens still goes to the swarm; the half answer is localPartial, never the answer', async () => {
  const l = localLane(localFail('failed', 'half an ans'), ['half ', 'an ans']);
  const s = swarmLane(swarmOk);
  const { trace, events } = await run({}, l.lane, s.lane);
  assert.equal(s.calls.length, 1);
  assert.equal(trace.result.lane, 'swarm');
  if (trace.result.lane !== 'swarm') return;
  assert.equal(trace.result.response, 'swarm answer');
  assert.equal(trace.result.localPartial, 'half an ans');
  const fallback = events.find((e) => e.type === 'status' && e.state === 'fallback');
  assert.equal(fallback?.type === 'status' && fallback.message, 'Local inference failed after 3 words: local failed - falling back to marketplace');
});

for (const mode of [{ mode: 'local-no-fallback' }, { mode: 'local-only' }] as Partial<FallbackConfig>[]) {
  test(`${JSON.stringify(mode)}: a failure after tokens fails the run; the partial stays the failed answer`, async () => {
    const s = swarmLane(swarmOk);
    const { trace } = await run(mode, localLane(localFail('timeout', 'half an ans'), ['half ', 'an ans']).lane, s.lane);
    assert.equal(s.calls.length, 0);
    assert.equal(trace.result.lane, 'failed');
    if (trace.result.lane !== 'failed') return;
    assert.equal(trace.result.partialResponse, 'half an ans');
    assert.equal(trace.result.localPartial, 'half an ans');
  });
}

test('default mode: local and swarm both fail → Failed with both reasons', async () => {
  const { trace } = await run({}, localLane(localFail('unavailable')).lane, swarmLane(swarmFail('no-relay', 'no relay reachable')).lane);
  assert.deepEqual(
    {
      lane: trace.result.lane,
      ...(trace.result.lane === 'failed'
        ? { l: trace.result.localError, s: trace.result.swarmError, lk: trace.result.localErrorKind, sk: trace.result.swarmErrorKind }
        : {}),
    },
    { lane: 'failed', l: 'local unavailable', s: 'no relay reachable', lk: 'unavailable', sk: 'no-relay' },
  );
});

test('swarm only: no local attempt, swarm result returned', async () => {
  const l = localLane(localOk);
  const s = swarmLane(swarmOk);
  const { trace } = await run({ mode: 'swarm-only' }, l.lane, s.lane);
  assert.equal(l.calls.length, 0);
  assert.equal(trace.local, null);
  assert.equal(trace.swarmStart, 'direct');
  assert.equal(trace.result.lane, 'swarm');
});

test('each mode is its own plan: which lanes a failing local run reaches', async () => {
  const seen: Record<string, { local: number; swarm: number; swarmError: string | null | undefined }> = {};
  for (const mode of MODES) {
    const l = localLane(localFail('unavailable'));
    const s = swarmLane(swarmOk);
    const { trace } = await run({ mode }, l.lane, s.lane);
    seen[mode] = { local: l.calls.length, swarm: s.calls.length, swarmError: trace.result.lane === 'failed' ? trace.result.swarmError : undefined };
  }
  assert.deepEqual(seen, {
    fallback: { local: 1, swarm: 1, swarmError: undefined },
    'local-only': { local: 1, swarm: 0, swarmError: null },
    'swarm-only': { local: 0, swarm: 1, swarmError: undefined },
    'local-no-fallback': { local: 1, swarm: 0, swarmError: FALLBACK_DISABLED },
  });
});

test('local only: a local failure does not reach the swarm; swarmError is null', async () => {
  const s = swarmLane(swarmOk);
  const { trace } = await run({ mode: 'local-only' }, localLane(localFail('unavailable')).lane, s.lane);
  assert.equal(s.calls.length, 0);
  assert.equal(trace.result.lane === 'failed' && trace.result.swarmError, null);
});

test('fallback disabled: local once, swarm error says "fallback disabled"', async () => {
  const s = swarmLane(swarmOk);
  const { trace } = await run({ mode: 'local-no-fallback' }, localLane(localFail('model-missing')).lane, s.lane);
  assert.equal(s.calls.length, 0);
  assert.equal(trace.result.lane === 'failed' && trace.result.swarmError, FALLBACK_DISABLED);
  assert.equal(trace.result.lane === 'failed' && trace.result.localError, 'local model-missing');
});

test('an unknown mode is a configuration error, before any lane runs', async () => {
  const l = localLane(localOk);
  const s = swarmLane(swarmOk);
  await assert.rejects(
    () => run({ mode: 'local-then-maybe' as FallbackConfig['mode'] }, l.lane, s.lane),
    (e: unknown) => e instanceof ConfigError && /mode must be one of fallback, local-only, swarm-only, local-no-fallback/.test(e.message),
  );
  assert.equal(l.calls.length + s.calls.length, 0);
});

test('a price above the cap comes back as Failed, never as a thrown error, and passes the cap to the swarm', async () => {
  const s = swarmLane(swarmFail('price-too-high', 'provider asks 5000 msats, above the cap of 1000 msats'));
  const { trace } = await run({ mode: 'swarm-only', maxPriceMsats: 1000 }, localLane(localOk).lane, s.lane);
  assert.equal(trace.result.lane, 'failed');
  assert.match(trace.result.lane === 'failed' ? (trace.result.swarmError ?? '') : '', /5000 msats.*1000 msats/);
  assert.equal((s.calls[0] as { maxPriceMsats: number }).maxPriceMsats, 1000);
});

test('the local timeout is the first-token deadline; the stall setting the watchdog; no deadline on the whole answer', async () => {
  const l = localLane(localOk);
  await run({ localTimeoutSecs: 7, localStallSecs: 4 }, l.lane, swarmLane(swarmOk).lane);
  const sent = l.calls[0] as { timeoutMs: number; firstTokenTimeoutMs: number; stallTimeoutMs: number };
  assert.deepEqual([sent.firstTokenTimeoutMs, sent.stallTimeoutMs, sent.timeoutMs], [7000, 4000, 0]);
  const d = localLane(localOk);
  await run({ localTimeoutSecs: 7, localStallSecs: undefined }, d.lane, swarmLane(swarmOk).lane);
  assert.equal((d.calls[0] as { stallTimeoutMs: number }).stallTimeoutMs, 30_000, 'the stall default is 30 s');
});

test('a cancelled local attempt does not fall back to the swarm', async () => {
  const ac = new AbortController();
  ac.abort();
  const s = swarmLane(swarmOk);
  const { trace } = await run({}, localLane(localFail('cancelled')).lane, s.lane, ac.signal);
  assert.equal(s.calls.length, 0);
  assert.equal(trace.cancelled, true);
  assert.equal(trace.result.lane === 'failed' && trace.result.cancelled, true);
});

test('bad numbers in the config are configuration errors', async () => {
  await assert.rejects(() => run({ maxPriceMsats: -5 }, localLane(localOk).lane, swarmLane(swarmOk).lane), /maxPriceMsats must be a whole number ≥ 0, got -5/);
  await assert.rejects(() => run({ maxPriceMsats: 1.5 }, localLane(localOk).lane, swarmLane(swarmOk).lane), /maxPriceMsats/);
});

async function runWithConsent(config: Partial<FallbackConfig>, local: LocalLane, swarm: SwarmLane, answer: boolean) {
  const asked: unknown[] = [];
  const trace = await new FallbackManager({ local, swarm }).run(
    { ...DEFAULT_FALLBACK_CONFIG, ...config },
    { ...request, confirmSwarm: async (outbound) => (asked.push(outbound), answer) },
    { secretKey: new Uint8Array(32), payer: { pay: async () => ({ ok: false, kind: 'payment-failed', message: 'no' }) } },
    () => {},
    new AbortController().signal,
  );
  return { trace, asked };
}

test('consent declined after a local failure: nothing is sent to the swarm', async () => {
  const s = swarmLane(swarmOk);
  const { trace, asked } = await runWithConsent({}, localLane(localFail('unavailable')).lane, s.lane, false);
  assert.equal(s.calls.length, 0);
  assert.equal(asked.length, 1);
  assert.deepEqual(asked[0], {
    prompt: 'explain x',
    model: 'llama3',
    relays: ['ws://127.0.0.1:1'],
    providers: [],
    encrypt: false,
    maxPriceMsats: 1000,
    reason: 'local inference failed: local unavailable',
  });
  assert.equal(trace.result.lane === 'failed' && trace.result.swarmError, SWARM_DECLINED);
  assert.equal(trace.swarmStart, null);
});

test('consent is asked only when the swarm would be used, and granted consent runs it', async () => {
  const okLocal = await runWithConsent({}, localLane(localOk).lane, swarmLane(swarmOk).lane, false);
  assert.equal(okLocal.asked.length, 0, 'a local answer asks nothing');
  const s = swarmLane(swarmOk);
  const granted = await runWithConsent({ mode: 'swarm-only' }, localLane(localOk).lane, s.lane, true);
  assert.equal(granted.asked.length, 1);
  assert.equal(s.calls.length, 1);
  assert.equal(granted.trace.result.lane, 'swarm');
});

test('time spent waiting on consent is not part of the duration', async () => {
  const trace = await new FallbackManager({ local: localLane(localFail('unavailable')).lane, swarm: swarmLane(swarmOk).lane }).run(
    DEFAULT_FALLBACK_CONFIG,
    { ...request, confirmSwarm: () => new Promise((resolve) => setTimeout(() => resolve(true), 300)) },
    { secretKey: new Uint8Array(32), payer: { pay: async () => ({ ok: false, kind: 'payment-failed', message: 'no' }) } },
    () => {},
    new AbortController().signal,
  );
  assert.ok(trace.consentMs >= 280, `consent took ${trace.consentMs} ms`);
  assert.equal(trace.result.lane, 'swarm');
  assert.ok(trace.result.lane === 'swarm' && trace.result.durationMs < 250, 'duration excludes the 300 ms consent wait');
});
