// The history store: a sql.js database shared through files by several
// processes (VS Code windows on one global storage, parallel CLI submits).
//
// On disk: `<db>` is a complete SQLite file (the snapshot, readable by any
// SQLite tool), `<db>.journal` the changes made since, one JSON line each
// (journal-format.ts), and `<db>.lock` while someone writes.
//
// Every write: take the lock, catch up with the files (reload the snapshot if
// it changed, apply journal lines we have not seen), apply the change in a
// transaction, append it to the journal and fsync, release. A job is then
// durable after an append of a few hundred bytes, not a rewrite of the whole
// database (tens of MB at 100k jobs). Every read: catch up without the lock;
// reads never write. So no writer ever saves over a change it has not seen.
//
// Compaction folds the journal into a new snapshot (export, atomic replace,
// then remove the journal): when the journal passes journalLimitBytes, when a
// store that wrote closes (so the file alone is complete once nobody has it
// open), and after a migration or repair.
//
// The database itself lives in a worker thread (worker-db-host.ts), so the
// host's event loop never waits for sql.js; file I/O, the lock and this
// protocol stay here, on async fs calls.
import { promises as fs } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadFile, moveAside, readStamp, removeLeftoverTemps, writeAtomic, writeGeneration } from './atomic-file';
import type { DbHost, WriteOp } from './db-ops';
import { acquireLock, type LockOptions } from './file-lock';
import { createInlineDbHost } from './inline-db-host';
import { journalHeader, journalLine } from './journal-format';
import { appendJournal, createJournal, moveJournalAside, readJournal, removeJournal, truncateJournal } from './journal-file';
import { patchToRow, recordToRow, valuesToRecord } from './row-mapping';
import { SCHEMA_VERSION } from './schema';
import { readWasm } from './sql-engine';
import type { LedgerPayment, PaymentLedger, PaymentReservation, PaymentSettlement, PaymentState, ReservationLimits, ReserveResult } from './payment-ledger';
import type { ConversationSummary, HistoryStore, JobRecord, LocalModelStats, Metrics, NewJobRecord } from './types';
import { createWorkerDbHost, workerLaunch, WORKER_BUNDLE_NAME } from './worker-db-host';

export { toHistoryJson, type HistoryJson } from './row-mapping';

export interface HistoryOptions {
  /** told when the store had to do something the user should know (a corrupt file moved aside) */
  onWarning?(msg: string): void;
  /** explicit path of sql-wasm.wasm; default: next to the bundle, else the installed sql.js */
  wasmPath?: string;
  /** how long a write waits for the lock before failing (ms, default 30 000) */
  lockTimeoutMs?: number;
  /** a lock older than this is broken even if its holder seems alive (ms, default 60 000) */
  staleLockMs?: number;
  /**
   * Where sql.js runs. 'worker' (default): a worker thread, falling back to
   * this thread with a warning when the worker's code is not there;
   * 'inline': this thread (blocks the event loop for the length of each call).
   */
  thread?: 'worker' | 'inline';
  /** fold the journal into the database file once it is this big (bytes, default 512 KiB) */
  journalLimitBytes?: number;
}

export const DEFAULT_JOURNAL_LIMIT_BYTES = 512 * 1024;

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

const CORRUPTION = /malformed|not a database|SQLITE_CORRUPT|SQLITE_NOTADB|file is encrypted/i;
const isCorruption = (err: unknown) => err instanceof Error && CORRUPTION.test(err.message);
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The journal as far as this store has applied it. */
interface JournalPosition {
  ino: number;
  /** bytes applied (a line boundary) */
  offset: number;
}

type Catchup = 'ok' | 'lost';

