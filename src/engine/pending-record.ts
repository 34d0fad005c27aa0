// The one blank job record: every field a row has before anything ran. The
// engine owns a run's record shape; the provider's served jobs and the tests
// start from it too, so a new column is added in one place.
import type { NewJobRecord } from '../history/types';

/** A row as it is before anything ran: the one shape every run (and every unstarted one) begins from. */
export function pendingRecord(id: string, model: string, prompt: string, submittedAt: number): NewJobRecord {
  return {
    id,
    jobId: id,
    state: 'pending',
    lane: null,
    model,
    prompt,
    response: null,
    error: null,
    localAttempted: false,
    localOutcome: null,
    localError: null,
    swarmStart: null,
    swarmOutcome: null,
    swarmError: null,
    provider: null,
    costMsats: 0,
    feesMsats: 0,
    paymentBolt11: null,
    paymentPreimage: null,
    ttftMs: null,
    durationMs: null,
    submittedAt,
    completedAt: null,
    localErrorKind: null,
    swarmErrorKind: null,
    paymentWarning: null,
  };
}
