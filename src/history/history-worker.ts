// Entry of the history's database worker: owns one sql.js database
// (history-db.ts) and answers the store's calls in order. Bundled on its own
// as dist/history-worker.js (scripts/build.mjs); from source it is started
// through tsx (worker-db-host.ts).
import { parentPort, workerData } from 'node:worker_threads';
import initSqlJs from 'sql.js';
import type { WriteOp } from './db-ops';
import { HistoryDb } from './history-db';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('history-worker must run in a worker thread');
const init = workerData as WorkerInit;
const ready = initSqlJs({ wasmBinary: init.wasm }).then((SQL) => new HistoryDb(SQL));
// a failed init is reported to every call instead
ready.catch(() => undefined);

function send(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(reply, transfer);
}

/** Hand a buffer over without copying when this view owns all of it. */
function ownedBuffer(bytes: Uint8Array): ArrayBuffer[] {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer as ArrayBuffer] : [];
}

async function handle(req: WorkerRequest): Promise<void> {
  let db: HistoryDb;
  try {
    db = await ready;
  } catch (err) {
    send({ id: req.id, kind: 'error', name: 'Error', message: `history: sql.js failed to initialise in the worker (${(err as Error)?.message ?? err})` });
    return;
  }
  try {
    const a = req.args;
    switch (req.method) {
      case 'load':
        return send({ id: req.id, kind: 'result', value: db.load(a[0] as Uint8Array | null, a[1] as { verify: boolean; repair: boolean }) });
      case 'applyJournal':
        return send({ id: req.id, kind: 'result', value: db.applyJournal(a[0] as Uint8Array) });
      case 'write':
        return send({ id: req.id, kind: 'result', value: db.write(a[0] as WriteOp) });
      case 'get':
        return send({ id: req.id, kind: 'result', value: db.get(a[0] as string) });
      case 'list':
        return send({ id: req.id, kind: 'result', value: db.list(a[0] as number, init.chunkRows) });
      case 'listMore':
        return send({ id: req.id, kind: 'result', value: db.listMore(init.chunkRows) });
      case 'metrics':
        return send({ id: req.id, kind: 'result', value: db.metrics() });
      case 'localStats':
        return send({ id: req.id, kind: 'result', value: db.localModelStats() });
      case 'spent':
        return send({ id: req.id, kind: 'result', value: db.spent(a[0] as number) });
      case 'reserve':
        return send({ id: req.id, kind: 'result', value: db.reserve(a[0] as never, a[1] as never) });
      case 'payments':
        return send({ id: req.id, kind: 'result', value: db.payments(a[0] as never) });
      case 'conversation':
        return send({ id: req.id, kind: 'result', value: db.conversation(a[0] as string) });
      case 'newestConversation':
        return send({ id: req.id, kind: 'result', value: db.newestConversation() });
      case 'conversations':
        return send({ id: req.id, kind: 'result', value: db.conversations(a[0] as number) });
      case 'export': {
        const bytes = db.export();
        return send({ id: req.id, kind: 'result', value: bytes }, ownedBuffer(bytes));
      }
      case 'close':
        db.close();
        return send({ id: req.id, kind: 'result', value: null });
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    send({ id: req.id, kind: 'error', name: e.name, message: e.message });
  }
}

port.on('message', (req: WorkerRequest) => void handle(req));
