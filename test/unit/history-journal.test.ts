// The journal beside the database: what a write costs on disk, when the
// journal is folded into the file, and what happens to a journal that does
// not belong to the database next to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { readGeneration } from '../../src/history/atomic-file';
import { openHistory } from '../../src/history/sqlite-history';
import { makeRecord } from '../support/history-writer';

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'history-journal-')), 'history.sqlite');
}

async function idsInFile(file: string): Promise<string[]> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(await readFile(file));
  try {
    return (db.exec('SELECT id FROM jobs ORDER BY id')[0]?.values ?? []).map((v) => String(v[0]));
  } finally {
    db.close();
  }
}

const insertLine = (id: string) =>
  `${JSON.stringify({ op: 'insert', id, columns: ['id', 'job_id', 'state', 'request', 'submitted_at'], values: [id, id, 'completed', `prompt of ${id}`, 1_700_000_000_000] })}\n`;

test('recording a job appends to the journal and leaves the database file alone; other stores see it', async () => {
  const file = await tempFile();
  const a = await openHistory(file);
  const b = await openHistory(file);
  try {
    const before = await stat(file);
    await a.insert(makeRecord('j1'));
    await a.update('j1', { state: 'failed' });
    const after = await stat(file);
    assert.equal(after.ino, before.ino, 'the database file was replaced');
    assert.equal(after.mtimeMs, before.mtimeMs, 'the database file was rewritten');
    const journal = await readFile(`${file}.journal`, 'utf8');
    assert.equal(journal.split('\n').filter(Boolean).length, 3, 'a header and one line per change');
    assert.equal((await b.get('j1'))?.state, 'failed');
  } finally {
    await a.close();
    await b.close();
  }
  // the store that wrote folded its journal in on close: the file alone is complete
  assert.deepEqual(await readdir(join(file, '..')), ['history.sqlite']);
  assert.deepEqual(await idsInFile(file), ['j1']);
});

test('a journal past its limit is folded into the database while the store stays open', async () => {
  const file = await tempFile();
  const store = await openHistory(file, { journalLimitBytes: 8 * 1024 });
  try {
    const generation = readGeneration(await readFile(file));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push(`r${String(i).padStart(2, '0')}`);
      await store.insert(makeRecord(ids[i], { prompt: 'p'.repeat(1000) }));
    }
    await store.list(1); // runs after the compaction queued by the insert that filled the journal
    const bytes = await readFile(file);
    assert.ok(readGeneration(bytes) > generation, 'the database file was not rewritten');
    const inFile = await idsInFile(file);
    const journal = await readFile(`${file}.journal`, 'utf8').catch(() => '');
    const inJournal = journal
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => JSON.parse(l).id as string);
    assert.deepEqual([...inFile, ...inJournal].sort(), ids, 'every row is in the file or in the journal, once');
    assert.ok(journal.length < 8 * 1024, `journal still ${journal.length} bytes`);
    assert.equal((await store.list(100)).length, 30);
  } finally {
    await store.close();
  }
});

test('a journal left by a compaction that died before removing it is ignored and removed', async () => {
  const file = await tempFile();
  const first = await openHistory(file);
  await first.insert(makeRecord('kept'));
  await first.close();
  const generation = readGeneration(await readFile(file));
  // what such a crash leaves: the new file is in place, the old journal (older base) still there
  await writeFile(`${file}.journal`, `${JSON.stringify({ historyJournal: 1, base: generation - 1 })}\n${insertLine('folded-already')}`);

  const reader = await openHistory(file);
  try {
    assert.deepEqual(
      (await reader.list(10)).map((r) => r.id),
      ['kept'],
    );
  } finally {
    await reader.close();
  }
  assert.deepEqual(await readdir(join(file, '..')), ['history.sqlite']);
});

test('journal lines are replayed by a new process; a line that is not an entry is skipped, a torn last line waits', async () => {
  const file = await tempFile();
  const first = await openHistory(file);
  await first.insert(makeRecord('seed'));
  await first.close();
  const generation = readGeneration(await readFile(file));
  await writeFile(`${file}.journal`, `${JSON.stringify({ historyJournal: 1, base: generation })}\n${insertLine('one')}not json at all\n${insertLine('two')}`);
  await appendFile(`${file}.journal`, insertLine('torn').slice(0, 40));

  const store = await openHistory(file);
  try {
    assert.deepEqual((await store.list(10)).map((r) => r.id).sort(), ['one', 'seed', 'two']);
    // the torn tail is cut before the next line goes in, so that line is whole
    await store.insert(makeRecord('three'));
    const lines = (await readFile(`${file}.journal`, 'utf8')).split('\n');
    assert.equal(lines.at(-1), '');
    assert.equal(JSON.parse(lines.at(-2)!).id, 'three');
  } finally {
    await store.close();
  }
  assert.deepEqual(await idsInFile(file), ['one', 'seed', 'three', 'two']);
});

test('a journal whose first line is not a header is not applied', async () => {
  const file = await tempFile();
  const first = await openHistory(file);
  await first.insert(makeRecord('seed'));
  await first.close();
  await writeFile(`${file}.journal`, `{"historyJourn`); // died while creating it
  const store = await openHistory(file);
  try {
    assert.deepEqual(
      (await store.list(10)).map((r) => r.id),
      ['seed'],
    );
    await store.insert(makeRecord('next'));
  } finally {
    await store.close();
  }
  assert.deepEqual(await idsInFile(file), ['next', 'seed']);
});
