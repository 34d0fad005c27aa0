// A run as the chat shows it: a pure projection of the run's one shape
// (engine/finished-run.ts), live or read back from a history row, so the
// chat's entries are tested without an editor (test/unit/views-chat-entry.test.ts).
import { runOfRecord, type RunSummary } from '../engine/finished-run';
import type { FailedResult } from '../run/result';
import type { JobRecord } from '../history/types';
import { actionsForFailure, type ActionContext } from './error-actions';
import { shortNpub } from '../text/npub';
import type { ChatEntry, ErrorAction } from './protocol';
import { superseded } from './local-waiting';

export interface EntryContext extends ActionContext {
  /** the Ollama URL, named when Ollama is not installed here */
  ollamaHost?: string;
  /** no relay answered before consent was asked, so nothing was asked or sent (live only: said once, plainly) */
  offline?: string | null;
}

/** Nothing known about the machine: no actions that need a wallet or a startable Ollama (a live entry, a test). */
export const NO_CONTEXT: EntryContext = { walletConnected: false, swarmRefused: false };

/** The run as an entry: its state, answer, what it cost, and (failed) what can be done about it. */
export function entryOfRun(run: RunSummary, ctx: EntryContext = NO_CONTEXT): ChatEntry {
  const running = run.state === 'running';
  return {
    id: run.id,
    question: run.question,
    answer: run.answer,
    state: run.state,
    lane: run.lane,
    model: run.model,
    provider: shortNpub(run.provider),
    costMsats: run.costMsats,
    durationMs: running ? null : run.durationMs,
    status: running ? run.progress : null,
    error: run.state === 'failed' ? failure(run, ctx) : null,
    awaiting: null,
    // the refused payment stays visible on the answer, as it was when the run ended
    warning: run.paymentWarning ? `Not paid: ${run.paymentWarning}` : null,
    // a half local answer the swarm then took over stays visible, marked
    superseded: run.localPartial && (running || run.answer !== run.localPartial) ? superseded(run.localPartial, running ? null : run.lane === 'swarm') : null,
    askSwarmToo: false,
    remoteHost: run.remoteHost,
    note: run.leftOut
      ? `${run.leftOut.leftOutTurns} earlier turn${run.leftOut.leftOutTurns === 1 ? '' : 's'} of this conversation ` +
        `left out to fit the model's context (${run.leftOut.contextTokens} tokens); ${run.leftOut.earlierTurns} sent with the question.`
      : null,
    submittedAt: run.submittedAt,
  };
}

/** A past run as a chat entry: the same projection, from the row read back as a run. */
export function entryFromRecord(r: JobRecord, ctx: EntryContext = NO_CONTEXT): ChatEntry {
  return entryOfRun(runOfRecord(r), ctx);
}

function failure(run: RunSummary, ctx: EntryContext): { message: string; actions: ErrorAction[] } {
  if (run.unfinished) return { message: 'This run did not finish here (it may still be running in another window).', actions: [] };
  // "start it with ollama serve" cannot help when there is no ollama program here
  const localError =
    run.localErrorKind === 'unavailable' && ctx.ollamaInstalled === false && ctx.ollamaHost
      ? `Ollama is not installed on this machine (${ctx.ollamaHost} does not answer).`
      : run.localError;
  const swarm = ctx.offline ?? (run.swarmError && `Swarm: ${run.swarmError}`);
  const message = [localError && `Local: ${localError}`, swarm].filter(Boolean).join('\n') || run.error || 'The run failed.';
  const failed: FailedResult = {
    lane: 'failed',
    localError: run.localError,
    swarmError: run.swarmError,
    localErrorKind: run.localErrorKind ?? undefined,
    // offline: the swarm was not asked for want of a relay, not declined
    swarmErrorKind: ctx.offline ? undefined : (run.swarmErrorKind ?? undefined),
    partialResponse: run.answer || undefined,
  };
  return { message, actions: actionsForFailure(failed, ctx) };
}
