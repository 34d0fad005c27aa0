import type { JobState } from '../fallback/events';

export type HistoryLane = 'local' | 'swarm' | 'failed' | 'served';

/**
 * One row per run (and one per job served in provider mode). Columns in
 * snake_case in SQL; the seed's columns are kept as they were named there.
 */
export interface JobRecord {
  /** internal primary key, stable from the first insert */
  id: string;
  /** the NIP-90 job request id when the swarm was reached, else equal to `id` */
  jobId: string;
  state: JobState;
  lane: HistoryLane | null;
  model: string;
  prompt: string;
  response: string | null;
  error: string | null;
  localAttempted: boolean;
  /** 'success' | 'failure' | null (not attempted or cancelled) */
  localOutcome: 'success' | 'failure' | null;
  localError: string | null;
  /** how the swarm attempt started: straight away, or after local failed */
  swarmStart: 'direct' | 'fallback' | null;
  swarmOutcome: 'success' | 'failure' | null;
  swarmError: string | null;
  provider: string | null;
  costMsats: number;
  feesMsats: number;
  paymentBolt11: string | null;
  paymentPreimage: string | null;
  ttftMs: number | null;
  durationMs: number | null;
  submittedAt: number;
  completedAt: number | null;
  /** the local attempt's LocalErrorKind when it failed (schema v3; null on older rows) */
  localErrorKind: string | null;
  /** the swarm attempt's SwarmErrorKind when it failed (schema v3; null on older rows) */
  swarmErrorKind: string | null;
  /** the last refused-payment warning shown during the run (schema v3) */
  paymentWarning: string | null;
  // Schema v5 (the local lane). Optional: a record without them stores null / false.
  /** what the local model streamed before it failed */
  localPartial?: string | null;
  /** Ollama's load_duration for this answer (ms) */
  localLoadMs?: number | null;
  /** the local model's time to its first token (ms) */
  localTtftMs?: number | null;
  /** tokens per second from Ollama's done chunk (eval_count / eval_duration) */
  localTokensPerSec?: number | null;
  /** a model Ollama served from another machine */
  localRemoteHost?: string | null;
  /** the swarm job was started alongside a slow local attempt */
  hedged?: boolean;
  hedgeWinner?: 'local' | 'swarm' | null;
  /** how the hedge's losing lane ended: stopped, failed, declined */
  hedgeLoserOutcome?: string | null;
  /**
   * schema v6: 'unconfirmed' when the wallet did not say whether the payment
   * went through (it counts as spent); 'paid' once it did; 'failed' when
   * lookup_invoice later found it failed; null/absent: no payment.
   */
  paymentState?: 'paid' | 'unconfirmed' | 'failed' | null;
}

/** One model's local record, from the history (schema v5 columns). */
export interface LocalModelStats {
  model: string;
  /** answers with a measured time to first token */
  answers: number;
  medianTtftMs: number | null;
  medianTokensPerSec: number | null;
  /** the latest load that took a noticeable time (ms), for "took 12 s last time" */
  lastLoadMs: number | null;
}

export interface Metrics {
  localSuccess: number;
  localFailure: number;
  swarmFallback: number;
  swarmDirect: number;
  swarmSuccess: number;
  swarmFailure: number;
  totalCostMsats: number;
  localSuccessRate: number;
  fallbackRate: number;
  /** schema v6: msats of payments the wallet has not confirmed (counted in totalCostMsats) */
  unconfirmedMsats?: number;
}

export interface HistoryStore {
  insert(record: JobRecord): Promise<void>;
  update(id: string, patch: Partial<Omit<JobRecord, 'id'>>): Promise<void>;
  get(id: string): Promise<JobRecord | null>;
  /** newest first */
  list(limit: number): Promise<JobRecord[]>;
  /** consumer metrics (lane 'served' rows excluded) */
  metrics(): Promise<Metrics>;
  /** per model: local time to first token, tokens/s and the last load (optional: older stores lack it) */
  localModelStats?(): Promise<LocalModelStats[]>;
  /** msats paid (cost + fees) by consumer jobs submitted at or after `sinceMs` */
  spentMsatsSince(sinceMs: number): Promise<number>;
  /**
   * The extension's Clear History: deletes every conversation; rows that record
   * money spent keep their amounts (prompt, answer and errors blanked) so
   * budgets still hold.
   */
  clear(): Promise<void>;
  /** every row, newest first */
  exportAll(): Promise<JobRecord[]>;
  /** waits for queued operations, then frees the database; later calls reject */
  close(): Promise<void>;
}
