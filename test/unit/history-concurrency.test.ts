import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import initSqlJs from 'sql.js';
import { openHistory } from '../../src/history/sqlite-history';
import { makeRecord } from '../support/history-writer';

const ROOT = resolve(__dirname, '..', '..');
const WRITER = join(ROOT, 'test', 'support', 'history-writer.ts');

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'history-conc-')), 'history.sqlite');
}

function startWriter(args: string[]): { child: ChildProcess; lines: AsyncIterableIterator<string>; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, lines, exited, stderr: () => err };
}

async function nextLine(lines: AsyncIterableIterator<string>, what: string): Promise<string> {
  const r = await lines.next();
  assert.ok(!r.done, `writer ended before "${what}"`);
  return r.value;
}

/** A pid that certainly belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

async function ids(file: string): Promise<string[]> {
  const store = await openHistory(file);
  try {
    return (await store.exportAll()).map((r) => r.id).sort();
  } finally {
    await store.close();
  }
}

test('4 processes inserting 25 rows each at once leave exactly 100 rows', async () => {
  const file = await tempFile();
  const writers = [0, 1, 2, 3].map((n) => startWriter(['batch', file, `w${n}`, '25']));
  for (const w of writers) assert.equal(await nextLine(w.lines, 'ready'), 'ready', w.stderr());
  for (const w of writers) w.child.stdin!.end('go\n');
  for (const w of writers) {
    assert.equal(await nextLine(w.lines, 'done'), 'done', w.stderr());
    assert.equal(await w.exited, 0, w.stderr());
  }
  const all = await ids(file);
  assert.equal(all.length, 100);
  const expected = [0, 1, 2, 3].flatMap((n) => Array.from({ length: 25 }, (_, i) => `w${n}-${i}`)).sort();
  assert.deepEqual(all, expected);
  assert.deepEqual((await readdir(join(file, '..'))).sort(), ['history.sqlite']);
});

test('two store instances in one process interleaving writes lose nothing', async () => {
  const file = await tempFile();
  const a = await openHistory(file);
  const b = await openHistory(file);
  try {
    // sequential alternation: each must reload what the other saved
    for (let i = 0; i < 5; i++) {
      await a.insert(makeRecord(`a${i}`));
      await b.insert(makeRecord(`b${i}`));
    }
    await a.update('b0', { state: 'failed' });
    await b.update('a0', { state: 'cancelled' });
    // and truly concurrent, both queues racing for the lock
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).insert(makeRecord(`c${i}`))));
    assert.equal((await a.get('b0'))?.state, 'failed');
    assert.equal((await b.get('a0'))?.state, 'cancelled');
    assert.equal((await a.list(100)).length, 20);
    assert.equal((await b.list(100)).length, 20);
  } finally {
    await a.close();
    await b.close();
  }
  assert.equal((await ids(file)).length, 20);
});

test('a writer killed with SIGKILL mid-loop leaves a readable database with every committed row', async () => {
  const file = await tempFile();
  const committed: string[] = [];
  // a few rounds, each killed at a different moment; big rows make saves slow
  // enough that some kills land inside a save
  for (const [round, killAfter] of [
    [0, 5],
    [1, 12],
    [2, 20],
  ] as const) {
    const w = startWriter(['loop', file, `r${round}`, '20000']);
    for (let n = 0; n < killAfter; n++) {
      const line = await nextLine(w.lines, 'committed');
      assert.match(line, /^committed /, w.stderr());
      committed.push(line.slice('committed '.length));
    }
    w.child.kill('SIGKILL');
    await w.exited;
    w.child.stdout!.destroy();
  }
  const store = await openHistory(file, { lockTimeoutMs: 10_000 });
  try {
    const present = new Set((await store.exportAll()).map((r) => r.id));
    for (const id of committed) assert.ok(present.has(id), `row ${id} was committed but is gone`);
    await store.insert(makeRecord('after'));
    assert.ok(await store.get('after'));
  } finally {
    await store.close();
  }
  const SQL = await initSqlJs();
  const db = new SQL.Database(await readFile(file));
  assert.equal(db.exec('PRAGMA quick_check')[0].values[0][0], 'ok');
  db.close();
  const left = (await readdir(join(file, '..'))).filter((n) => n !== 'history.sqlite');
  assert.deepEqual(left, [], 'temp or lock files were not cleaned up');
});

/**
 * A writer that records COUNT jobs ("committed <id>" once each is durable),
 * then dies by SIGKILL halfway through its next write to the journal
 * ('append': the next insert) or to a new snapshot ('compact': close() folds
 * the journal in). File I/O runs on the store's own thread, so patching
 * FileHandle here reaches it; the database worker does no file I/O.
 */
