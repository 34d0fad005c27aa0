// One shape of a run (issue 11 item 7): a pure fold over the events the engine
// emits. The history row the engine writes (rowOfRun) and the chat entry
// (ui-model/chat-entry.ts) are both projections of it, and a past row is read
// back into the same shape (runOfRecord): a reopened entry equals the live one.
import type { RunEvent } from '../run/events';
import type { LocalErrorKind } from '../run/errors';
import type { FailedResult } from '../run/result';
import type { JobRecord } from '../history/types';
import { FALLBACK_DISABLED, SWARM_DECLINED } from '../fallback/fallback-manager';
import { formatSats } from '../text/format';
import { shortNpub } from '../text/npub';

export type RunState = 'running' | 'completed' | 'failed' | 'cancelled';

export interface RunSummary {
  id: string;
  question: string;
  model: string;
  submittedAt: number;
  state: RunState;
  /** the lane answering or that answered; a failed run: the swarm when a relay took its job, else local when tried, else null */
  lane: 'local' | 'swarm' | null;
  /** the answer (as far as it streamed), or the partial text a failed run kept */
  answer: string;
  /** hex pubkey of the provider */
  provider: string | null;
  /** paid so far; once finished: cost and fees */
  costMsats: number;
  durationMs: number | null;
  localError: string | null;
  localErrorKind: LocalErrorKind | null;
  swarmError: string | null;
  swarmErrorKind: NonNullable<FailedResult['swarmErrorKind']> | null;
  /** what local streamed before the swarm was asked (kept visible, marked) */
  localPartial: string | null;
  /** the last refused payment, in words ("npub1… asked for 21 sats. …") */
  paymentWarning: string | null;
  /** Ollama served the answer from this host (a cloud model) */
  remoteHost: string | null;
  /** the NIP-90 id once a relay holds the job */
  jobId: string | null;
  localAttempted: boolean;
  /** the latest progress line (null once finished) */
  progress: string | null;
  /** earlier turns of the conversation left out to fit the model's context (live only: not stored) */
  leftOut: { leftOutTurns: number; earlierTurns: number; contextTokens: number } | null;
  /** a failed row's one-line error when it has no per-lane messages (an internal error) */
  error: string | null;
  /** a row that never finished (still running in another window, or the editor closed mid-run) */
  unfinished: boolean;
}

export interface RunStart {
  id: string;
  question: string;
  model: string;
  submittedAt: number;
  /** the lane asked first (swarm only: the swarm) */
  lane: 'local' | 'swarm';
}

/** What the engine measured beyond the stream: the job's own clock and the wallet's totals. */
export interface RunTotals {
  durationMs: number;
  costMsats: number;
  feesMsats: number;
  provider: string | null;
}

export function startRun(s: RunStart): RunSummary {
  return {
    ...s,
    state: 'running',
    answer: '',
    provider: null,
    costMsats: 0,
    durationMs: null,
    localError: null,
    localErrorKind: null,
    swarmError: null,
    swarmErrorKind: null,
    localPartial: null,
    paymentWarning: null,
    remoteHost: null,
    jobId: null,
    localAttempted: false,
    progress: null,
    leftOut: null,
    error: null,
    unfinished: false,
  };
}

/** The sentence a refused payment leaves on the answer (and in the row's paymentWarning). */
export function refusalWarning(e: Extract<RunEvent, { type: 'payment' }>): string {
  return `${shortNpub(e.provider)} asked for ${formatSats(e.amountMsats)}. ${e.message}`;
}

