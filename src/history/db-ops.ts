// What the store asks of the database, in a form that crosses a thread
// boundary as plain data. A WriteOp is also exactly what one journal line
// holds (JSON), so the writer and every process that replays the journal run
// the same statement.
import type { SqlValue } from 'sql.js';
import type { LedgerPayment, PaymentReservation, PaymentSettlement, PaymentState, ReservationLimits, ReserveResult } from './payment-ledger';
import type { ConversationSummary, LocalModelStats, Metrics } from './types';

export type WriteOp =
  | { op: 'insert'; id: string; columns: string[]; values: SqlValue[] }
  | { op: 'update'; id: string; columns: string[]; values: SqlValue[] }
  | { op: 'clear' }
  /** a payment reserved (payment-ledger.ts); replayed without the check, which the writer made under the lock */
  | { op: 'reserve'; payment: PaymentReservation }
  | { op: 'settle'; paymentHash: string; settlement: PaymentSettlement }
  /** one conversation out, as clear does all (schema v4) */
  | { op: 'deleteConversation'; conversationId: string }
  /** texts of rows submitted before beforeMs blanked (history.keepDays) */
  | { op: 'blankBefore'; beforeMs: number };

export interface LoadOptions {
  /** run PRAGMA quick_check as well as the cheap structural checks */
  verify: boolean;
  /** migrate when needed; without it a file that needs migrating is refused (the caller retries under the lock) */
  repair: boolean;
}

export type LoadResult = { ok: true; migrated: boolean; version: number } | { ok: false; reason: string };

export interface ApplyResult {
  /** bytes of whole lines taken (applied or skipped); an unfinished last line is not taken */
  consumed: number;
  applied: number;
  /** whole lines that were not valid entries, or failed to apply */
  skipped: number;
}

export interface ListChunk {
  rows: SqlValue[][];
  /** no rows after these */
  done: boolean;
}

/** The database, wherever it runs (a worker thread, or this thread). Calls run in order. */
export interface DbHost {
  /** null: a fresh, empty history */
  load(bytes: Uint8Array | null, opts: LoadOptions): Promise<LoadResult>;
  /** journal lines (starting at a line boundary) applied on top of the loaded snapshot */
  applyJournal(body: Uint8Array): Promise<ApplyResult>;
  /** runs the change in a transaction; false when it changed nothing */
  write(op: WriteOp): Promise<boolean>;
  get(id: string): Promise<SqlValue[] | null>;
  /** newest first; rows come a chunk at a time and `map` runs per chunk, so a huge list never blocks this thread for long */
  list<T>(limit: number, map: (row: SqlValue[]) => T): Promise<T[]>;
  metrics(): Promise<Metrics>;
  localModelStats(): Promise<LocalModelStats[]>;
  spent(sinceMs: number): Promise<number>;
  /** checks the limits and reserves in one transaction; the caller holds the file lock and journals the op when ok */
  reserve(op: Extract<WriteOp, { op: 'reserve' }>, limits: ReservationLimits): Promise<ReserveResult>;
  payments(states: readonly PaymentState[]): Promise<LedgerPayment[]>;
  /** one conversation's rows (SELECT_COLUMNS), oldest turn first */
  conversation(conversationId: string): Promise<SqlValue[][]>;
  newestConversation(): Promise<string | null>;
  conversations(limit: number): Promise<ConversationSummary[]>;
  /** the whole database file */
  export(): Promise<Uint8Array>;
  readonly thread: 'worker' | 'inline';
  /** true once the host can no longer answer (its worker died) */
  readonly dead: boolean;
  dispose(): Promise<void>;
}
