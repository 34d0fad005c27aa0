// A separate process writing to one history file, for the history store's
// concurrency tests. Also exports the record factory the tests share.
//
//   node --import tsx test/support/history-writer.ts batch FILE PREFIX COUNT
//     opens the store, prints "ready", waits for "go" on stdin, inserts COUNT
//     rows one after the other, prints "done".
//   node --import tsx test/support/history-writer.ts loop FILE PREFIX PAD
//     inserts rows (prompts PAD chars long) until killed, printing
//     "committed <id>" after each insert has been saved.
//   node --import tsx test/support/history-writer.ts crash FILE PREFIX N
//     inserts N rows ("committed <id>" each), then dies by SIGKILL halfway
//     through writing the next save's bytes, whatever file it writes them to.
import { promises as fs } from 'node:fs';
import { createInterface } from 'node:readline';
import { pendingRecord } from '../../src/engine/pending-record';
import { openHistory } from '../../src/history/sqlite-history';
import type { JobRecord } from '../../src/history/types';

/** A completed local run (every column filled the way the engine fills it), changed by `overrides`. */
export function makeRecord(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    ...pendingRecord(id, 'llama3', `prompt of ${id}`, 1_700_000_000_000),
    state: 'completed',
    lane: 'local',
    response: `response of ${id}`,
    localAttempted: true,
    localOutcome: 'success',
    ttftMs: 12,
    durationMs: 34,
    completedAt: 1_700_000_000_034,
    localPartial: null,
    localLoadMs: null,
    localTtftMs: null,
    localTokensPerSec: null,
    localRemoteHost: null,
    hedged: false,
    hedgeWinner: null,
    hedgeLoserOutcome: null,
    conversationId: id,
    turn: 1,
    source: null,
    caller: null,
    ...overrides,
    question: overrides.question ?? overrides.prompt ?? `prompt of ${id}`,
  };
}

async function main(): Promise<void> {
  const [mode, file, prefix, arg] = process.argv.slice(2);
  const store = await openHistory(file, { onWarning: (m) => process.stderr.write(`${m}\n`) });
  if (mode === 'batch') {
    const count = Number(arg);
    process.stdout.write('ready\n');
    await new Promise<void>((resolve) => {
      const rl = createInterface({ input: process.stdin });
      rl.on('line', (line) => {
        if (line.trim() === 'go') {
          rl.close();
          process.stdin.destroy(); // else the open pipe keeps this process alive
          resolve();
        }
      });
    });
    for (let i = 0; i < count; i++) {
      await store.insert(makeRecord(`${prefix}-${i}`, { submittedAt: Date.now() }));
    }
    await store.close();
    process.stdout.write('done\n');
  } else if (mode === 'loop') {
    const pad = 'x'.repeat(Number(arg) || 0);
    for (let i = 0; ; i++) {
      const id = `${prefix}-${i}`;
      await store.insert(makeRecord(id, { prompt: `${id} ${pad}`, submittedAt: Date.now() }));
      process.stdout.write(`committed ${id}\n`);
    }
  } else if (mode === 'crash') {
    const count = Number(arg);
    for (let i = 0; i < count; i++) {
      const id = `${prefix}-${i}`;
      await store.insert(makeRecord(id, { submittedAt: Date.now() }));
      process.stdout.write(`committed ${id}\n`);
    }
    await dieHalfwayThroughNextBigWrite();
    await store.insert(makeRecord(`${prefix}-never`, { submittedAt: Date.now() }));
    throw new Error('the armed crash did not happen');
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

/** Arms every FileHandle: a write of a database-sized buffer writes half of it and the process dies. */
async function dieHalfwayThroughNextBigWrite(): Promise<void> {
  const probe = await fs.open(__filename, 'r');
  const proto = Object.getPrototypeOf(probe) as Record<string, unknown>;
  await probe.close();
  const halfThenDie = async function (this: fs.FileHandle, data: unknown, ...rest: unknown[]) {
    if (data instanceof Uint8Array && data.length > 1024) {
      await original.write.call(this, data.subarray(0, data.length >> 1));
      await original.sync.call(this);
      process.kill(process.pid, 'SIGKILL');
      await new Promise(() => undefined);
    }
    return (original.writeFile as (...a: unknown[]) => unknown).call(this, data, ...rest);
  };
  const original = {
    write: proto.write as (this: fs.FileHandle, d: Uint8Array) => Promise<unknown>,
    writeFile: proto.writeFile as (...a: unknown[]) => Promise<unknown>,
    sync: proto.sync as (this: fs.FileHandle) => Promise<void>,
  };
  proto.writeFile = halfThenDie;
  proto.write = async function (this: fs.FileHandle, data: unknown, ...rest: unknown[]) {
    if (data instanceof Uint8Array && data.length > 1024) return halfThenDie.call(this, data);
    return (original.write as (...a: unknown[]) => unknown).call(this, data, ...rest);
  };
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
