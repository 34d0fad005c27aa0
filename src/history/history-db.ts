// The history's sql.js database and every statement run on it. Synchronous
// and thread-agnostic: the worker (history-worker.ts) owns one, and the
// in-thread fallback (inline-db-host.ts) does too. No file I/O here: bytes
// come in (snapshot, journal lines) and go out (export).
import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import type { ApplyResult, ListChunk, LoadOptions, LoadResult, WriteOp } from './db-ops';
import { parseJournalLine } from './journal-format';
import { queryMetrics, querySpentSince } from './metrics-query';
import { queryLocalModelStats } from './local-stats-query';
import {
  insertReservation,
  paymentsInDb,
  reserveInDb,
  settleInDb,
  type LedgerPayment,
  type PaymentState,
  type ReservationLimits,
  type ReserveResult,
} from './payment-ledger';
import {
  BLANK_TEXT,
  blankTextBefore,
  deleteConversation,
  queryConversation,
  queryConversations,
  queryNewestConversation,
  reclaimSpaceAfter,
} from './conversation-query';
import { SELECT_COLUMNS } from './row-mapping';
import { migrate, needsMigration, rollbackQuietly, schemaVersion } from './schema';
import type { ConversationSummary, LocalModelStats, Metrics } from './types';

const NEWLINE = 0x0a;
const MAX_CACHED_STATEMENTS = 32;
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * What can be told from the bytes alone, before SQLite reads a page: the
 * magic, a sane page size, and a file at least as long as its header says
 * (the one damage an atomically replaced file realistically suffers is being
 * cut short: a full disk, a partial copy). Returns why not, or null.
 */