async function startCrashingWriter(file: string, mode: 'append' | 'compact', count: number) {
  const script = join(file, '..', `crash-${mode}.ts`);
  await writeFile(
    script,
    `
import { promises as fs } from 'node:fs';
import { openHistory } from ${JSON.stringify(join(ROOT, 'src', 'history', 'sqlite-history'))};
import { makeRecord } from ${JSON.stringify(join(ROOT, 'test', 'support', 'history-writer'))};

const paths = new WeakMap<object, string>();
async function armCrash(target: (path: string) => boolean) {
  const open = fs.open.bind(fs);
  (fs as { open: unknown }).open = async (...args: Parameters<typeof fs.open>) => {
    const fh = await open(...args);
    paths.set(fh, String(args[0]));
    return fh;
  };
  const probe = await open(__filename, 'r');
  const proto = Object.getPrototypeOf(probe) as Record<string, (...a: unknown[]) => Promise<unknown>>;
  await probe.close();
  const original = { write: proto.write, writeFile: proto.writeFile, sync: proto.sync };
  const halfThenDie = (name: 'write' | 'writeFile') =>
    async function (this: object, data: unknown, ...rest: unknown[]) {
      const path = paths.get(this);
      if (path && target(path)) {
        const bytes = typeof data === 'string' ? Buffer.from(data) : (data as Uint8Array);
        await original.write.call(this, bytes.subarray(0, bytes.length >> 1));
        await original.sync.call(this);
        process.kill(process.pid, 'SIGKILL');
        await new Promise(() => undefined);
      }
      return original[name].call(this, data, ...rest);
    };
  proto.write = halfThenDie('write');
  proto.writeFile = halfThenDie('writeFile');
}

(async () => {
  const store = await openHistory(${JSON.stringify(file)}, { onWarning: (m) => process.stderr.write(m + '\\n') });
  for (let i = 0; i < ${count}; i++) {
    await store.insert(makeRecord('c-' + i, { submittedAt: Date.now() + i }));
    process.stdout.write('committed c-' + i + '\\n');
  }
  if (${JSON.stringify(mode)} === 'append') {
    await armCrash((p) => p.endsWith('.journal'));
    await store.insert(makeRecord('c-never'));
  } else {
    await armCrash((p) => p.includes('.tmp-'));
    await store.close();
  }
  throw new Error('the armed crash did not happen');
})().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + '\\n');
  process.exit(1);
});
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const committed: string[] = [];
  for (let n = 0; n < count; n++) committed.push((await nextLine(lines, 'committed')).slice('committed '.length));
  await exited;
  assert.equal(child.signalCode, 'SIGKILL', `the writer did not die as planned: ${err}`);
  await rm(script);
  return committed;
}

test('a process that dies halfway through appending to the journal loses only that change', async () => {
  const file = await tempFile();
  const committed = await startCrashingWriter(file, 'append', 6);
  const journal = await readFile(`${file}.journal`);
  assert.notEqual(journal[journal.length - 1], 0x0a, 'the journal should end in a torn line');

  const warnings: string[] = [];
  const store = await openHistory(file, { lockTimeoutMs: 5_000, onWarning: (m) => warnings.push(m) });
  try {
    assert.deepEqual((await store.exportAll()).map((r) => r.id).sort(), committed.sort());
    // the torn tail was cut before this line went in after it
    await store.insert(makeRecord('after'));
    assert.ok(await store.get('after'));
  } finally {
    await store.close();
  }
  assert.deepEqual(warnings, []);
  assert.deepEqual(await ids(file), [...committed, 'after'].sort());
  assert.deepEqual(await readdir(join(file, '..')), ['history.sqlite']);
});

test('a process that dies halfway through writing a compacted snapshot leaves the previous database and journal whole', async () => {
  const file = await tempFile();
  const committed = await startCrashingWriter(file, 'compact', 6);
  const left = await readdir(join(file, '..'));
  assert.ok(
    left.some((n) => n.startsWith('history.sqlite.tmp-')),
    `no half-written snapshot: ${left.join(', ')}`,
  );
  assert.ok(left.includes('history.sqlite.journal'), 'the journal should still be there');

  const warnings: string[] = [];
  const store = await openHistory(file, { lockTimeoutMs: 5_000, onWarning: (m) => warnings.push(m) });
  try {
    assert.deepEqual((await store.exportAll()).map((r) => r.id).sort(), committed.sort());
    assert.deepEqual((await readdir(join(file, '..'))).sort(), ['history.sqlite', 'history.sqlite.journal'], 'open removes the half-written snapshot');
    await store.insert(makeRecord('after'));
  } finally {
    await store.close();
  }
  assert.deepEqual(warnings, []);
  assert.deepEqual(await readdir(join(file, '..')), ['history.sqlite']);
  assert.deepEqual(await ids(file), [...committed, 'after'].sort());
});

test('an interrupted save (leftover temp file, dead holder’s lock) leaves the previous database intact and is cleaned up', async () => {
  const file = await tempFile();
  const store = await openHistory(file);
  await store.insert(makeRecord('kept-1'));
  await store.insert(makeRecord('kept-2'));
  await store.close();
  const good = await readFile(file);
  const pid = await deadPid();
  // what a process killed between writing its temp file and renaming it leaves
  const temp = `${file}.tmp-${pid}-0123456789ab`;
  await writeFile(temp, good.subarray(0, Math.floor(good.length / 2)));
  await writeFile(`${file}.lock`, JSON.stringify({ pid, hostname: hostname(), token: 'dead', acquiredAt: Date.now() }));

  const again = await openHistory(file, { lockTimeoutMs: 5_000 });
  try {
    assert.deepEqual((await again.exportAll()).map((r) => r.id).sort(), ['kept-1', 'kept-2']);
    assert.equal(existsSync(temp), false, 'the temp file of the interrupted save is still there');
    assert.equal(existsSync(`${file}.lock`), false, 'the dead holder’s lock is still there');
    await again.insert(makeRecord('new'));
  } finally {
    await again.close();
  }
  assert.deepEqual(await ids(file), ['kept-1', 'kept-2', 'new']);
});

test('a stale lock from a dead pid is recovered well before the lock timeout', async () => {
  const file = await tempFile();
  const pid = await deadPid();
  await writeFile(`${file}.lock`, JSON.stringify({ pid, hostname: hostname(), token: 't', acquiredAt: Date.now() }));
  const started = Date.now();
  const store = await openHistory(file, { lockTimeoutMs: 20_000 });
  try {
    await store.insert(makeRecord('x'));
  } finally {
    await store.close();
  }
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  assert.equal(existsSync(`${file}.lock`), false);
  assert.deepEqual(await ids(file), ['x']);
});

test('a lock older than the stale bound is broken even if its pid is alive; an empty old lock too', async () => {
  const file = await tempFile();
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    await writeFile(`${file}.lock`, JSON.stringify({ pid: sleeper.pid, hostname: hostname(), token: 't', acquiredAt: Date.now() - 120_000 }));
    const old = new Date(Date.now() - 120_000);
    await utimes(`${file}.lock`, old, old);
    const store = await openHistory(file, { lockTimeoutMs: 5_000, staleLockMs: 60_000 });
    await store.insert(makeRecord('x'));
    // a holder that died between creating the file and writing to it
    await writeFile(`${file}.lock`, '');
    await utimes(`${file}.lock`, old, old);
    await store.insert(makeRecord('y'));
    await store.close();
  } finally {
    sleeper.kill();
  }
  assert.deepEqual(await ids(file), ['x', 'y']);
});

test('a live lock is waited for, and a write gives up with the holder named after the timeout', async () => {
  const file = await tempFile();
  const store = await openHistory(file, { lockTimeoutMs: 300 });
  try {
    const lock = `${file}.lock`;
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      await writeFile(lock, JSON.stringify({ pid: sleeper.pid, hostname: hostname(), token: 't', acquiredAt: Date.now() }));
      await assert.rejects(store.insert(makeRecord('blocked')), new RegExp(`held by pid ${sleeper.pid}`));

      await writeFile(lock, JSON.stringify({ pid: sleeper.pid, hostname: hostname(), token: 't', acquiredAt: Date.now() }));
      const started = Date.now();
      const release = new Promise((r) => setTimeout(r, 150)).then(() => import('node:fs/promises')).then((fs) => fs.unlink(lock));
      await store.insert(makeRecord('waited'));
      await release;
      assert.ok(Date.now() - started >= 140, 'the write did not wait for the lock');
    } finally {
      sleeper.kill();
    }
    assert.deepEqual(
      (await store.exportAll()).map((r) => r.id),
      ['waited'],
    );
  } finally {
    await store.close();
  }
});
