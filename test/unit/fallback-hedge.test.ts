// Hedging decisions with scripted lanes and an injected hedge timer (fired by
// the test, never a guessed sleep): who wins, that the loser is stopped, that
// only the winner's tokens reach the stream, that consent is asked first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FallbackManager, type FallbackRequest } from '../../src/fallback/fallback-manager';
import { DEFAULT_FALLBACK_CONFIG } from '../../src/fallback/config';
import { localError, swarmError } from '../../src/run/errors';
import type { RunEvent } from '../../src/run/events';
import type { LocalLane, LocalOutcome } from '../../src/local/types';
import type { SwarmLane, SwarmOutcome } from '../../src/swarm/types';

const request: FallbackRequest = {
  prompt: 'explain x',
  model: 'llama3',
  ollamaHost: 'http://127.0.0.1:1',
  swarm: { relays: ['ws://127.0.0.1:1'], providers: [], encrypt: false, timeoutMs: 1000, offerWindowMs: 0 },
};

function gate<T = void>() {
  let open!: (v: T) => void;
  const p = new Promise<T>((r) => (open = r));
  return { p, open };
}

/** A timer the test fires itself. */
function manualTimer() {
  let fire: (() => void) | null = null;
  let armed = gate();
  return {
    setTimer: (fn: () => void) => {
      fire = fn;
      armed.open();
      return () => (fire = null);
    },
    async fire() {
      await armed.p;
      const f = fire;
      assert.ok(f, 'the hedge timer was cancelled before it could fire');
      f();
      armed = gate();
    },
    get cancelled() {
      return fire === null;
    },
  };
}

/** A local lane that waits for `release` before its first token, and reports its abort. */
function slowLocal() {
  const release = gate<string[] | 'fail'>();
  const aborted = gate();
  const lane: LocalLane = {
    async run(_req, signal, onToken) {
      signal.addEventListener('abort', () => aborted.open(), { once: true });
      const r = await Promise.race([release.p, new Promise<'aborted'>((res) => signal.addEventListener('abort', () => res('aborted'), { once: true }))]);
      if (r === 'aborted') return { ok: false, error: localError('cancelled', 'Cancelled'), partial: '', ttftMs: null, durationMs: 1 };
      if (r === 'fail') return { ok: false, error: localError('timeout', 'no first token within 30 s'), partial: '', ttftMs: null, durationMs: 1 };
      for (const t of r) onToken(t);
      return { ok: true, response: r.join(''), ttftMs: 1, durationMs: 2 };
    },
  };
  return { lane, release: release.open, aborted: aborted.p };
}

const swarmOk: SwarmOutcome = {
  ok: true,
  jobId: 'a'.repeat(64),
  provider: 'b'.repeat(64),
  costMsats: 0,
  feesMsats: 0,
  paymentBolt11: null,
  paymentPreimage: null,
  response: 'swarm answer',
  ttftMs: 1,
  durationMs: 1,
};
const swarmCancelled: SwarmOutcome = {
  ok: false,
  error: swarmError('cancelled', 'cancelled; the job was withdrawn from the relays (kind-5 deletion)'),
  jobId: 'a'.repeat(64),
  provider: null,
  costMsats: 0,
  feesMsats: 0,
  paymentBolt11: null,
  partial: '',
  durationMs: 1,
};

/** A swarm lane that streams a token when `release` is called, or reports being stopped. */
function slowSwarm() {
  const release = gate();
  const started = gate();
  const stopped = gate();
  let calls = 0;
  const lane: SwarmLane = {
    async run(_req, deps, signal) {
      calls++;
      started.open();
      const r = await Promise.race([
        release.p.then(() => 'go' as const),
        new Promise<'stop'>((res) => signal.addEventListener('abort', () => res('stop'), { once: true })),
      ]);
      if (r === 'stop') {
        stopped.open();
        return swarmCancelled;
      }
      deps.emit({ type: 'token', lane: 'swarm', text: 'swarm answer' });
      return swarmOk;
    },
  };
  return { lane, release: release.open, started: started.p, stopped: stopped.p, calls: () => calls };
}

function start(local: LocalLane, swarm: SwarmLane, timer: ReturnType<typeof manualTimer>, over: Partial<FallbackRequest> = {}) {
  const events: RunEvent[] = [];
  const trace = new FallbackManager({ local, swarm }, timer.setTimer).run(
    { ...DEFAULT_FALLBACK_CONFIG, hedgeAfterSecs: 3 },
    { ...request, ...over },
    { secretKey: new Uint8Array(32), payer: {} as never },
    (e) => events.push(e),
    new AbortController().signal,
  );
  return { trace, events };
}

/** A consent answer that is always `answer`, keeping the reason of every question. */
function consent(answer: boolean) {
  const reasons: string[] = [];
  const confirmSwarm: FallbackRequest['confirmSwarm'] = async (o) => {
    reasons.push(o.reason);
    return answer;
  };
  return { confirmSwarm, reasons };
}

/** The usual race: a slow local lane, a slow swarm lane and the hedge timer; `over` goes into the request. */
function hedgeRace(over: Partial<FallbackRequest> = {}) {
  const local = slowLocal();
  const swarm = slowSwarm();
  const timer = manualTimer();
  return { local, swarm, timer, ...start(local.lane, swarm.lane, timer, over) };
}

const tokens = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'token' ? [`${e.lane}:${e.text}`] : []));