export function structuralProblem(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return null; // SQLite treats an empty file as an empty database
  if (bytes.length < 100) return `only ${bytes.length} bytes, shorter than a SQLite header`;
  const magic = 'SQLite format 3\u0000';
  for (let i = 0; i < magic.length; i++) {
    if (bytes[i] !== magic.charCodeAt(i)) return 'file is not a database (no SQLite header)';
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rawPageSize = view.getUint16(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `invalid page size ${rawPageSize}`;
  // the in-header page count is valid when the change counter matches version-valid-for
  const pages = view.getUint32(28);
  if (pages > 0 && view.getUint32(24) === view.getUint32(92) && bytes.length < pages * pageSize) {
    return `database disk image is malformed: truncated to ${bytes.length} of ${pages * pageSize} bytes`;
  }
  return null;
}

export class HistoryDb {
  private db: Database | null = null;
  private readonly statements = new Map<string, Statement>();
  private metricsCache: Metrics | null = null;
  /** the list being read out (list/listMore) */
  private cursor: Statement | null = null;
  /** rows the last blankBefore write blanked */
  private blanked = 0;

  constructor(private readonly SQL: SqlJsStatic) {}

  load(bytes: Uint8Array | null, opts: LoadOptions): LoadResult {
    let db: Database | null = null;
    try {
      if (bytes) {
        const problem = structuralProblem(bytes);
        if (problem) return { ok: false, reason: problem };
      }
      db = bytes ? new this.SQL.Database(bytes) : new this.SQL.Database();
      // sql.js opens anything; the first query tells whether it is SQLite at all
      db.exec('SELECT count(*) FROM sqlite_master');
      if (opts.verify && bytes) {
        const result = String(db.exec('PRAGMA quick_check')[0]?.values[0]?.[0] ?? '');
        if (result !== 'ok') return this.refuse(db, `integrity check failed: ${result}`);
      }
      let migrated = false;
      if (opts.repair || !bytes) migrated = migrate(db);
      else if (needsMigration(db)) return this.refuse(db, 'needs migration');
      const version = schemaVersion(db);
      this.replace(db);
      return { ok: true, migrated, version };
    } catch (err) {
      db?.close();
      return { ok: false, reason: messageOf(err) };
    }
  }

  /** Applies whole journal lines; an unfinished last line (a write in progress, or torn by a crash) is left. */
  applyJournal(body: Uint8Array): ApplyResult {
    this.endList();
    const db = this.open();
    const decoder = new TextDecoder();
    let consumed = 0;
    let applied = 0;
    let skipped = 0;
    db.exec('BEGIN');
    try {
      for (;;) {
        const end = body.indexOf(NEWLINE, consumed);
        if (end < 0) break;
        const op = parseJournalLine(decoder.decode(body.subarray(consumed, end)));
        consumed = end + 1;
        if (!op) {
          skipped++;
          continue;
        }
        try {
          this.run(db, op, true);
          applied++;
        } catch {
          skipped++;
        }
      }
      db.exec('COMMIT');
    } catch (err) {
      rollbackQuietly(db);
      throw err;
    }
    if (applied > 0) this.metricsCache = null;
    return { consumed, applied, skipped };
  }

  write(op: WriteOp): boolean {
    this.endList();
    const db = this.open();
    db.exec('BEGIN');
    try {
      this.blanked = 0;
      const changed = this.run(db, op, false);
      db.exec('COMMIT');
      if (changed) this.metricsCache = null;
      if (changed && op.op === 'blankBefore') {
        // VACUUM rebuilds the database under the prepared statements: start them afresh
        this.freeStatements();
        reclaimSpaceAfter(db, this.blanked);
      }
      return changed;
    } catch (err) {
      rollbackQuietly(db);
      throw err;
    }
  }

  get(id: string): SqlValue[] | null {
    const stmt = this.statement(`SELECT ${SELECT_COLUMNS} FROM jobs WHERE id = ?`);
    try {
      stmt.bind([id]);
      return stmt.step() ? stmt.get() : null;
    } finally {
      stmt.reset();
    }
  }

  /**
   * Newest first: submitted_at descending, then the later insert first. The
   * first `chunkSize` rows; listMore() gives the next ones until `done`, so
   * the receiving side can take a long list a piece at a time.
   */
  list(limit: number, chunkSize: number): ListChunk {
    this.endList();
    const stmt = this.statement(`SELECT ${SELECT_COLUMNS} FROM jobs ORDER BY submitted_at DESC, rowid DESC LIMIT ?`);
    stmt.bind([limit]);
    this.cursor = stmt;
    return this.listMore(chunkSize);
  }

  listMore(chunkSize: number): ListChunk {
    const stmt = this.cursor;
    if (!stmt) return { rows: [], done: true };
    const rows: SqlValue[][] = [];
    try {
      while (rows.length < chunkSize) {
        if (!stmt.step()) {
          this.endList();
          return { rows, done: true };
        }
        rows.push(stmt.get());
      }
    } catch (err) {
      this.endList();
      throw err;
    }
    return { rows, done: false };
  }

  private endList(): void {
    const stmt = this.cursor;
    this.cursor = null;
    try {
      stmt?.reset();
    } catch {
      // freed with its connection
    }
  }

  /** Cached until the next change: views ask often, the answer changes once per job. */
  metrics(): Metrics {
    this.metricsCache ??= queryMetrics(this.open());
    return { ...this.metricsCache };
  }

  localModelStats(): LocalModelStats[] {
    return queryLocalModelStats(this.open());
  }

  spent(sinceMs: number): number {
    return querySpentSince(this.open(), sinceMs);
  }

  reserve(op: Extract<WriteOp, { op: 'reserve' }>, limits: ReservationLimits): ReserveResult {
    this.endList();
    const db = this.open();
    db.exec('BEGIN');
    try {
      const r = reserveInDb(db, op.payment, limits);
      db.exec('COMMIT');
      if (r.ok) this.metricsCache = null;
      return r;
    } catch (err) {
      rollbackQuietly(db);
      throw err;
    }
  }

  payments(states: readonly PaymentState[]): LedgerPayment[] {
    return paymentsInDb(this.open(), states);
  }

  conversation(conversationId: string): SqlValue[][] {
    return queryConversation(this.open(), conversationId);
  }

  newestConversation(): string | null {
    return queryNewestConversation(this.open());
  }

  conversations(limit: number): ConversationSummary[] {
    return queryConversations(this.open(), limit);
  }

  export(): Uint8Array {
    // export() closes and reopens the connection inside sql.js: prepared statements die with it
    this.cursor = null;
    this.freeStatements();
    return this.open().export();
  }

  close(): void {
    this.cursor = null;
    this.freeStatements();
    this.db?.close();
    this.db = null;
    this.metricsCache = null;
  }

  // ---- internals ----

  private refuse(db: Database, reason: string): LoadResult {
    db.close();
    return { ok: false, reason };
  }

  private replace(db: Database): void {
    this.close();
    this.db = db;
  }

  private open(): Database {
    if (!this.db) throw new Error('history: no database is loaded');
    return this.db;
  }

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      // updates vary by the columns they set: keep the cache small
      if (this.statements.size >= MAX_CACHED_STATEMENTS) {
        this.cursor = null;
        this.freeStatements();
      }
      stmt = this.open().prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private freeStatements(): void {
    for (const stmt of this.statements.values()) {
      try {
        stmt.free();
      } catch {
        // already gone with its connection
      }
    }
    this.statements.clear();
  }

  /**
   * One change. A replayed insert whose id is already there is skipped (the
   * journal is only ever replayed onto the snapshot it extends, so this
   * means nothing was lost); a fresh one is refused.
   */
  private run(db: Database, op: WriteOp, replaying: boolean): boolean {
    switch (op.op) {
      case 'insert': {
        if (this.exists(op.id)) {
          if (replaying) return false;
          throw new Error(`history: a job with id ${op.id} is already recorded`);
        }
        this.statement(`INSERT INTO jobs (${op.columns.join(', ')}) VALUES (${op.columns.map(() => '?').join(', ')})`).run(op.values);
        return true;
      }
      case 'update': {
        if (op.columns.length === 0) return false;
        this.statement(`UPDATE jobs SET ${op.columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run([...op.values, op.id]);
        return db.getRowsModified() > 0;
      }
      case 'clear': {
        // Conversations go; the record of money spent stays (amounts only, no
        // prompt or answer), or clearing history would reset the budgets.
        db.run('DELETE FROM jobs WHERE cost_msats = 0 AND fees_msats = 0');
        let changed = db.getRowsModified() > 0;
        db.run(`UPDATE jobs SET ${BLANK_TEXT} WHERE request <> '' OR COALESCE(question, '') <> ''`);
        changed = db.getRowsModified() > 0 || changed;
        return changed;
      }
      case 'reserve':
        return insertReservation(db, op.payment);
      case 'settle':
        return settleInDb(db, op.paymentHash, op.settlement);
      case 'deleteConversation':
        return deleteConversation(db, op.conversationId);
      case 'blankBefore':
        this.blanked = blankTextBefore(db, op.beforeMs);
        return this.blanked > 0;
    }
  }

  private exists(id: string): boolean {
    const stmt = this.statement('SELECT 1 FROM jobs WHERE id = ?');
    try {
      stmt.bind([id]);
      return stmt.step();
    } finally {
      stmt.reset();
    }
  }
}
