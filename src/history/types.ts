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
  /** what asked for the run, e.g. 'gateway' (schema v7); absent/null: not said (older rows, the chat, submit) */
  source?: string | null;
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
}

export interface HistoryStore {
  insert(record: JobRecord): Promise<void>;
  update(id: string, patch: Partial<Omit<JobRecord, 'id'>>): Promise<void>;
  get(id: string): Promise<JobRecord | null>;
  /** newest first */
  list(limit: number): Promise<JobRecord[]>;
  /** consumer metrics (lane 'served' rows excluded) */
  metrics(): Promise<Metrics>;
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
