// The history store: a sql.js database kept in memory and in one file that
// several processes share (VS Code windows on one global storage, parallel
// CLI submits).
//
// Every write: take the lock file, reload the file if another writer changed
// it since we loaded it, apply the change in a transaction, save atomically,
// release. Every read: reload only when the file's stamp changed; reads never
// export or write. So no writer ever saves over a row it has not seen.
import { promises as fs } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { loadFile, moveAside, readStamp, removeLeftoverTemps, writeAtomic, writeGeneration } from './atomic-file';
import { acquireLock, type LockOptions } from './file-lock';
import { querySpentSince, queryMetrics } from './metrics-query';
import { patchToRow, recordToRow, rowToRecord, SELECT_COLUMNS } from './row-mapping';
import { migrate, rollbackQuietly, SCHEMA_VERSION, schemaVersion } from './schema';
import { loadSqlJs } from './sql-engine';
import type { HistoryStore, JobRecord, Metrics } from './types';

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
}

export async function openHistory(file: string, opts: HistoryOptions = {}): Promise<HistoryStore> {
  const SQL = await loadSqlJs(opts.wasmPath);
  const path = resolve(file);
  await fs.mkdir(dirname(path), { recursive: true });
  const store = new SqliteHistory(SQL, path, opts);
  await store.open();
  return store;
}

const CORRUPTION = /malformed|not a database|SQLITE_CORRUPT|SQLITE_NOTADB|file is encrypted/i;
const isCorruption = (err: unknown) => err instanceof Error && CORRUPTION.test(err.message);
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

class SqliteHistory implements HistoryStore {
  private db: Database | null = null;
  /** stamp of the file `db` was loaded from or saved to; null: there is no file; undefined: reload */
  private stamp: string | null | undefined = undefined;
  /** generation written into the header at the last load/save; saves write the next one */
  private generation = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;
  private readonly lockPath: string;
  private readonly lockOptions: LockOptions;
  private readonly warn: (msg: string) => void;
  private warnedNewer = false;

  constructor(
    private readonly SQL: SqlJsStatic,
    private readonly file: string,
    opts: HistoryOptions,
  ) {
    this.lockPath = `${file}.lock`;
    this.lockOptions = { timeoutMs: opts.lockTimeoutMs, staleMs: opts.staleLockMs };
    this.warn = opts.onWarning ?? ((msg) => console.warn(msg));
  }

  /** First load: integrity-checked, leftovers of interrupted saves removed, created/migrated as needed. */
  open(): Promise<void> {
    return this.serial(() =>
      this.withLock(async () => {
        await removeLeftoverTemps(this.file);
        if (await this.syncLocked(true)) await this.save();
      }),
    );
  }

