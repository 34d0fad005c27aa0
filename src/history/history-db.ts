// The history's sql.js database and every statement run on it. Synchronous
// and thread-agnostic: the worker (history-worker.ts) owns one, and the
// in-thread fallback (inline-db-host.ts) does too. No file I/O here: bytes
// come in (snapshot, journal lines) and go out (export).
import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';
import type { ApplyResult, ListChunk, LoadOptions, LoadResult, WriteOp } from './db-ops';
import { parseJournalLine } from './journal-format';
import { structuralProblem } from './sqlite-header';
import { queryMetrics, querySpentSince } from './metrics-query';
import { queryLocalModelStats } from './local-stats-query';
import { paymentsInDb, reserveInDb, type LedgerPayment, type PaymentState, type ReservationLimits, type ReserveResult } from './payment-ledger';
import { queryConversation, queryConversations, queryNewestConversation, reclaimSpaceAfter } from './conversation-query';
import { applyOp } from './apply-op';
import { SELECT_COLUMNS } from './row-mapping';
import { migrate, needsMigration, rollbackQuietly, schemaVersion } from './schema';
import type { ConversationSummary, LocalModelStats, Metrics } from './types';

const NEWLINE = 0x0a;
const MAX_CACHED_STATEMENTS = 32;
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class HistoryDb {
  private db: Database | null = null;
  private readonly statements = new Map<string, Statement>();
  private metricsCache: Metrics | null = null;
  /** the list being read out (list/listMore) */
  private cursor: Statement | null = null;

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
          applyOp(db, op, true, (sql) => this.statement(sql));
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
      const { changed, blanked } = applyOp(db, op, false, (sql) => this.statement(sql));
      db.exec('COMMIT');
      if (changed) this.metricsCache = null;
      if (changed && op.op === 'blankBefore') {
        // VACUUM rebuilds the database under the prepared statements: start them afresh
        this.freeStatements();
        reclaimSpaceAfter(db, blanked);
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
}
