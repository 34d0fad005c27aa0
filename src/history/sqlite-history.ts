// The history store: one sql.js database per process, kept in step with
// files several processes share (file-sync.ts holds that protocol). Calls
// run one at a time, in order; this file turns the HistoryStore and
// PaymentLedger calls into reads and journaled writes.
//
// The database itself lives in a worker thread (worker-db-host.ts), so the
// host's event loop never waits for sql.js; file I/O, the lock and the
// protocol stay on this thread, on async fs calls.
import { promises as fs } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DbHost, WriteOp } from './db-ops';
import { FileSync, type FileSyncOptions } from './file-sync';
import { createInlineDbHost } from './inline-db-host';
import { patchToRow, recordToRow, valuesToRecord } from './row-mapping';
import { readWasm } from './sql-engine';
import type { LedgerPayment, PaymentLedger, PaymentReservation, PaymentSettlement, PaymentState, ReservationLimits, ReserveResult } from './payment-ledger';
import type { ConversationSummary, HistoryStore, JobRecord, LocalModelStats, Metrics, NewJobRecord } from './types';
import { createWorkerDbHost, workerLaunch, WORKER_BUNDLE_NAME } from './worker-db-host';

export { toHistoryJson, type HistoryJson } from './row-mapping';
export { DEFAULT_JOURNAL_LIMIT_BYTES } from './file-sync';

export interface HistoryOptions extends FileSyncOptions {
  /** told when the store had to do something the user should know (a corrupt file moved aside) */
  onWarning?(msg: string): void;
  /** explicit path of sql-wasm.wasm; default: next to the bundle, else the installed sql.js */
  wasmPath?: string;
  /**
   * Where sql.js runs. 'worker' (default): a worker thread, falling back to
   * this thread with a warning when the worker's code is not there;
   * 'inline': this thread (blocks the event loop for the length of each call).
   */
  thread?: 'worker' | 'inline';
}

export async function openHistory(file: string, opts: HistoryOptions = {}): Promise<HistoryStore & PaymentLedger> {
  const path = resolve(file);
  const warn = opts.onWarning ?? ((msg: string) => console.warn(msg));
  const makeHost = hostFactory(opts, warn);
  const host = await makeHost();
  await fs.mkdir(dirname(path), { recursive: true });
  const store = new SqliteHistory(host, makeHost, path, opts, warn);
  try {
    await store.open();
  } catch (err) {
    await host.dispose().catch(() => undefined);
    throw err;
  }
  return store;
}

type HostFactory = () => Promise<DbHost>;

function hostFactory(opts: HistoryOptions, warn: (msg: string) => void): HostFactory {
  if (opts.thread === 'inline') return () => createInlineDbHost(opts.wasmPath);
  const launch = workerLaunch();
  if (!launch) {
    warn(`history: ${WORKER_BUNDLE_NAME} was not found next to the bundle; the history database runs on the main thread`);
    return () => createInlineDbHost(opts.wasmPath);
  }
  // found and validated here, so a bad path is our own clear error (sql-engine.ts)
  return async () => createWorkerDbHost(launch, readWasm(opts.wasmPath));
}

