import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rename, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { openHistory } from '../../src/history/sqlite-history';
import { makeRecord } from '../support/history-writer';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'history-corrupt-'));
}

async function backups(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /^history\.sqlite\.corrupt-\d{13}(-\d+)?$/.test(n)).map((n) => join(dir, n));
}

async function assertFreshWorkingDb(file: string): Promise<void> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(await readFile(file));
  try {
    assert.equal(db.exec('PRAGMA quick_check')[0].values[0][0], 'ok');
    assert.ok(db.exec('SELECT job_id, state, local_attempted, provider FROM jobs WHERE local_attempted = 1;'));
  } finally {
    db.close();
  }
}

test('a file that is not SQLite is moved aside with its bytes, a fresh db works, a warning names both paths', async () => {
  const dir = await tempDir();
  const file = join(dir, 'history.sqlite');
  const garbage = Buffer.from('this is not a database at all\n'.repeat(200));
  await writeFile(file, garbage);
  const warnings: string[] = [];
  const store = await openHistory(file, { onWarning: (m) => warnings.push(m) });
  try {
    const [backup] = await backups(dir);
    assert.ok(backup, 'no history.sqlite.corrupt-<unix ms> beside the database');
    assert.deepEqual(await readFile(backup), garbage);
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0].includes(file), warnings[0]);
    assert.ok(warnings[0].includes(backup), warnings[0]);
    assert.deepEqual(await store.list(10), []);
    await store.insert(makeRecord('after'));
    assert.deepEqual(
      (await store.list(10)).map((r) => r.id),
      ['after'],
    );
  } finally {
    await store.close();
  }
  await assertFreshWorkingDb(file);
});

test('a truncated database (SQLite header, pages missing) is treated as corrupt too', async () => {
  const dir = await tempDir();
  const file = join(dir, 'history.sqlite');
  const store = await openHistory(file);
  for (let i = 0; i < 40; i++) await store.insert(makeRecord(`r${i}`, { prompt: 'p'.repeat(4000) }));
  await store.close();
  const whole = await readFile(file);
  await truncate(file, Math.floor(whole.length / 3));
  const cut = await readFile(file);

  const warnings: string[] = [];
  const again = await openHistory(file, { onWarning: (m) => warnings.push(m) });
  try {
    assert.equal(warnings.length, 1);
    const [backup] = await backups(dir);
    assert.deepEqual(await readFile(backup), cut);
    await again.insert(makeRecord('fresh'));
    assert.deepEqual(
      (await again.list(100)).map((r) => r.id),
      ['fresh'],
    );
  } finally {
    await again.close();
  }
  await assertFreshWorkingDb(file);
});

test('a database replaced by garbage while a store is open is recovered on the next read', async () => {
  const dir = await tempDir();
  const file = join(dir, 'history.sqlite');
  const warnings: string[] = [];
  const store = await openHistory(file, { onWarning: (m) => warnings.push(m) });
  try {
    await store.insert(makeRecord('old'));
    await writeFile(join(dir, 'junk'), 'garbage '.repeat(1000));
    await rename(join(dir, 'junk'), file);
    assert.deepEqual(await store.list(10), []);
    assert.equal(warnings.length, 1);
    assert.equal((await backups(dir)).length, 1);
    await store.insert(makeRecord('new'));
    assert.deepEqual(
      (await store.list(10)).map((r) => r.id),
      ['new'],
    );
  } finally {
    await store.close();
  }
  await assertFreshWorkingDb(file);
});

test('an empty file is an empty database, not a corrupt one', async () => {
  const dir = await tempDir();
  const file = join(dir, 'history.sqlite');
  await writeFile(file, '');
  const warnings: string[] = [];
  const store = await openHistory(file, { onWarning: (m) => warnings.push(m) });
  try {
    await store.insert(makeRecord('a'));
    assert.equal((await store.list(10)).length, 1);
  } finally {
    await store.close();
  }
  assert.deepEqual(warnings, []);
  assert.deepEqual(await backups(dir), []);
});
