// A history row as the chat shows it: a pure projection (no vscode, no I/O),
// so the chat's entries are tested without an editor (test/unit/views-chat-entry.test.ts).
import type { LocalErrorKind } from '../fallback/errors';
import type { FailedResult } from '../fallback/result';
import type { JobRecord } from '../history/types';
import { actionsForFailure, type ActionContext } from './error-actions';
import { withTag } from './format';
import { shortNpub } from './npub';
import type { OllamaStatus } from '../probes/ollama-status';
import type { ChatEntry, ErrorAction } from './protocol';
import { superseded } from './local-waiting';

/**
 * A past run as a chat entry. A failed row's actions come from the error kinds
 * the history stored with it (schema v3), the same ones the live run had.
 * Rows from before that have messages only: their actions are worked out from
 * what the row says happened (local failed, the swarm never asked) and from
 * Ollama now (`ollama`: not running → start it; running without the row's
 * model → pull).
 */
export function entryFromRecord(
  r: JobRecord,
  ollama: OllamaStatus | null = null,
  context: ActionContext = { walletConnected: false, swarmRefused: false },
): ChatEntry {
  const lane = r.lane === 'local' || r.lane === 'swarm' ? r.lane : r.swarmStart ? 'swarm' : 'local';
  const state = r.state === 'completed' ? 'completed' : r.state === 'cancelled' ? 'cancelled' : 'failed';
  // a row never completed: still running in another window, or VS Code was closed mid-run
  const unfinished = r.completedAt === null && state === 'failed';
  let actions: ErrorAction[] = [];
  if (state === 'failed' && !unfinished) {
    const pulled = ollama?.running && ollama.models.some((m) => withTag(m) === withTag(r.model));
    const failed: FailedResult = {
      lane: 'failed',
      localError: r.localError,
      swarmError: r.swarmError,
      localErrorKind:
        r.localErrorKind !== null
          ? (r.localErrorKind as LocalErrorKind)
          : r.localOutcome !== 'failure' || !ollama
            ? undefined
            : !ollama.running
              ? 'unavailable'
              : pulled
                ? undefined
                : 'model-missing',
      // stored; else: local failed and the swarm was never reached (declined, or not allowed by the mode)
      swarmErrorKind:
        r.swarmErrorKind !== null
          ? (r.swarmErrorKind as NonNullable<FailedResult['swarmErrorKind']>)
          : r.localOutcome === 'failure' && r.swarmStart === null
            ? 'declined'
            : undefined,
      partialResponse: r.response ?? undefined,
    };
    actions = actionsForFailure(failed, context);
  }
  return {
    id: r.id,
    question: r.question || r.prompt,
    answer: r.response ?? '',
    state,
    lane,
    model: r.model,
    provider: shortNpub(r.provider),
    costMsats: r.costMsats + r.feesMsats,
    durationMs: r.durationMs,
    status: null,
    error:
      state === 'failed'
        ? {
            message: unfinished
              ? 'This run did not finish here (it may still be running in another window).'
              : [r.localError && `Local: ${r.localError}`, r.swarmError && `Swarm: ${r.swarmError}`].filter(Boolean).join('\n') || r.error || 'The run failed.',
            actions,
          }
        : null,
    // the refused payment stays visible on the past answer, as it was when the run ended
    warning: r.paymentWarning ? `Not paid: ${r.paymentWarning}` : null,
    // a half local answer the swarm then replaced stays visible after a reload, marked as it was
    superseded: r.localPartial && r.lane !== 'local' ? superseded(r.localPartial, r.lane === 'swarm') : null,
    remoteHost: r.localRemoteHost ?? null,
    submittedAt: r.submittedAt,
  };
}
