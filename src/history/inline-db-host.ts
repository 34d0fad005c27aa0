// The database on this thread: the fallback when no worker can be started,
// and a mode of its own for tests. Every call blocks the event loop for as
// long as sql.js works (at 100k jobs: ~60 ms to check a loaded file, ~80 ms
// to export it), which is why the worker is the default.
import type { SqlValue } from 'sql.js';
import type { ApplyResult, DbHost, LoadOptions, LoadResult, WriteOp } from './db-ops';
import { HistoryDb } from './history-db';
import { loadSqlJs } from './sql-engine';
import type { LedgerPayment, PaymentState, ReservationLimits, ReserveResult } from './payment-ledger';
import type { ConversationSummary, LocalModelStats, Metrics } from './types';

const CHUNK = 2000;

export async function createInlineDbHost(wasmPath?: string): Promise<DbHost> {
  return new InlineDbHost(new HistoryDb(await loadSqlJs(wasmPath)));
}

class InlineDbHost implements DbHost {
  readonly dead = false;
  readonly thread = 'inline';
  constructor(private readonly db: HistoryDb) {}

  // Each call still settles asynchronously, like the worker's, so callers see one behaviour.
  private async call<T>(fn: () => T): Promise<T> {
    return fn();
  }

  load(bytes: Uint8Array | null, opts: LoadOptions): Promise<LoadResult> {
    return this.call(() => this.db.load(bytes, opts));
  }
  applyJournal(body: Uint8Array): Promise<ApplyResult> {
    return this.call(() => this.db.applyJournal(body));
  }
  write(op: WriteOp): Promise<boolean> {
    return this.call(() => this.db.write(op));
  }
  get(id: string): Promise<SqlValue[] | null> {
    return this.call(() => this.db.get(id));
  }
  list<T>(limit: number, map: (row: SqlValue[]) => T): Promise<T[]> {
    return this.call(() => {
      const out: T[] = [];
      for (let chunk = this.db.list(limit, CHUNK); ; chunk = this.db.listMore(CHUNK)) {
        for (const row of chunk.rows) out.push(map(row));
        if (chunk.done) return out;
      }
    });
  }
  localModelStats(): Promise<LocalModelStats[]> {
    return this.call(() => this.db.localModelStats());
  }
  metrics(): Promise<Metrics> {
    return this.call(() => this.db.metrics());
  }
  spent(sinceMs: number): Promise<number> {
    return this.call(() => this.db.spent(sinceMs));
  }
  reserve(op: Extract<WriteOp, { op: 'reserve' }>, limits: ReservationLimits): Promise<ReserveResult> {
    return this.call(() => this.db.reserve(op, limits));
  }
  payments(states: readonly PaymentState[]): Promise<LedgerPayment[]> {
    return this.call(() => this.db.payments(states));
  }
  conversation(conversationId: string): Promise<SqlValue[][]> {
    return this.call(() => this.db.conversation(conversationId));
  }
  newestConversation(): Promise<string | null> {
    return this.call(() => this.db.newestConversation());
  }
  conversations(limit: number): Promise<ConversationSummary[]> {
    return this.call(() => this.db.conversations(limit));
  }
  export(): Promise<Uint8Array> {
    return this.call(() => this.db.export());
  }
  dispose(): Promise<void> {
    return this.call(() => this.db.close());
  }
}
