// Where the database runs. By default a worker thread, so a big history does
// not freeze the editor: the host's event loop keeps turning while sql.js
// loads, checks, queries and exports. 'inline' keeps it on this thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import initSqlJs from 'sql.js';
import { recordToRow } from '../../src/history/row-mapping';
import { migrate } from '../../src/history/schema';
import { historyThread, openHistory, type HistoryOptions } from '../../src/history/sqlite-history';
import { makeRecord } from '../support/history-writer';

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'history-thread-')), 'history.sqlite');
}

/** A history of `rows` jobs written straight with sql.js (faster than the store for setup). */
async function bigHistory(file: string, rows: number): Promise<void> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  migrate(db);
  const columns = recordToRow(makeRecord('x')).columns;
  const stmt = db.prepare(`INSERT INTO jobs (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
  db.exec('BEGIN');
  for (let i = 0; i < rows; i++) {
    const rec = makeRecord(`job-${i}`, {
      prompt: `question ${i} `.padEnd(300, 'q'),
      response: `answer ${i} `.padEnd(500, 'a'),
      submittedAt: 1_700_000_000_000 + i,
    });
    stmt.run(recordToRow(rec).values);
  }
  db.exec('COMMIT');
  stmt.free();
  await writeFile(file, db.export());
  db.close();
}

async function longestBlockMs(work: () => Promise<void>): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  try {
    await work();
  } finally {
    h.disable();
  }
  return h.max / 1e6;
}

test('the database runs in a worker by default, and on this thread when asked', async () => {
  const file = await tempFile();
  for (const [opts, expected] of [
    [{}, 'worker'],
    [{ thread: 'inline' }, 'inline'],
  ] as [HistoryOptions, string][]) {
    const store = await openHistory(file, opts);
    try {
      assert.equal(historyThread(store), expected);
      await store.insert(makeRecord(`in-${expected}`));
      assert.equal((await store.metrics()).localSuccess, expected === 'worker' ? 1 : 2);
    } finally {
      await store.close();
    }
  }
});

test('with a big history in the worker, the event loop keeps turning and long lists arrive whole', async (t) => {
  const rows = 30_000;
  // The same work on the same history, once in the worker and once on this
  // thread, in this run: how long the host thread was held is compared
  // between the two, not against a fixed time (a loaded machine stretches both).
  async function sameWork(options: HistoryOptions): Promise<{ blocked: number; all: number }> {
    const file = await tempFile();
    await bigHistory(file, rows);
    let all = 0;
    const blocked = await longestBlockMs(async () => {
      const store = await openHistory(file, options);
      try {
        await store.metrics();
        await store.insert(makeRecord('new', { submittedAt: 1_800_000_000_000 }));
        assert.equal((await store.list(1))[0].id, 'new');
        all = (await store.exportAll()).length;
      } finally {
        await store.close(); // folds the journal in: an export and a save of the whole file
      }
    });
    return { blocked, all };
  }
  const inline = await sameWork({ thread: 'inline' });
  const worker = await sameWork({});
  assert.equal(worker.all, rows + 1);
  assert.equal(inline.all, rows + 1);
  t.diagnostic(`longest hold of the event loop: worker ${worker.blocked.toFixed(1)} ms, this thread ${inline.blocked.toFixed(1)} ms`);
  // On this thread whole sql.js operations (load, check, export, save) hold the
  // loop; in the worker only receiving the exported rows does.
  assert.ok(
    worker.blocked * 2 < inline.blocked,
    `the event loop was blocked for ${worker.blocked.toFixed(1)} ms with the worker, ${inline.blocked.toFixed(1)} ms on this thread`,
  );
});
