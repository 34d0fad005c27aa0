// The database in a worker thread, so sql.js never blocks the host's event
// loop: loading, checking and exporting a 100k-job file take tens of ms each.
// Bytes cross the boundary by transfer (no copy); lists come back in chunks
// that are turned into records one answer at a time.
//
// Where the worker's code is: next to the bundle (dist/history-worker.js,
// built by scripts/build.mjs), or, run from source, history-worker.ts
// started through tsx's require hook. Neither: the caller falls back to
// running the database on its own thread.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SqlValue } from 'sql.js';
import type { ApplyResult, DbHost, ListChunk, LoadOptions, LoadResult, WriteOp } from './db-ops';
import type { LedgerPayment, PaymentState, ReservationLimits, ReserveResult } from './payment-ledger';
import type { ConversationSummary, LocalModelStats, Metrics } from './types';
import type { WorkerInit, WorkerMethod, WorkerReply, WorkerRequest } from './worker-protocol';

export const WORKER_BUNDLE_NAME = 'history-worker.js';
// rows per message from the worker: each chunk is cloned and mapped on the host in one go, so it bounds how long
// a long list holds the host thread (schema v5 rows carry 34 columns)
const CHUNK_ROWS = 1000;

export type WorkerLaunch = { kind: 'file'; path: string } | { kind: 'source'; code: string; path: string };

/** How to start the worker from where this module runs, or null when it cannot be. */
export function workerLaunch(dir: string = __dirname): WorkerLaunch | null {
  const bundled = join(dir, WORKER_BUNDLE_NAME);
  if (existsSync(bundled)) return { kind: 'file', path: bundled };
  const source = join(dir, 'history-worker.ts');
  if (!existsSync(source)) return null;
  let tsx: string;
  try {
    // built up so a bundler does not try to follow it: this branch only runs from source
    tsx = require.resolve(['tsx', 'cjs', 'api'].join('/'));
  } catch {
    return null;
  }
  return { kind: 'source', path: source, code: `require(${JSON.stringify(tsx)}).register();\nrequire(${JSON.stringify(source)});\n` };
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export function createWorkerDbHost(launch: WorkerLaunch, wasm: ArrayBuffer): DbHost {
  return new WorkerDbHost(launch, wasm);
}

class WorkerDbHost implements DbHost {
  readonly thread = 'worker';
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: Error | null = null;
  private disposing = false;

  constructor(launch: WorkerLaunch, wasm: ArrayBuffer) {
    const workerData: WorkerInit = { wasm, chunkRows: CHUNK_ROWS };
    // execArgv: [] — not the host's flags: a loader such as `--import tsx` would
    // start its own machinery in the worker and slow its start several-fold
    this.worker =
      launch.kind === 'file' ? new Worker(launch.path, { workerData, execArgv: [] }) : new Worker(launch.code, { eval: true, workerData, execArgv: [] });
    this.worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    this.worker.on('error', (err) => this.stop(new Error(`history: the database worker failed: ${err.message}`)));
    this.worker.on('messageerror', (err) => this.stop(new Error(`history: a message from the database worker was unreadable: ${err.message}`)));
    this.worker.on('exit', (code) => {
      if (!this.disposing) this.stop(new Error(`history: the database worker exited (code ${code})`));
    });
    // an idle worker must not keep the process alive; a pending call does (see call())
    this.worker.unref();
  }

  get dead(): boolean {
    return this.stopped !== null;
  }

  load(bytes: Uint8Array | null, opts: LoadOptions): Promise<LoadResult> {
    return this.call('load', [bytes, opts], bytes ? owned(bytes) : []) as Promise<LoadResult>;
  }
  applyJournal(body: Uint8Array): Promise<ApplyResult> {
    return this.call('applyJournal', [body], owned(body)) as Promise<ApplyResult>;
  }
  write(op: WriteOp): Promise<boolean> {
    return this.call('write', [op]) as Promise<boolean>;
  }
  get(id: string): Promise<SqlValue[] | null> {
    return this.call('get', [id]) as Promise<SqlValue[] | null>;
  }
  /**
   * One answer per chunk, each its own event on this thread (a worker's
   * queued messages are otherwise all delivered in one go): the next chunk
   * is asked for before this one is mapped, so the worker reads while we map.
   */
  async list<T>(limit: number, map: (row: SqlValue[]) => T): Promise<T[]> {
    const out: T[] = [];
    let next = this.call('list', [limit]) as Promise<ListChunk>;
    for (;;) {
      const chunk = await next;
      if (!chunk.done) next = this.call('listMore', []) as Promise<ListChunk>;
      try {
        for (const row of chunk.rows) out.push(map(row));
      } catch (err) {
        next.catch(() => undefined);
        throw err;
      }
      if (chunk.done) return out;
    }
  }
  metrics(): Promise<Metrics> {
    return this.call('metrics', []) as Promise<Metrics>;
  }
  localModelStats(): Promise<LocalModelStats[]> {
    return this.call('localStats', []) as Promise<LocalModelStats[]>;
  }
  spent(sinceMs: number): Promise<number> {
    return this.call('spent', [sinceMs]) as Promise<number>;
  }
  reserve(op: Extract<WriteOp, { op: 'reserve' }>, limits: ReservationLimits): Promise<ReserveResult> {
    return this.call('reserve', [op, limits]) as Promise<ReserveResult>;
  }
  payments(states: readonly PaymentState[]): Promise<LedgerPayment[]> {
    return this.call('payments', [states]) as Promise<LedgerPayment[]>;
  }
  conversation(conversationId: string): Promise<SqlValue[][]> {
    return this.call('conversation', [conversationId]) as Promise<SqlValue[][]>;
  }
  newestConversation(): Promise<string | null> {
    return this.call('newestConversation', []) as Promise<string | null>;
  }
  conversations(limit: number): Promise<ConversationSummary[]> {
    return this.call('conversations', [limit]) as Promise<ConversationSummary[]>;
  }
  export(): Promise<Uint8Array> {
    return this.call('export', []) as Promise<Uint8Array>;
  }

  async dispose(): Promise<void> {
    if (this.disposing) return;
    try {
      if (!this.stopped) await this.call('close', []);
    } finally {
      this.disposing = true;
      await this.worker.terminate();
    }
  }

  private call(method: WorkerMethod, args: unknown[], transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      const request: WorkerRequest = { id, method, args };
      try {
        this.worker.postMessage(request, transfer);
      } catch (err) {
        this.settle(id);
        reject(err as Error);
      }
    });
  }

  private onReply(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.settle(reply.id);
    if (reply.kind === 'result') p.resolve(reply.value);
    else p.reject(Object.assign(new Error(reply.message), { name: reply.name }));
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private stop(err: Error): void {
    if (this.stopped) return;
    this.stopped = err;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
  }
}

/** Transfer a buffer only when this view owns all of it (never a slice of a shared pool). */
function owned(bytes: Uint8Array): ArrayBuffer[] {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.byteLength > 0 ? [bytes.buffer as ArrayBuffer] : [];
}
