// How the history (sql.js: the whole file in memory) scales: open time and
// memory at 100k and 1M jobs, the conversation queries the chat and the CLI
// run, and what swarmCompute.history.keepDays (blanking old texts) saves.
// Not a test: prints figures.
//   node --import tsx bench/history-scale.ts [100000 1000000]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHistory } from '../src/history/sqlite-history';
import { makeHistoryFile } from './history';

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;

/** Open time and memory in a process of its own: this one holds sql.js's heap from writing the file. */
function openFresh(file: string): string {
  return execFileSync(process.execPath, ['--import', 'tsx', __filename, 'open', file], { encoding: 'utf8' }).trim();
}

async function openOnly(file: string): Promise<void> {
  const before = process.memoryUsage().rss;
  const t = performance.now();
  const store = await openHistory(file, { thread: 'worker' });
  await store.newestConversationId();
  const took = performance.now() - t;
  console.log(`open ${took.toFixed(0)} ms, process memory ${mb(process.memoryUsage().rss)} (+${mb(process.memoryUsage().rss - before)})`);
  await store.close();
}

async function measure(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  try {
    let t = performance.now();
    const { file, bytes } = await makeHistoryFile(n, dir);
    console.log(`${n} jobs: file ${mb(bytes)} (written in ${ms(t)})`);
    console.log(`  open in a fresh process       ${openFresh(file)}`);
    const store = await openHistory(file, { thread: 'worker' });
    t = performance.now();
    const newest = await store.newestConversationId();
    console.log(`  newest conversation           ${ms(t)}`);
    t = performance.now();
    const turns = await store.conversation(newest!);
    console.log(`  one conversation's turns      ${ms(t)} (${turns.length})`);
    t = performance.now();
    const list = await store.conversations(100);
    console.log(`  100 past conversations        ${ms(t)} (${list.length})`);
    t = performance.now();
    await store.list(50);
    console.log(`  newest 50 rows                ${ms(t)}`);
    // keepDays: every row but the newest 10% loses its texts (rows are a minute apart)
    const cutoff = 1_700_000_000_000 + Math.floor(n * 0.9) * 60_000;
    t = performance.now();
    await store.blankTextBefore(cutoff);
    console.log(`  blank texts of 90% of rows    ${ms(t)}`);
    t = performance.now();
    await store.close();
    console.log(`  close (fold into the file)    ${ms(t)}: file now ${mb(statSync(file).size)}`);
    console.log(`  open after blanking           ${openFresh(file)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === 'open') return openOnly(process.argv[3]);
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  for (const n of sizes.length ? sizes : [100_000, 1_000_000]) await measure(n);
}

void main();
