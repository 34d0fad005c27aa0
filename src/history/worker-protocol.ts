// Messages between the store (any thread) and its database worker.
import type { SqlValue } from 'sql.js';

export type WorkerMethod = 'load' | 'applyJournal' | 'write' | 'get' | 'list' | 'metrics' | 'spent' | 'export' | 'close';

export interface WorkerRequest {
  id: number;
  method: WorkerMethod;
  args: unknown[];
}

export type WorkerReply =
  | { id: number; kind: 'result'; value: unknown }
  | { id: number; kind: 'error'; name: string; message: string }
  /** part of a list's rows; the list ends with its 'result' */
  | { id: number; kind: 'chunk'; rows: SqlValue[][] };

export interface WorkerInit {
  /** sql-wasm.wasm, already found and validated by the caller */
  wasm: ArrayBuffer;
  /** rows per 'chunk' message */
  chunkRows: number;
}