  insert(record: JobRecord): Promise<void> {
    let row: ReturnType<typeof recordToRow>;
    try {
      row = recordToRow(record);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.write((db) => {
      if (this.exists(db, record.id)) throw new Error(`history: a job with id ${record.id} is already recorded`);
      db.run(`INSERT INTO jobs (${row.columns.join(', ')}) VALUES (${row.columns.map(() => '?').join(', ')})`, row.values);
      return true;
    });
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
    return this.write((db) => {
      db.run(`UPDATE jobs SET ${set.columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [...set.values, id]);
      return db.getRowsModified() > 0;
    });
  }

  get(id: string): Promise<JobRecord | null> {
    return this.read((db) => this.select(db, `SELECT ${SELECT_COLUMNS} FROM jobs WHERE id = ?`, [id])[0] ?? null);
  }

  /** Newest first: submitted_at descending, then the later insert first. */
  list(limit: number): Promise<JobRecord[]> {
    if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 0))) {
      return Promise.reject(new TypeError(`history: list limit must be a whole number ≥ 0, got ${limit}`));
    }
    const sqlLimit = limit === Infinity ? -1 : limit;
    return this.read((db) => this.select(db, `SELECT ${SELECT_COLUMNS} FROM jobs ORDER BY submitted_at DESC, rowid DESC LIMIT ?`, [sqlLimit]));
  }

  /** Every row, newest first (for export and the extension's views). */
  exportAll(): Promise<JobRecord[]> {
    return this.list(Infinity);
  }

  metrics(): Promise<Metrics> {
    return this.read((db) => queryMetrics(db));
  }

  spentMsatsSince(sinceMs: number): Promise<number> {
    if (!Number.isFinite(sinceMs)) return Promise.reject(new TypeError(`history: sinceMs must be Unix milliseconds, got ${sinceMs}`));
    return this.read((db) => querySpentSince(db, sinceMs));
  }

  /** Deletes every row (the extension's Clear History); the schema stays. */
  clear(): Promise<void> {
    return this.write((db) => {
      db.run('DELETE FROM jobs');
      return db.getRowsModified() > 0;
    });
  }

  close(): Promise<void> {
    if (!this.closing) {
      // operations already queued finish first
      this.closing = this.queue.then(() => {
        this.db?.close();
        this.db = null;
      });
    }
    return this.closing;
  }

  // ---- plumbing ----

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new Error(`history: the store for ${this.file} is closed`));
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = await acquireLock(this.lockPath, this.lockOptions);
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }

  private read<T>(query: (db: Database) => T): Promise<T> {
    return this.serial(async () => {
      await this.syncForRead();
      try {
        return query(this.db!);
      } catch (err) {
        if (!isCorruption(err)) throw err;
        await this.withLock(async () => {
          this.stamp = undefined;
          if (await this.syncLocked(true)) await this.save();
        });
        return query(this.db!);
      }
    });
  }

  /** `change` runs in a transaction and says whether it changed anything worth saving. */
  private write(change: (db: Database) => boolean): Promise<void> {
    return this.serial(() =>
      this.withLock(async () => {
        let mustSave = await this.syncLocked(false);
        let changed: boolean;
        try {
          changed = this.transaction(change);
        } catch (err) {
          if (!isCorruption(err)) throw err;
          this.stamp = undefined;
          mustSave = await this.syncLocked(true);
          changed = this.transaction(change);
        }
        if (changed || mustSave) await this.save();
      }),
    );
  }

  private transaction(change: (db: Database) => boolean): boolean {
    const db = this.db!;
    db.exec('BEGIN');
    try {
      const changed = change(db);
      db.exec('COMMIT');
      return changed;
    } catch (err) {
      rollbackQuietly(db);
      throw err;
    }
  }

  /** Without the lock: reload when the file changed; anything needing repair is done under the lock. */
  private async syncForRead(): Promise<void> {
    const stamp = await readStamp(this.file);
    if (this.db && stamp === this.stamp) return;
    const loaded = stamp === null ? null : await loadFile(this.file);
    if (!loaded) {
      // No file (deleted under us): an empty history; the next write creates it.
      this.replaceDb(this.fresh(), null);
      return;
    }
    let db: Database | null = null;
    try {
      db = this.parse(loaded.bytes, false);
      if (schemaVersion(db) < SCHEMA_VERSION) throw new Error('needs migration');
    } catch {
      db?.close();
      await this.withLock(async () => {
        this.stamp = undefined;
        if (await this.syncLocked(true)) await this.save();
      });
      return;
    }
    this.replaceDb(db, loaded.stamp, loaded.generation);
  }

  /**
   * Under the lock: make `db` match the file, repairing what needs it
   * (missing → created, old schema → migrated, unreadable → moved aside and
   * started fresh). Returns true when the in-memory database must be saved.
   */
  private async syncLocked(verify: boolean): Promise<boolean> {
    const stamp = await readStamp(this.file);
    if (this.db && stamp === this.stamp) return false;
    const loaded = stamp === null ? null : await loadFile(this.file);
    if (!loaded) {
      this.replaceDb(this.fresh(), null);
      return true;
    }
    let db: Database | null = null;
    try {
      db = this.parse(loaded.bytes, verify);
      this.replaceDb(db, loaded.stamp, loaded.generation);
      const migrated = migrate(db);
      this.checkNewer(db);
      return migrated;
    } catch (err) {
      if (db && db !== this.db) db.close();
      const backup = await moveAside(this.file);
      this.warn(
        `history: ${this.file} could not be read as a history database (${messageOf(err)}); ` +
          `moved it to ${backup} and started a new one`,
      );
      this.generation = Math.max(this.generation, loaded.generation);
      this.replaceDb(this.fresh(), null);
      return true;
    }
  }

  private parse(bytes: Uint8Array, verify: boolean): Database {
    const db = new this.SQL.Database(bytes);
    try {
      // sql.js opens anything; the first query tells whether it is SQLite at all
      db.exec('SELECT count(*) FROM sqlite_master');
      if (verify) {
        const result = String(db.exec('PRAGMA quick_check')[0]?.values[0]?.[0] ?? '');
        if (result !== 'ok') throw new Error(`integrity check failed: ${result}`);
      }
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private fresh(): Database {
    const db = new this.SQL.Database();
    migrate(db);
    return db;
  }

  private replaceDb(db: Database, stamp: string | null, generation?: number): void {
    if (this.db && this.db !== db) this.db.close();
    this.db = db;
    this.stamp = stamp;
    if (generation !== undefined) this.generation = generation;
  }

  private checkNewer(db: Database): void {
    const version = schemaVersion(db);
    if (version > SCHEMA_VERSION && !this.warnedNewer) {
      this.warnedNewer = true;
      this.warn(`history: ${this.file} has schema version ${version}, newer than this version knows (${SCHEMA_VERSION}); using it as it is`);
    }
  }

  private async save(): Promise<void> {
    const generation = ((this.generation + 1) >>> 0) || 1;
    const bytes = this.db!.export();
    writeGeneration(bytes, generation);
    try {
      this.stamp = await writeAtomic(this.file, bytes, generation);
      this.generation = generation;
    } catch (err) {
      // memory now holds a change the file does not: reload before the next use
      this.stamp = undefined;
      throw err;
    }
  }

  private exists(db: Database, id: string): boolean {
    const stmt = db.prepare('SELECT 1 FROM jobs WHERE id = ?');
    try {
      stmt.bind([id]);
      return stmt.step();
    } finally {
      stmt.free();
    }
  }

  private select(db: Database, sql: string, params: SqlValue[]): JobRecord[] {
    const stmt = db.prepare(sql);
    try {
      stmt.bind(params);
      const out: JobRecord[] = [];
      while (stmt.step()) out.push(rowToRecord(stmt.getAsObject()));
      return out;
    } finally {
      stmt.free();
    }
  }
}
