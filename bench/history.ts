// Item 4: the history at 1k / 10k / 100k jobs, through the shipped code
// (src/history bundled by esbuild into bench/.build with the worker and the
// wasm beside it, as in dist/). The same steps run with the database on the
// host thread ('inline', what the store did before) for comparison.
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import initSqlJs from 'sql.js';
import type { HistoryOptions } from '../src/history/sqlite-history';
import type { HistoryStore, NewJobRecord } from '../src/history/types';
import { recordToRow } from '../src/history/row-mapping';
import { migrate } from '../src/history/schema';
import { pairwise, since, sleep, summarize, type Row } from './stats';

type OpenHistory = (file: string, opts?: HistoryOptions) => Promise<HistoryStore>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadBundle = () => (require('./.build/history.js') as { openHistory: OpenHistory }).openHistory;

function job(id: string, i: number): NewJobRecord {
  const swarm = i % 5 === 0;
  const submittedAt = 1_700_000_000_000 + i * 60_000;
  return {
    id,
    jobId: swarm ? i.toString(16).padStart(64, '0') : id,
    state: 'completed',
    lane: swarm ? 'swarm' : 'local',
    model: 'llama3.2',
    // sized so that 100k jobs make the ~64 MB file the issue reasons about
    prompt: `Explain this code (${i}): `.padEnd(150, 'x'),
    response: `It does ${i} things. `.padEnd(235, 'y'),
    error: null,
    localAttempted: i % 10 !== 0,
    localOutcome: swarm ? (i % 10 === 0 ? null : 'failure') : 'success',
    localError: swarm && i % 10 !== 0 ? 'Ollama is not running' : null,
    swarmStart: swarm ? (i % 10 === 0 ? 'direct' : 'fallback') : null,
    swarmOutcome: swarm ? 'success' : null,
    swarmError: null,
    provider: swarm ? 'ab'.repeat(32) : null,
    costMsats: swarm ? 1000 : 0,
    feesMsats: swarm ? 3 : 0,
    paymentBolt11: null,
    paymentPreimage: null,
    ttftMs: 120,
    durationMs: 2400,
    submittedAt,
    completedAt: submittedAt + 2400,
    localErrorKind: swarm && i % 10 !== 0 ? 'unavailable' : null,
    swarmErrorKind: null,
    paymentWarning: null,
  };
}

/** A history file of `n` jobs in the current schema, written straight with sql.js. */
export async function makeHistoryFile(n: number, dir: string): Promise<{ file: string; bytes: number }> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  migrate(db);
  const columns = recordToRow(job('x', 0)).columns;
  const stmt = db.prepare(`INSERT INTO jobs (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
  db.exec('BEGIN');
  for (let i = 0; i < n; i++) stmt.run(recordToRow(job(`job-${i}`, i)).values);
  db.exec('COMMIT');
  stmt.free();
  const file = join(dir, `history-${n}.sqlite`);
  writeFileSync(file, db.export());
  db.close();
  return { file, bytes: statSync(file).size };
}

interface Sample {
  open: number;
  metricsCold: number;
  record: number;
  /** CPU of this process (all threads) for the record */
  recordCpu: number;
  insert: number;
  metrics: number;
  list: number;
  close: number;
  block: number;
  idleBlock: number;
}

async function withLoopMonitor<T>(work: () => Promise<T>): Promise<{ value: T; maxMs: number; tookMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  await sleep(20);
  h.enable();
  const t0 = performance.now();
  const value = await work();
  const tookMs = since(t0);
  await sleep(20); // the delay of a block is recorded when the timer finally runs
  h.disable();
  return { value, maxMs: h.max / 1e6, tookMs };
}

async function once(openHistory: OpenHistory, base: string, thread: 'worker' | 'inline', i: number): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-'));
  const file = join(dir, 'history.sqlite');
  copyFileSync(base, file);
  try {
    const s = {} as Sample;
    const { maxMs, tookMs } = await withLoopMonitor(async () => {
      let t = performance.now();
      const store = await openHistory(file, { thread });
      s.open = since(t);
      t = performance.now();
      await store.metrics();
      s.metricsCold = since(t);
      // one job as the engine records it: the row before the request, then its outcome
      const rec = { ...job(`bench-${i}`, 1), submittedAt: Date.now(), state: 'pending' as const, lane: null, response: null, completedAt: null };
      const c = process.cpuUsage();
      t = performance.now();
      await store.insert(rec);
      s.insert = since(t);
      await store.update(rec.id, { state: 'completed', lane: 'local', response: 'the answer', completedAt: Date.now(), durationMs: 2400 });
      s.record = since(t);
      const cpu = process.cpuUsage(c);
      s.recordCpu = (cpu.user + cpu.system) / 1000;
      t = performance.now();
      await store.metrics();
      s.metrics = since(t);
      t = performance.now();
      await store.list(50);
      s.list = since(t);
      t = performance.now();
      await store.close();
      s.close = since(t);
    });
    s.block = maxMs;
    // the noise floor: the longest delay over the same time with nothing to do
    s.idleBlock = (await withLoopMonitor(() => sleep(tookMs))).maxMs;
    return s;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function historyRows(sizes: { n: number; runs: number }[], log: (msg: string) => void): Promise<Row[]> {
  const openHistory = loadBundle();
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-base-'));
  const rows: Row[] = [];
  try {
    for (const { n, runs } of sizes) {
      const t = performance.now();
      const { file, bytes } = await makeHistoryFile(n, dir);
      log(`history: ${n} jobs, ${(bytes / 1e6).toFixed(1)} MB (made in ${since(t).toFixed(0)} ms)`);
      await once(openHistory, file, 'worker', -1); // warm-up
      const worker: Sample[] = [];
      const inline: Sample[] = [];
      for (let i = 0; i < runs; i++) {
        if (i % 2 === 0) (worker.push(await once(openHistory, file, 'worker', i)), inline.push(await once(openHistory, file, 'inline', i)));
        else (inline.push(await once(openHistory, file, 'inline', i)), worker.push(await once(openHistory, file, 'worker', i)));
      }
      const col = (xs: Sample[], k: keyof Sample) => xs.map((x) => x[k]);
      const label = `4 history ${n >= 1000 ? `${n / 1000}k` : n}`;
      const big = n >= 100_000;
      const row = (figure: string, k: keyof Sample, extra: Partial<Row> = {}): Row => ({
        item: label,
        figure,
        unit: 'ms',
        ours: summarize(col(worker, k)),
        raw: summarize(col(inline, k)),
        ratio: summarize(pairwise(col(worker, k), col(inline, k), (a, b) => a / b)),
        ...extra,
      });
      const open = summarize(col(worker, 'open'));
      const block = summarize(col(worker, 'block'));
      rows.push(
        row('open (ready for queries)', 'open', big ? { target: '≤ 150 ms', met: open.median <= 150 } : {}),
        row('record one job durably (insert + final update)', 'record'),
        row('  of which the insert before the request', 'insert'),
        row('  CPU for the record (this process, all threads)', 'recordCpu'),
        row('metrics, first query after open', 'metricsCold'),
        row('metrics after a new job', 'metrics'),
        row('list(50)', 'list'),
        row('close (folds the journal into the file)', 'close'),
        row('longest event-loop block, all of the above', 'block', big ? { target: '≤ 20 ms', met: block.median <= 20 } : {}),
        {
          item: label,
          figure: '  same span idle (noise floor of this machine)',
          unit: 'ms',
          ours: summarize(col(worker, 'idleBlock')),
          raw: summarize(col(inline, 'idleBlock')),
        },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
