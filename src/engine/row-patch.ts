// The finished row: the columns the run's one shape decides (state, lane,
// answer, error, warning, duration: finished-run.ts rowOfRun) and the lanes'
// own facts only the trace holds (outcomes, payments, timings, hedging).
import type { FallbackTrace } from '../fallback/fallback-manager';
import type { JobRecord } from '../history/types';
import { rowOfRun, type RunSummary, type RunTotals } from './finished-run';
import { localRecordFields } from './local-record';

/** What the engine measured beyond the stream, from the trace. */
export function totalsOf(trace: FallbackTrace, durationMs: number): RunTotals {
  const { swarm } = trace;
  return { durationMs, costMsats: swarm ? swarm.costMsats : 0, feesMsats: swarm ? swarm.feesMsats : 0, provider: swarm ? swarm.provider : null };
}

export function recordPatch(trace: FallbackTrace, run: RunSummary, completedAt: number): Partial<JobRecord> {
  const { result, local, swarm } = trace;
  // A cancelled attempt is neither a success nor a failure of its lane.
  const localOutcome = local === null ? null : local.ok ? 'success' : local.error.kind === 'cancelled' ? null : 'failure';
  const swarmOutcome = swarm === null ? null : swarm.ok ? 'success' : swarm.error.kind === 'cancelled' ? null : 'failure';
  return {
    ...rowOfRun(run),
    localAttempted: local !== null,
    localOutcome,
    localError: local && !local.ok ? local.error.message : null,
    swarmStart: trace.swarmStart,
    swarmOutcome,
    swarmError: swarm && !swarm.ok ? swarm.error.message : null,
    provider: swarm ? swarm.provider : null,
    costMsats: swarm ? swarm.costMsats : 0,
    feesMsats: swarm ? swarm.feesMsats : 0,
    paymentBolt11: swarm ? swarm.paymentBolt11 : null,
    paymentPreimage: swarm && swarm.ok ? swarm.paymentPreimage : null,
    paymentState: swarm?.paymentState ?? null,
    ttftMs: local?.ok ? local.ttftMs : swarm?.ok ? swarm.ttftMs : local && !local.ok ? local.ttftMs : null,
    completedAt,
    // the kinds behind the messages, so past conversations offer the same actions after a reload
    localErrorKind: local && !local.ok ? local.error.kind : null,
    swarmErrorKind: (result.lane === 'failed' ? result.swarmErrorKind : undefined) ?? (swarm && !swarm.ok ? swarm.error.kind : null),
    ...localRecordFields(trace),
  };
}
