// Schema v7: what asked for a run (`source`) and who (`caller`). A version-3
// file gains both columns with every row kept (older rows read null); a record
// written without them stores null; with them, they are read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { openHistory } from '../../src/history/sqlite-history';
import { SCHEMA_VERSION } from '../../src/history/schema';
import { makeRecord } from '../support/history-writer';

async function columns(file: string): Promise<{ names: string[]; version: number }> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(await readFile(file));
  try {
    const names = db.exec("SELECT name FROM pragma_table_info('jobs')")[0].values.map((v) => String(v[0]));
    const version = Number(db.exec('PRAGMA user_version')[0].values[0][0]);
    return { names, version };
  } finally {
    db.close();
  }
}

test('a row keeps its source and caller; a row written without them reads null', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'sc-source-')), 'history.sqlite');
  const store = await openHistory(file);
  try {
    await store.insert(makeRecord('chat'));
    await store.insert(makeRecord('lm', { submittedAt: 1_700_000_001_000, source: 'vscode-lm', caller: 'rooveterinaryinc.roo-cline' }));
    const chat = await store.get('chat');
    assert.equal(chat?.source, null);
    assert.equal(chat?.caller, null);
    const lm = await store.get('lm');
    assert.equal(lm?.source, 'vscode-lm');
    assert.equal(lm?.caller, 'rooveterinaryinc.roo-cline');
    await store.update('chat', { source: 'gateway' });
    assert.equal((await store.get('chat'))?.source, 'gateway');
    await assert.rejects(store.insert(makeRecord('bad', { source: 42 as unknown as string })), /history: source must be a string or null/);
  } finally {
    await store.close();
  }
  const { names, version } = await columns(file);
  assert.equal(version, SCHEMA_VERSION);
  assert.ok(names.includes('source') && names.includes('caller'), names.join(','));
});