class SqliteHistory implements HistoryStore, PaymentLedger {
  /** stamp of the snapshot the database was loaded from or saved to; null: there is no file; undefined: reload */
  private stamp: string | null | undefined = undefined;
  /** generation in the snapshot's header; a journal extends exactly this generation */
  private generation = 0;
  private journal: JournalPosition | null = null;
  /** appended since the last compaction: close() folds the journal in */
  private wrote = false;
  private compactionQueued = false;
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;
  private readonly journalPath: string;
  private readonly lockPath: string;
  private readonly lockOptions: LockOptions;
  private readonly journalLimit: number;
  private warnedNewer = false;

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
    this.journalPath = `${file}.journal`;
    this.lockPath = `${file}.lock`;
    this.lockOptions = { timeoutMs: opts.lockTimeoutMs, staleMs: opts.staleLockMs };
    this.journalLimit = opts.journalLimitBytes ?? DEFAULT_JOURNAL_LIMIT_BYTES;
  }

  /**
   * First load: leftovers of interrupted saves removed, created/migrated as
   * needed. The file gets the structural checks (history-db.ts), not a full
   * PRAGMA quick_check: that reads every page (~150 ms at 100k jobs) and
   * would make open miss its budget. Damage inside the file still surfaces as
   * SQLITE_CORRUPT on first use, and is then checked in full and repaired
   * (repair()).
   */
  open(): Promise<void> {
    return this.serial(() =>
      this.withLock(async () => {
        await removeLeftoverTemps(this.file);
        if (await this.syncLocked(false)) await this.compact();
      }),
    );
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
          if (this.wrote && !this.host.dead) await this.withLock(() => this.compactIfJournal());
        } catch (err) {
          this.warn(`history: could not fold ${this.journalPath} into ${this.file} on close (${messageOf(err)}); it is kept and read next time`);
        } finally {
          await this.host.dispose().catch(() => undefined);
        }
      });
    }
    return this.closing;
  }

  // ---- plumbing ----

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
      this.stamp = undefined;
      this.journal = null;
    }
    return fn();
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = await acquireLock(this.lockPath, this.lockOptions);
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }

  private read<T>(query: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      await this.syncForRead();
      try {
        return await query();
      } catch (err) {
        if (!isCorruption(err)) throw err;
        await this.repair();
        return await query();
      }
    });
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
    return this.serial(() =>
      this.withLock(async () => {
        let mustCompact = await this.syncLocked(false);
        let result: T;
        try {
          result = await apply();
        } catch (err) {
          if (!isCorruption(err)) throw err;
          this.stamp = undefined;
          mustCompact = await this.syncLocked(true);
          result = await apply();
        }
        // a snapshot written now carries the change: no journal line needed
        if (mustCompact) {
          await this.compact();
          return result;
        }
        if (!changedOf(result)) return result;
        try {
          await this.append(op);
        } catch (err) {
          // memory now holds a change the files do not: reload before the next use
          this.stamp = undefined;
          throw err;
        }
        if (this.journal && this.journal.offset >= this.journalLimit) this.queueCompaction();
        return result;
      }),
    );
  }

  /** Under the lock: one line at the journal's end, durably; the journal is created when there is none. */
  private async append(op: WriteOp): Promise<void> {
    const line = journalLine(op);
    const after = this.journal ? await appendJournal(this.journalPath, line) : await createJournal(this.journalPath, journalHeader(this.generation) + line);
    if (this.journal && after.ino !== this.journal.ino) {
      // cannot happen under the lock; if it did, the files are the truth
      this.stamp = undefined;
      throw new Error(`history: ${this.journalPath} was replaced while the lock was held`);
    }
    this.journal = { ino: after.ino, offset: after.size };
    this.wrote = true;
  }

  /** Folds the journal in soon, after the call that filled it has been answered. */
  private queueCompaction(): void {
    if (this.compactionQueued || this.closing) return;
    this.compactionQueued = true;
    this.serial(() => {
      this.compactionQueued = false;
      return this.withLock(async () => {
        const mustCompact = await this.syncLocked(false);
        if (mustCompact || (this.journal && this.journal.offset >= this.journalLimit)) await this.compact();
      });
    }).catch((err) => this.warn(`history: could not fold ${this.journalPath} into ${this.file} (${messageOf(err)}); will retry`));
  }

  private async compactIfJournal(): Promise<void> {
    const mustCompact = await this.syncLocked(false);
    if (mustCompact || this.journal) await this.compact();
  }

  /** Under the lock, after a sync: a new snapshot with everything, then the journal goes. */
  private async compact(): Promise<void> {
    const generation = (this.generation + 1) >>> 0 || 1;
    const bytes = await this.host.export();
    writeGeneration(bytes, generation);
    try {
      this.stamp = await writeAtomic(this.file, bytes, generation);
      this.generation = generation;
    } catch (err) {
      this.stamp = undefined;
      throw err;
    }
    // Its lines are in the snapshot now. Should this fail or a crash come
    // first, its base no longer matches the snapshot and it is ignored.
    await removeJournal(this.journalPath).catch(() => undefined);
    this.journal = null;
    this.wrote = false;
  }

  /** Under the lock: reload everything from the files, repairing what needs it, and save the repair. */
  private repair(): Promise<void> {
    return this.withLock(async () => {
      this.stamp = undefined;
      if (await this.syncLocked(true)) await this.compact();
    });
  }

  /**
   * Without the lock: catch up with the files. The snapshot's stamp is read
   * again at the end; if it changed meanwhile (a compaction replaced it and
   * removed the journal we were reading), go again.
   */
  private async syncForRead(): Promise<void> {
    for (let attempt = 0; attempt < 4; attempt++) {
      const stamp = await readStamp(this.file);
      if (stamp !== this.stamp || this.stamp === undefined) {
        if (stamp === null) {
          // No file (deleted under us): an empty history; the next write creates it.
          const r = await this.host.load(null, { verify: false, repair: true });
          if (!r.ok) throw new Error(`history: could not start an empty history: ${r.reason}`);
          this.stamp = null;
          this.journal = null;
          return;
        }
        const loaded = await loadFile(this.file);
        if (!loaded) continue;
        const r = await this.host.load(loaded.bytes, { verify: false, repair: false });
        if (!r.ok) return this.repair(); // unreadable or old: under the lock
        this.setSnapshot(loaded.stamp, loaded.generation, r.version);
      }
      const caught = await this.catchUpJournal(false);
      if ((await readStamp(this.file)) !== this.stamp) continue;
      if (caught === 'lost') return this.repair();
      return;
    }
    return this.repair();
  }

  /**
   * Under the lock: make the database match the files, repairing what needs
   * it (missing → created, old schema → migrated, unreadable → moved aside
   * and started fresh, stale or torn journal → removed or cut). Returns true
   * when a new snapshot must be written (compact()).
   */
  private async syncLocked(verify: boolean, depth = 0): Promise<boolean> {
    const stamp = await readStamp(this.file);
    if (stamp === this.stamp && this.stamp !== undefined) {
      const caught = await this.catchUpJournal(true);
      if (caught === 'lost' && depth === 0) {
        this.stamp = undefined;
        return this.syncLocked(verify, 1);
      }
      return this.journalFull();
    }
    const loaded = stamp === null ? null : await loadFile(this.file);
    if (!loaded) {
      // a journal without its snapshot extends nothing
      await removeJournal(this.journalPath);
      await this.loadFresh();
      return true;
    }
    const r = await this.host.load(loaded.bytes, { verify, repair: true });
    if (!r.ok) {
      const backup = await moveAside(this.file);
      const journalBackup = await moveJournalAside(this.journalPath, backup);
      this.warn(
        `history: ${this.file} could not be read as a history database (${r.reason}); ` +
          `moved it to ${backup}${journalBackup ? ` (and its journal to ${journalBackup})` : ''} and started a new one`,
      );
      this.generation = Math.max(this.generation, loaded.generation);
      await this.loadFresh();
      return true;
    }
    this.setSnapshot(loaded.stamp, loaded.generation, r.version);
    await this.catchUpJournal(true);
    return r.migrated || this.journalFull();
  }

  private async loadFresh(): Promise<void> {
    const r = await this.host.load(null, { verify: false, repair: true });
    if (!r.ok) throw new Error(`history: could not start an empty history: ${r.reason}`);
    this.stamp = null;
    this.journal = null;
  }

  private setSnapshot(stamp: string, generation: number, version: number): void {
    this.stamp = stamp;
    this.generation = generation;
    this.journal = null;
    if (version > SCHEMA_VERSION && !this.warnedNewer) {
      this.warnedNewer = true;
      this.warn(`history: ${this.file} has schema version ${version}, newer than this version knows (${SCHEMA_VERSION}); using it as it is`);
    }
  }

  private journalFull(): boolean {
    return this.journal !== null && this.journal.offset >= this.journalLimit;
  }

  /**
   * Applies the journal lines not applied yet. 'lost': lines we applied are
   * no longer in the files (the journal went without a new snapshot), so the
   * caller must reload. Under the lock, a stale or headless journal is
   * removed and a torn tail cut off; without it they are only skipped.
   */
  private async catchUpJournal(locked: boolean): Promise<Catchup> {
    const known = this.journal;
    const j = await readJournal(this.journalPath, known?.offset ?? 0);
    if (!j) {
      this.journal = null;
      return known && known.offset > 0 ? 'lost' : 'ok';
    }
    if (j.base !== this.generation || (known && j.ino !== known.ino)) {
      if (known) {
        this.journal = null;
        return 'lost';
      }
      // stale: left by a compaction that died before removing it (or torn at creation)
      if (locked) await removeJournal(this.journalPath);
      return 'ok';
    }
    const r = j.body.length > 0 ? await this.host.applyJournal(j.body) : { consumed: 0, applied: 0, skipped: 0 };
    const offset = j.bodyStart + r.consumed;
    if (locked && offset < j.size) await truncateJournal(this.journalPath, offset);
    this.journal = { ino: j.ino, offset };
    return 'ok';
  }
}