test('no local token by the hedge time: the swarm starts; its first token wins and the local request is aborted', async () => {
  const { local, swarm, timer, trace, events } = hedgeRace();
  await timer.fire();
  await swarm.started;
  swarm.release();
  await local.aborted;
  const t = await trace;
  assert.equal(t.result.lane, 'swarm');
  assert.equal(t.result.hedged, true);
  assert.equal(t.result.hedgeWinner, 'swarm');
  assert.deepEqual(tokens(events), ['swarm:swarm answer']);
  assert.deepEqual(t.hedge, { winner: 'swarm', loserOutcome: 'stopped' });
  assert.ok(!t.local!.ok && t.local!.error.message === 'stopped: the swarm answered first');
  assert.ok(events.some((e) => e.type === 'status' && e.state === 'hedge'));
});

test('the local token comes first after the hedge started: local wins, the swarm job is stopped, no swarm token shown', async () => {
  const { local, swarm, timer, trace, events } = hedgeRace();
  await timer.fire();
  await swarm.started;
  local.release(['local ', 'answer']);
  await swarm.stopped;
  const t = await trace;
  assert.equal(t.result.lane, 'local');
  assert.equal(t.result.hedged, true);
  assert.equal(t.result.hedgeWinner, 'local');
  assert.deepEqual(tokens(events), ['local:local ', 'local:answer']);
  assert.deepEqual(t.hedge, { winner: 'local', loserOutcome: 'stopped' });
});

test('a local token before the hedge time: the timer is cancelled and the swarm never starts', async () => {
  const swarm = slowSwarm();
  const timer = manualTimer();
  const local: LocalLane = {
    async run(_r, _s, onToken) {
      onToken('quick');
      return { ok: true, response: 'quick', ttftMs: 1, durationMs: 1 } satisfies LocalOutcome;
    },
  };
  const { trace } = start(local, swarm.lane, timer);
  const t = await trace;
  assert.equal(t.result.lane, 'local');
  assert.equal(t.result.hedged, undefined);
  assert.equal(swarm.calls(), 0);
  assert.equal(timer.cancelled, true);
});

test('consent is asked before the hedge job goes out; declined: local goes on alone and its answer is kept', async () => {
  const { confirmSwarm, reasons: asked } = consent(false);
  const { local, swarm, timer, trace } = hedgeRace({ confirmSwarm });
  await timer.fire();
  await new Promise<void>((r) => setImmediate(r));
  local.release(['late ', 'local']);
  const t = await trace;
  assert.equal(asked.length, 1);
  assert.match(asked[0], /hedging/);
  assert.equal(swarm.calls(), 0, 'nothing sent without consent');
  assert.equal(t.result.lane, 'local');
  assert.deepEqual(t.hedge, { winner: 'local', loserOutcome: 'declined' });
});

test('local fails before any token while the hedge job runs: the swarm answer is the fallback, consent not asked twice', async () => {
  const { confirmSwarm, reasons: asked } = consent(true);
  const { local, swarm, timer, trace, events } = hedgeRace({ confirmSwarm });
  await timer.fire();
  await swarm.started;
  local.release('fail');
  await new Promise<void>((r) => setImmediate(r));
  swarm.release();
  const t = await trace;
  assert.equal(t.result.lane, 'swarm');
  assert.equal(asked.length, 1);
  assert.equal(swarm.calls(), 1);
  assert.ok(events.some((e) => e.type === 'status' && e.state === 'fallback' && /no first token/.test(e.message)));
  assert.deepEqual(t.hedge, { winner: 'swarm', loserOutcome: 'failed' });
});

test('local wins the hedge, then breaks mid-answer: a fresh swarm job is the fallback, without asking consent again', async () => {
  const timer = manualTimer();
  const release = gate();
  const local: LocalLane = {
    async run(_r, signal, onToken) {
      await Promise.race([release.p, new Promise((res) => signal.addEventListener('abort', res, { once: true }))]);
      onToken('half ');
      return { ok: false, error: localError('failed', 'the connection broke'), partial: 'half ', ttftMs: 1, durationMs: 2 };
    },
  };
  const runs: string[] = [];
  const hedgeSwarm = slowSwarm();
  let call = 0;
  const swarm: SwarmLane = {
    async run(req, deps, signal) {
      call++;
      runs.push(signal.aborted ? 'aborted' : 'live');
      if (call === 1) return hedgeSwarm.lane.run(req, deps, signal);
      deps.emit({ type: 'token', lane: 'swarm', text: 'swarm answer' });
      return swarmOk;
    },
  };
  const { confirmSwarm, reasons: asked } = consent(true);
  const { trace, events } = start(local, swarm, timer, { confirmSwarm });
  await timer.fire();
  await hedgeSwarm.started;
  release.open();
  await hedgeSwarm.stopped;
  const t = await trace;
  assert.equal(t.result.lane, 'swarm');
  assert.equal(t.result.lane === 'swarm' && t.result.localPartial, 'half ');
  assert.equal(call, 2, 'the stopped hedge job, then a fresh one');
  assert.equal(asked.length, 1, 'consent was given once, for the hedge');
  assert.deepEqual(tokens(events), ['local:half ', 'swarm:swarm answer']);
  assert.ok(events.some((e) => e.type === 'status' && e.state === 'fallback' && /after 1 word: the connection broke/.test(e.message)));
});
