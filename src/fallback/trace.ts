// What a run did, in enough detail for the history row and metrics: the
// result the user sees plus each lane's own outcome. Built here for every
// way a swarm attempt ends, and for a hedged run, who won and how the other ended.
import type { HedgeRun } from './hedge';
import type { FailedResult, FallbackResult, HedgeFacts } from '../run/result';
import type { LocalOutcome } from '../local/types';
import type { SwarmOutcome } from '../swarm/types';

/** What happened, in enough detail for the history row and metrics. */
export interface FallbackTrace {
  result: FallbackResult;
  /** how long the run waited on the consent question (not part of durationMs) */
  consentMs: number;
  cancelled: boolean;
  local: LocalOutcome | null;
  swarm: SwarmOutcome | null;
  swarmStart: 'direct' | 'fallback' | null;
  /** when the swarm job was started alongside a slow local attempt: who won, how the other ended */
  hedge?: HedgeTrace | null;
}

export interface HedgeTrace {
  winner: 'local' | 'swarm' | null;
  /** how the losing lane ended: 'stopped' (the winner stopped it), 'failed', 'declined' (no consent) */
  loserOutcome: 'stopped' | 'failed' | 'declined' | null;
}

/** The trace of a run whose last word was the swarm lane's: its answer, or its failure beside what local did first. */
export function swarmTrace(
  swarm: SwarmOutcome,
  local: LocalOutcome | null,
  swarmStart: 'direct' | 'fallback',
  durationMs: number,
  signal: AbortSignal,
  hedgeFacts: HedgeFacts,
  hedge: HedgeRun | null,
): Omit<FallbackTrace, 'consentMs'> {
  if (swarm.ok) {
    return {
      result: {
        lane: 'swarm',
        jobId: swarm.jobId,
        provider: swarm.provider,
        costMsats: swarm.costMsats,
        durationMs,
        response: swarm.response,
        ...localPartialOf(local),
        ...hedgeFacts,
      },
      cancelled: false,
      local,
      swarm,
      swarmStart,
      hedge: hedgeTrace(hedge),
    };
  }
  const cancelled = swarm.error.kind === 'cancelled' || signal.aborted;
  return {
    result: {
      lane: 'failed',
      ...localFailure(local),
      swarmError: swarm.error.message,
      swarmErrorKind: swarm.error.kind,
      partialResponse: swarm.partial || undefined,
      ...localPartialOf(local),
      cancelled: cancelled || undefined,
      ...hedgeFacts,
    },
    cancelled,
    local,
    swarm,
    swarmStart,
    hedge: hedgeTrace(hedge),
  };
}

/** What a failed result says about the local lane: null (and no kind) when it did not run or succeeded. */
export function localFailure(local: LocalOutcome | null): Pick<FailedResult, 'localError' | 'localErrorKind'> {
  return { localError: local && !local.ok ? local.error.message : null, localErrorKind: local && !local.ok ? local.error.kind : undefined };
}

export function localPartialOf(local: LocalOutcome | null): { localPartial?: string } {
  return local && !local.ok && local.partial ? { localPartial: local.partial } : {};
}

export function hedgeTrace(hedge: HedgeRun | null): HedgeTrace | null {
  if (!hedge?.hedged) return null;
  const { winner, local, swarm, consent } = hedge;
  let loserOutcome: HedgeTrace['loserOutcome'] = null;
  if (consent === 'declined') loserOutcome = 'declined';
  else if (winner === 'local') loserOutcome = swarm && !swarm.ok && swarm.error.kind !== 'cancelled' ? 'failed' : 'stopped';
  else if (winner === 'swarm') loserOutcome = !local.ok && local.error.kind !== 'cancelled' ? 'failed' : 'stopped';
  else loserOutcome = 'failed';
  return { winner, loserOutcome };
}
