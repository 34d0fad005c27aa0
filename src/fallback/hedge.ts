// Hedging (fallback mode, hedgeAfterSecs > 0): when the local model has sent
// no token N seconds after the request, the swarm job starts as well (after
// consent) while the local attempt goes on. The first lane to stream a token
// — or to finish — wins; the other is stopped at once: the Ollama request
// aborted, or the swarm job withdrawn (its kind-5 deletion; nothing is paid
// after that, so an offer arriving after local won is never paid). Only the
// winner's tokens reach the user.
import type { SwarmOutbound } from './swarm-outbound';
import type { Emit, RunEvent } from '../run/events';
import type { LocalLane, LocalOutcome, LocalRequest, LocalProgress } from '../local/types';
import type { SwarmDeps, SwarmLane, SwarmOutcome, SwarmRequest } from '../swarm/types';

export type HedgeLane = 'local' | 'swarm';

export interface HedgeRun {
  local: LocalOutcome;
  /** the hedge's swarm attempt; null when it never started (or consent was declined) */
  swarm: SwarmOutcome | null;
  /** the swarm job was started (the hedge timer fired while local had no token) */
  hedged: boolean;
  winner: HedgeLane | null;
  /** the answer to the hedge's consent question; null when none was asked */
  consent: 'allowed' | 'declined' | null;
}

export interface HedgeInput {
  /** start the swarm this long after the request without a local token; 0 = only on `now` */
  afterMs: number;
  /** aborting it starts the swarm job at once (the user asked the swarm too) */
  now?: AbortSignal;
  localRequest: LocalRequest;
  swarmRequest: SwarmRequest;
  swarmDeps: Omit<SwarmDeps, 'emit'>;
  outbound: SwarmOutbound;
  confirmSwarm?: (outbound: SwarmOutbound, signal: AbortSignal) => Promise<boolean>;
  onProgress?: (p: LocalProgress) => void;
  /** local failed before any token while the hedge's swarm job runs: it is the fallback now */
  onLocalFailed?: (local: LocalOutcome) => void;
  /** waits for timers; tests inject their own */
  setTimer?: (fn: () => void, ms: number) => () => void;
}

const realTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

/** A controller that also aborts with `signal`; `release` lets go of the parent. */
function childOf(signal: AbortSignal): AbortController & { release(): void } {
  const c = new AbortController() as AbortController & { release(): void };
  const onAbort = () => c.abort();
  if (signal.aborted) c.abort();
  else signal.addEventListener('abort', onAbort, { once: true });
  c.release = () => signal.removeEventListener('abort', onAbort);
  return c;
}

export async function runHedged(lanes: { local: LocalLane; swarm: SwarmLane }, input: HedgeInput, emit: Emit, signal: AbortSignal): Promise<HedgeRun> {
  const localStop = childOf(signal);
  const swarmStop = childOf(signal);
  let winner: HedgeLane | null = null;
  let localDone = false;
  let hedged = false;
  let consent: HedgeRun['consent'] = null;
  let swarmRun: Promise<SwarmOutcome | null> = Promise.resolve(null);

  const win = (lane: HedgeLane) => {
    if (winner) return;
    winner = lane;
    cancelTimer();
    if (lane === 'local') swarmStop.abort();
    else localStop.abort();
  };

  const startSwarm = () => {
    if (winner || localDone || signal.aborted || hedged) return;
    hedged = true;
    emit({
      type: 'status',
      lane: 'swarm',
      state: 'hedge',
      message: timerFired
        ? `no local token after ${Number((input.afterMs / 1000).toFixed(2))} s — asking the swarm as well; the first to answer wins`
        : 'asking the swarm as well; the first to answer wins',
    });
    swarmRun = (async () => {
      if (input.confirmSwarm) {
        const allowed = await input.confirmSwarm(input.outbound, swarmStop.signal).catch(() => false);
        if (swarmStop.signal.aborted) return null; // local won (or cancel) while the question was open
        consent = allowed ? 'allowed' : 'declined';
        if (!allowed) return null;
      }
      if (winner === 'local') return null;
      const swarmEmit = (event: RunEvent) => {
        if (event.type === 'token') {
          win('swarm');
          if (winner !== 'swarm') return; // local won: its tokens only
        } else if (winner === 'local' && event.type === 'status') return;
        emit(event);
      };
      const outcome = await lanes.swarm.run(input.swarmRequest, { ...input.swarmDeps, emit: swarmEmit }, swarmStop.signal);
      if (outcome.ok) win('swarm');
      return outcome;
    })();
  };

  let timerFired = false;
  const stopTimer =
    input.afterMs > 0
      ? (input.setTimer ?? realTimer)(() => {
          timerFired = true;
          startSwarm();
        }, input.afterMs)
      : () => {};
  const now = input.now;
  const onNow = () => startSwarm();
  if (now?.aborted) queueMicrotask(onNow);
  else now?.addEventListener('abort', onNow, { once: true });
  const cancelTimer = () => {
    stopTimer();
    now?.removeEventListener('abort', onNow);
  };
  const local = await lanes.local.run(
    input.localRequest,
    localStop.signal,
    (text) => {
      win('local');
      if (winner === 'local') emit({ type: 'token', lane: 'local', text });
    },
    input.onProgress,
  );
  localDone = true;
  cancelTimer();
  if (local.ok) win('local');
  else if (winner === null && hedged && !signal.aborted) input.onLocalFailed?.(local);
  // a local failure before any token leaves the hedge's swarm job running: it is the fallback now
  const swarm = await swarmRun;
  localStop.release();
  swarmStop.release();
  return { local, swarm, hedged, winner, consent };
}
