// The file-sync protocol: how one process's database meets the files that
// several processes share (VS Code windows on one global storage, parallel
// CLI submits). The store (sqlite-history.ts) calls it one operation at a time.
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
import { loadFile, moveAside, readStamp, removeLeftoverTemps, writeAtomic, writeGeneration } from './atomic-file';
import type { DbHost, WriteOp } from './db-ops';
import { acquireLock, type LockOptions } from './file-lock';
import { journalHeader, journalLine } from './journal-format';
import { catchUpJournal, type JournalPosition } from './journal-catchup';
import { appendJournal, createJournal, moveJournalAside, removeJournal } from './journal-file';
import { SCHEMA_VERSION } from './schema';

export const DEFAULT_JOURNAL_LIMIT_BYTES = 512 * 1024;

export interface FileSyncOptions {
  /** how long a write waits for the lock before failing (ms, default 30 000) */
  lockTimeoutMs?: number;
  /** a lock older than this is broken even if its holder seems alive (ms, default 60 000) */
  staleLockMs?: number;
  /** fold the journal into the database file once it is this big (bytes, default 512 KiB) */
  journalLimitBytes?: number;
}

const CORRUPTION = /malformed|not a database|SQLITE_CORRUPT|SQLITE_NOTADB|file is encrypted/i;
const isCorruption = (err: unknown) => err instanceof Error && CORRUPTION.test(err.message);

export class FileSync {
  /** stamp of the snapshot the database was loaded from or saved to; null: there is no file; undefined: reload */
  private stamp: string | null | undefined = undefined;
  /** generation in the snapshot's header; a journal extends exactly this generation */
  private generation = 0;
  private journal: JournalPosition | null = null;
  /** appended since the last compaction: the store folds the journal in on close */
  private appended = false;
  private warnedNewer = false;
  readonly journalPath: string;
  private readonly lockPath: string;
  private readonly lockOptions: LockOptions;
  private readonly journalLimit: number;

  constructor(
    /** the store's current database (replaced when its worker dies: see forget()) */
    private readonly host: () => DbHost,
    readonly file: string,
    opts: FileSyncOptions,
    private readonly warn: (msg: string) => void,
  ) {
    this.journalPath = `${file}.journal`;
    this.lockPath = `${file}.lock`;
    this.lockOptions = { timeoutMs: opts.lockTimeoutMs, staleMs: opts.staleLockMs };
    this.journalLimit = opts.journalLimitBytes ?? DEFAULT_JOURNAL_LIMIT_BYTES;
  }

  /** this store appended to the journal since the last compaction */
  get wrote(): boolean {
    return this.appended;
  }

  /** The database was replaced by an empty one: read the files again from scratch. */
  forget(): void {
    this.stamp = undefined;
    this.journal = null;
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
    return this.withLock(async () => {
      await removeLeftoverTemps(this.file);
      if (await this.syncLocked(false)) await this.compact();
    });
  }

  /** Catches up without the lock, then asks; corruption found on the way is repaired and the query asked again. */
  async read<T>(query: () => Promise<T>): Promise<T> {
    await this.syncForRead();
    try {
      return await query();
    } catch (err) {
      if (!isCorruption(err)) throw err;
      await this.repair();
      return await query();
    }
  }

  /**
   * Under the lock: apply a change (`apply`), then journal `op` when
   * `changedOf` says it changed something. `full`: the journal has reached
   * its limit and should be folded in (compactIfFull()) once this is answered.
   */
  write<T>(op: WriteOp, apply: () => Promise<T>, changedOf: (result: T) => boolean): Promise<{ result: T; full: boolean }> {
    return this.withLock(async () => {
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
        return { result, full: false };
      }
      if (!changedOf(result)) return { result, full: false };
      try {
        await this.append(op);
      } catch (err) {
        // memory now holds a change the files do not: reload before the next use
        this.stamp = undefined;
        throw err;
      }
      return { result, full: this.journalFull() };
    });
  }

  /** The queued compaction: folds the journal in if it is (still) over its limit. */
  compactIfFull(): Promise<void> {
    return this.withLock(async () => {
      const mustCompact = await this.syncLocked(false);
      if (mustCompact || this.journalFull()) await this.compact();
    });
  }

  /** On close: whatever journal there is goes into the snapshot, so the file alone is complete. */
  compactIfJournal(): Promise<void> {
    return this.withLock(async () => {
      const mustCompact = await this.syncLocked(false);
      if (mustCompact || this.journal) await this.compact();
    });
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = await acquireLock(this.lockPath, this.lockOptions);
    try {
      return await fn();
    } finally {
      await lock.release();
    }
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
    this.appended = true;
  }

  /** Under the lock, after a sync: a new snapshot with everything, then the journal goes. */
  private async compact(): Promise<void> {
    const generation = (this.generation + 1) >>> 0 || 1;
    const bytes = await this.host().export();
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
    this.appended = false;
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
          await this.loadFresh();
          return;
        }
        const loaded = await loadFile(this.file);
        if (!loaded) continue;
        const r = await this.host().load(loaded.bytes, { verify: false, repair: false });
        if (!r.ok) return this.repair(); // unreadable or old: under the lock
        this.setSnapshot(loaded.stamp, loaded.generation, r.version);
      }
      const caught = await this.catchUp(false);
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
      const caught = await this.catchUp(true);
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
    const r = await this.host().load(loaded.bytes, { verify, repair: true });
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
    await this.catchUp(true);
    return r.migrated || this.journalFull();
  }

  private async loadFresh(): Promise<void> {
    const r = await this.host().load(null, { verify: false, repair: true });
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

  private async catchUp(locked: boolean): Promise<'ok' | 'lost'> {
    const caught = await catchUpJournal(this.host(), this.journalPath, this.generation, this.journal, locked);
    this.journal = caught.journal;
    return caught.lost ? 'lost' : 'ok';
  }
}
