// Messages between the store (any thread) and its database worker.

export type WorkerMethod =
  | 'load'
  | 'applyJournal'
  | 'write'
  | 'get'
  | 'list'
  | 'listMore'
  | 'metrics'
  | 'localStats'
  | 'spent'
  | 'reserve'
  | 'payments'
  | 'export'
  | 'close'
  | 'conversation'
  | 'newestConversation'
  | 'conversations';

export interface WorkerRequest {
  id: number;
  method: WorkerMethod;
  args: unknown[];
}

export type WorkerReply = { id: number; kind: 'result'; value: unknown } | { id: number; kind: 'error'; name: string; message: string };

export interface WorkerInit {
  /** sql-wasm.wasm, already found and validated by the caller */
  wasm: ArrayBuffer;
  /** rows per list/listMore answer */
  chunkRows: number;
}