/** Where a store's database runs (diagnostics and tests); undefined for a store this module did not open. */
export function historyThread(store: HistoryStore): 'worker' | 'inline' | undefined {
  return store instanceof SqliteHistory ? store.thread : undefined;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

class SqliteHistory implements HistoryStore, PaymentLedger {
  private readonly files: FileSync;
  private compactionQueued = false;
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;

  get thread(): 'worker' | 'inline' {
    return this.host.thread;
  }

  constructor(
    private host: DbHost,
    private readonly makeHost: HostFactory,
    private readonly file: string,
    opts: HistoryOptions,
    private readonly warn: (msg: string) => void,
  ) {
    this.files = new FileSync(() => this.host, file, opts, warn);
  }

  open(): Promise<void> {
    return this.serial(() => this.files.open());
  }

  insert(record: NewJobRecord): Promise<void> {
    let row: ReturnType<typeof recordToRow>;
    try {
      row = recordToRow(record);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.write({ op: 'insert', id: record.id, columns: row.columns, values: row.values });
  }

  /** Updating a row that no longer exists (history cleared meanwhile) changes nothing. */
  update(id: string, patch: Partial<Omit<JobRecord, 'id'>>): Promise<void> {
    let set: ReturnType<typeof patchToRow>;
    try {
      set = patchToRow(patch);
    } catch (err) {
      return Promise.reject(err);
    }
    if (set.columns.length === 0) return this.serial(async () => undefined);
    return this.write({ op: 'update', id, columns: set.columns, values: set.values });
  }

  get(id: string): Promise<JobRecord | null> {
    return this.read(async () => {
      const row = await this.host.get(id);
      return row ? valuesToRecord(row) : null;
    });
  }

  /** Newest first: submitted_at descending, then the later insert first. */
  list(limit: number): Promise<JobRecord[]> {
    if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 0))) {
      return Promise.reject(new TypeError(`history: list limit must be a whole number ≥ 0, got ${limit}`));
    }
    const sqlLimit = limit === Infinity ? -1 : limit;
    return this.read(() => this.host.list(sqlLimit, valuesToRecord));
  }

  /** Every row, newest first (for export and the extension's views). */
  exportAll(): Promise<JobRecord[]> {
    return this.list(Infinity);
  }

  metrics(): Promise<Metrics> {
    return this.read(() => this.host.metrics());
  }

  localModelStats(): Promise<LocalModelStats[]> {
    return this.read(() => this.host.localModelStats());
  }

  spentMsatsSince(sinceMs: number): Promise<number> {
    if (!Number.isFinite(sinceMs)) return Promise.reject(new TypeError(`history: sinceMs must be Unix milliseconds, got ${sinceMs}`));
    return this.read(() => this.host.spent(sinceMs));
  }

  // ---- payments (payment-ledger.ts) ----

  reservePayment(payment: PaymentReservation, limits: ReservationLimits): Promise<ReserveResult> {
    const op = { op: 'reserve' as const, payment };
    return this.writeWith(
      op,
      () => this.host.reserve(op, limits),
      (r) => r.ok,
    );
  }

  settlePayment(paymentHash: string, settlement: PaymentSettlement): Promise<void> {
    return this.write({ op: 'settle', paymentHash, settlement });
  }

  paymentsIn(states: readonly PaymentState[]): Promise<LedgerPayment[]> {
    return this.read(() => this.host.payments(states));
  }

  conversation(conversationId: string): Promise<JobRecord[]> {
    return this.read(async () => (await this.host.conversation(conversationId)).map(valuesToRecord));
  }

  newestConversationId(): Promise<string | null> {
    return this.read(() => this.host.newestConversation());
  }

  conversations(limit: number): Promise<ConversationSummary[]> {
    if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 0))) {
      return Promise.reject(new TypeError(`history: conversations limit must be a whole number ≥ 0, got ${limit}`));
    }
    return this.read(() => this.host.conversations(limit === Infinity ? -1 : limit));
  }

  deleteConversation(conversationId: string): Promise<void> {
    return this.write({ op: 'deleteConversation', conversationId });
  }

  blankTextBefore(beforeMs: number): Promise<void> {
    if (!Number.isFinite(beforeMs)) return Promise.reject(new TypeError(`history: beforeMs must be Unix milliseconds, got ${beforeMs}`));
    return this.write({ op: 'blankBefore', beforeMs });
  }

  /** Deletes every row (the extension's Clear History); the schema stays. */
  clear(): Promise<void> {
    return this.write({ op: 'clear' });
  }

  close(): Promise<void> {
    if (!this.closing) {
      // operations already queued finish first; then what this store wrote goes into the file itself
      this.closing = this.queue.then(async () => {
        try {
          if (this.files.wrote && !this.host.dead) await this.files.compactIfJournal();
        } catch (err) {
          this.warn(`history: could not fold ${this.files.journalPath} into ${this.file} on close (${messageOf(err)}); it is kept and read next time`);
        } finally {
          await this.host.dispose().catch(() => undefined);
        }
      });
    }
    return this.closing;
  }

  // ---- one call at a time ----

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new Error(`history: the store for ${this.file} is closed`));
    const run = this.queue.then(
      () => this.withLiveHost(fn),
      () => this.withLiveHost(fn),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A worker that died is replaced, and the files are read again from scratch. */
  private async withLiveHost<T>(fn: () => Promise<T>): Promise<T> {
    if (this.host.dead) {
      await this.host.dispose().catch(() => undefined);
      this.host = await this.makeHost();
      this.files.forget();
    }
    return fn();
  }

  private read<T>(query: () => Promise<T>): Promise<T> {
    return this.serial(() => this.files.read(query));
  }

  private write(op: WriteOp): Promise<void> {
    return this.writeWith(
      op,
      () => this.host.write(op),
      (changed) => changed,
    ).then(() => undefined);
  }

  /** Under the lock: apply a change (`apply`), then journal `op` when `changedOf` says it changed something. */
  private writeWith<T>(op: WriteOp, apply: () => Promise<T>, changedOf: (result: T) => boolean): Promise<T> {
    return this.serial(async () => {
      const { result, full } = await this.files.write(op, apply, changedOf);
      if (full) this.queueCompaction();
      return result;
    });
  }

  /** Folds the journal in soon, after the call that filled it has been answered. */
  private queueCompaction(): void {
    if (this.compactionQueued || this.closing) return;
    this.compactionQueued = true;
    this.serial(() => {
      this.compactionQueued = false;
      return this.files.compactIfFull();
    }).catch((err) => this.warn(`history: could not fold ${this.files.journalPath} into ${this.file} (${messageOf(err)}); will retry`));
  }
}
