import type { JobState } from '../run/events';

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
  /** the conversation this run is a turn of (schema v4); older rows: their own id */
  conversationId: string;
  /** 1-based order within the conversation (schema v4); older rows: 1 */
  turn: number;
  /** the question as the user asked it (schema v4); the prompt sent may wrap it (Explain Selection) */
  question: string;
  /**
   * What asked for the run (schema v7): 'vscode-lm' for another extension
   * through VS Code's language model API, 'gateway', …; null for this
   * extension's own chat and the CLI (and older rows). Optional: absent is null.
   */
  source?: string | null;
  /** who asked through `source`, when known (the requesting extension's id) (schema v7) */
  caller?: string | null;
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

/** What insert() takes: a run that names no conversation starts its own (its id, turn 1, question = prompt). */
export type NewJobRecord = Omit<JobRecord, 'conversationId' | 'turn' | 'question'> & Partial<Pick<JobRecord, 'conversationId' | 'turn' | 'question'>>;

/** One conversation in the list of past ones (newest activity first). */
export interface ConversationSummary {
  conversationId: string;
  /** the first turn's question */
  title: string;
  startedAt: number;
  updatedAt: number;
  turns: number;
  /** how many turns each lane answered */
  localTurns: number;
  swarmTurns: number;
  failedTurns: number;
  /** msats paid (cost + fees) over the conversation */
  costMsats: number;
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
  insert(record: NewJobRecord): Promise<void>;
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
  /** the turns of one conversation, oldest first; [] when there is no such conversation */
  conversation(conversationId: string): Promise<JobRecord[]>;
  /** the conversation of the newest consumer run (served jobs and cleared rows excluded), or null */
  newestConversationId(): Promise<string | null>;
  /** past conversations, most recently active first (served jobs and cleared rows excluded) */
  conversations(limit: number): Promise<ConversationSummary[]>;
  /** deletes one conversation as clear() does all: rows that record money keep their amounts, blanked */
  deleteConversation(conversationId: string): Promise<void>;
  /** blanks prompts, answers and errors of rows submitted before `beforeMs`; money and metrics stay */
  blankTextBefore(beforeMs: number): Promise<void>;
  /** waits for queued operations, then frees the database; later calls reject */
  close(): Promise<void>;
}