/** One event applied to the run: pure, the whole of what the chat and the row learn from the stream. */
export function foldRun(run: RunSummary, event: RunEvent): RunSummary {
  switch (event.type) {
    case 'token':
      return { ...run, lane: event.lane, answer: run.answer + event.text };
    case 'status': {
      // local failed after streaming: its text moves aside, the answer starts again for the swarm
      const aside = event.state === 'fallback' && run.answer !== '' && run.lane === 'local';
      return {
        ...run,
        lane: event.lane,
        progress: event.message,
        localAttempted: run.localAttempted || (event.lane === 'local' && event.state === 'started'),
        ...(aside ? { localPartial: run.answer, answer: '' } : {}),
      };
    }
    case 'job':
      return { ...run, lane: 'swarm', jobId: event.jobId, progress: `Job published to ${event.relays.length} relay(s), waiting for a provider…` };
    case 'payment': {
      const who = shortNpub(event.provider);
      if (event.outcome === 'paid')
        return { ...run, costMsats: run.costMsats + event.amountMsats, progress: `Paid ${formatSats(event.amountMsats)} to ${who}` };
      return { ...run, paymentWarning: refusalWarning(event), progress: `Refused to pay ${who}: ${event.message}` };
    }
    case 'context':
      return {
        ...run,
        leftOut: event.leftOutTurns > 0 ? { leftOutTurns: event.leftOutTurns, earlierTurns: event.earlierTurns, contextTokens: event.contextTokens } : null,
      };
    case 'done': {
      const r = event.result;
      const ended = { ...run, progress: null };
      if (r.lane === 'local')
        return {
          ...ended,
          state: 'completed',
          lane: 'local',
          answer: r.response,
          durationMs: r.durationMs,
          remoteHost: r.localRemoteHost ?? null,
          localPartial: null,
        };
      if (r.lane === 'swarm')
        return {
          ...ended,
          state: 'completed',
          lane: 'swarm',
          answer: r.response,
          durationMs: r.durationMs,
          provider: r.provider,
          costMsats: r.costMsats,
          localPartial: r.localPartial ?? run.localPartial,
        };
      return {
        ...ended,
        state: r.cancelled ? 'cancelled' : 'failed',
        lane: run.jobId !== null ? 'swarm' : run.localAttempted ? 'local' : null,
        answer: r.partialResponse ?? '',
        localError: r.localError,
        localErrorKind: r.localErrorKind ?? null,
        swarmError: r.swarmError,
        swarmErrorKind: r.swarmErrorKind ?? null,
        localPartial: r.localPartial ?? null,
      };
    }
  }
}

/** A finished run: its events, then what the engine measured (the duration without the consent card, cost with fees). */
export function summarizeRun(start: RunStart, events: readonly RunEvent[], totals: RunTotals): RunSummary {
  const run = events.reduce(foldRun, startRun(start));
  return { ...run, durationMs: totals.durationMs, costMsats: totals.costMsats + totals.feesMsats, provider: totals.provider ?? run.provider };
}

/** The row's columns that come from the run's shape (the rest are the lanes' metrics, from the trace). */
export function rowOfRun(run: RunSummary): Partial<JobRecord> {
  const failed = run.state !== 'completed';
  const parts = failed ? [run.localError && `local: ${run.localError}`, run.swarmError && `swarm: ${run.swarmError}`].filter(Boolean) : [];
  return {
    ...(run.jobId ? { jobId: run.jobId } : {}),
    state: run.state === 'running' ? 'failed' : run.state,
    lane: failed ? 'failed' : run.lane,
    response: failed ? run.answer || null : run.answer,
    error: parts.length ? parts.join('; ') : null,
    paymentWarning: run.paymentWarning,
    durationMs: run.durationMs,
  };
}

/** The swarm was never run, so its row keeps no message: the words the run gave, from the kind. */
const UNSENT: Partial<Record<NonNullable<RunSummary['swarmErrorKind']>, string>> = { declined: SWARM_DECLINED, disabled: FALLBACK_DISABLED };

/**
 * A history row read back as a run. Rows from before the error kinds were
 * stored (schema < v3) get a fixed projection, never a guess from Ollama as
 * it is now: no local kind (so no start/pull action), and a local failure
 * whose swarm never started counts as the swarm declined (it was never asked).
 */
export function runOfRecord(r: JobRecord): RunSummary {
  const state: RunState = r.state === 'completed' ? 'completed' : r.state === 'cancelled' ? 'cancelled' : 'failed';
  const published = r.jobId !== r.id;
  const stored = r.swarmErrorKind as RunSummary['swarmErrorKind'];
  // before v3 a local failure's row has no kinds at all: one whose swarm never started was not asked
  const guessed = r.localOutcome === 'failure' && r.localErrorKind === null && r.swarmStart === null ? 'declined' : null;
  return {
    id: r.id,
    question: r.question || r.prompt,
    model: r.model,
    submittedAt: r.submittedAt,
    state,
    lane: r.lane === 'local' || r.lane === 'swarm' ? r.lane : published ? 'swarm' : r.localAttempted ? 'local' : null,
    answer: r.response ?? '',
    provider: r.provider,
    costMsats: r.costMsats + r.feesMsats,
    durationMs: r.durationMs,
    localError: r.localError,
    localErrorKind: (r.localErrorKind as LocalErrorKind | null) ?? null,
    swarmError: r.swarmError ?? (stored ? (UNSENT[stored] ?? null) : null),
    swarmErrorKind: stored ?? guessed,
    localPartial: r.localPartial ?? null,
    paymentWarning: r.paymentWarning,
    remoteHost: r.localRemoteHost ?? null,
    jobId: published ? r.jobId : null,
    localAttempted: r.localAttempted,
    progress: null,
    leftOut: null,
    error: r.error,
    unfinished: r.completedAt === null && state === 'failed',
  };
}
