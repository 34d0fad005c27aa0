import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { openHistory } from '../../src/history/sqlite-history';
import { SCHEMA_VERSION } from '../../src/history/schema';
import { makeRecord } from '../support/history-writer';
import { plainQuery, tempHistoryFile } from '../support/history-file';

// What a version-1 file looks like: the seed's table, written here by hand so
// the test does not depend on the code it checks.
const SEED_TABLE = `
CREATE TABLE jobs (
  job_id TEXT PRIMARY KEY, state TEXT NOT NULL, request TEXT NOT NULL, result TEXT, error TEXT,
  provider TEXT, payment_amount INTEGER, payment_bolt11 TEXT, submitted_at INTEGER NOT NULL,
  completed_at INTEGER, local_attempted INTEGER DEFAULT 0
);
CREATE INDEX idx_jobs_state ON jobs(state);
CREATE INDEX idx_jobs_submitted_at ON jobs(submitted_at DESC);`;

async function writeDb(file: string, sql: string, userVersion: number): Promise<void> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.exec(sql);
  db.exec(`PRAGMA user_version = ${userVersion}`);
  await writeFile(file, db.export());
  db.close();
}

const tempFile = () => tempHistoryFile('history-mig-');

/** Opens the file as the extension does and writes the row `id`, which makes `rows` in all; what it warned. */
async function insertAfterOpen(file: string, id: string, rows: number): Promise<string[]> {
  const warnings: string[] = [];
  const store = await openHistory(file, { onWarning: (m) => warnings.push(m) });
  try {
    await store.insert(makeRecord(id));
    assert.equal((await store.list(10)).length, rows);
  } finally {
    await store.close();
  }
  return warnings;
}

/** The file is at the current schema version and its jobs table has each of `columns`. */
async function assertCurrentSchema(file: string, columns: string[]): Promise<void> {
  const [version] = await plainQuery(file, 'PRAGMA user_version');
  assert.equal(version.values[0][0], SCHEMA_VERSION);
  const [cols] = await plainQuery(file, "SELECT name FROM pragma_table_info('jobs')");
  const names = cols.values.map((v) => v[0]);
  for (const c of columns) assert.ok(names.includes(c), `column ${c} missing`);
}

test('a version-1 database is migrated in place with every row kept', async () => {
  const file = await tempFile();
  await writeDb(
    file,
    `${SEED_TABLE}
    INSERT INTO jobs VALUES ('j1', 'completed', 'first prompt', 'first answer', NULL, 'aa', 500, 'lnbc5n1', 1700000001000, 1700000002000, 0);
    INSERT INTO jobs VALUES ('j2', 'completed', 'second prompt', 'local answer', NULL, NULL, NULL, NULL, 1700000003000, 1700000003500, 1);
    INSERT INTO jobs VALUES ('j3', 'failed', 'third prompt', NULL, 'no providers', NULL, NULL, NULL, 1700000003000, NULL, 1);`,
    1,
  );
  const store = await openHistory(file);
  try {
    const rows = await store.list(10);
    assert.deepEqual(
      rows.map((r) => r.id),
      ['j3', 'j2', 'j1'],
    );
    const j1 = rows[2];
    assert.equal(j1.jobId, 'j1');
    assert.equal(j1.prompt, 'first prompt');
    assert.equal(j1.response, 'first answer');
    assert.equal(j1.provider, 'aa');
    assert.equal(j1.costMsats, 500);
    assert.equal(j1.paymentBolt11, 'lnbc5n1');
    assert.equal(j1.localAttempted, false);
    assert.equal(j1.lane, 'swarm');
    assert.equal(j1.swarmStart, 'direct');
    assert.equal(j1.submittedAt, 1700000001000);
    assert.equal(j1.completedAt, 1700000002000);
    assert.equal(rows[1].lane, 'local');
    assert.equal(rows[1].localAttempted, true);
    assert.equal(rows[0].state, 'failed');
    assert.equal(rows[0].error, 'no providers');
    // the migrated table takes new rows with every column
    await store.insert(makeRecord('new', { submittedAt: 1800000000000, feesMsats: 3 }));
    assert.equal((await store.get('new'))?.feesMsats, 3);
  } finally {
    await store.close();
  }
  await assertCurrentSchema(file, [
    'id',
    'job_id',
    'state',
    'request',
    'result',
    'error',
    'provider',
    'payment_amount',
    'payment_bolt11',
    'submitted_at',
    'completed_at',
    'local_attempted',
    'lane',
    'model',
    'local_outcome',
    'local_error',
    'swarm_start',
    'swarm_outcome',
    'swarm_error',
    'cost_msats',
    'fees_msats',
    'payment_preimage',
    'ttft_ms',
    'duration_ms',
    'local_error_kind',
    'swarm_error_kind',
    'payment_warning',
  ]);
  const [seed] = await plainQuery(file, 'SELECT job_id, state, local_attempted, provider FROM jobs WHERE local_attempted = 1;');
  assert.deepEqual(seed.values.map((v) => v[0]).sort(), ['j2', 'j3', 'new']);
});

// What a version-2 file looks like: the table as version 2 left it, by hand.
const V2_TABLE = `
CREATE TABLE jobs (
  id TEXT PRIMARY KEY NOT NULL, job_id TEXT NOT NULL, state TEXT NOT NULL, request TEXT NOT NULL, result TEXT, error TEXT,
  provider TEXT, payment_amount INTEGER NOT NULL DEFAULT 0, payment_bolt11 TEXT, submitted_at INTEGER NOT NULL,
  completed_at INTEGER, local_attempted INTEGER NOT NULL DEFAULT 0 CHECK (local_attempted IN (0, 1)), lane TEXT,
  model TEXT NOT NULL DEFAULT '', local_outcome TEXT, local_error TEXT, swarm_start TEXT, swarm_outcome TEXT, swarm_error TEXT,
  cost_msats INTEGER NOT NULL DEFAULT 0, fees_msats INTEGER NOT NULL DEFAULT 0, payment_preimage TEXT, ttft_ms INTEGER, duration_ms INTEGER
);
CREATE INDEX idx_jobs_submitted_at ON jobs(submitted_at);
CREATE INDEX idx_jobs_job_id ON jobs(job_id);`;

test('a version-2 database gains the error-kind and payment-warning columns, with every row kept', async () => {
  const file = await tempFile();
  await writeDb(
    file,
    `${V2_TABLE}
    INSERT INTO jobs (id, job_id, state, request, result, error, provider, payment_amount, submitted_at, completed_at, local_attempted, lane,
                      model, local_outcome, local_error, swarm_start, swarm_outcome, swarm_error, cost_msats, fees_msats, ttft_ms, duration_ms)
    VALUES ('a', 'a', 'failed', 'why', NULL, 'local: model missing', NULL, 0, 1700000001000, 1700000001500, 1, 'failed',
            'llama3', 'failure', 'model "llama3" not found', NULL, NULL, NULL, 0, 0, NULL, 500),
           ('b', 'ff', 'completed', 'how', 'like so', NULL, 'cc', 700, 1700000002000, 1700000003000, 0, 'swarm',
            'llama3', NULL, NULL, 'direct', 'success', NULL, 700, 2, 40, 1000);`,
    2,
  );
  const store = await openHistory(file);
  try {
    const rows = await store.list(10);
    assert.deepEqual(
      rows.map((r) => r.id),
      ['b', 'a'],
    );
    const [b, a] = rows;
    assert.equal(a.localError, 'model "llama3" not found');
    assert.equal(a.localOutcome, 'failure');
    assert.equal(a.durationMs, 500);
    assert.equal(b.response, 'like so');
    assert.equal(b.costMsats, 700);
    assert.equal(b.feesMsats, 2);
    assert.equal(b.jobId, 'ff');
    for (const r of rows) {
      assert.equal(r.localErrorKind, null);
      assert.equal(r.swarmErrorKind, null);
      assert.equal(r.paymentWarning, null);
    }
    // the new columns take values, on new rows and old ones
    await store.update('a', { localErrorKind: 'model-missing' });
    await store.insert(makeRecord('c', { submittedAt: 1800000000000, swarmErrorKind: 'price-too-high', paymentWarning: 'above the cap' }));
    assert.equal((await store.get('a'))?.localErrorKind, 'model-missing');
    const c = await store.get('c');
    assert.equal(c?.swarmErrorKind, 'price-too-high');
    assert.equal(c?.paymentWarning, 'above the cap');
  } finally {
    await store.close();
  }
  await assertCurrentSchema(file, ['local_error_kind', 'swarm_error_kind', 'payment_warning']);
  const [count] = await plainQuery(file, 'SELECT count(*) FROM jobs');
  assert.equal(count.values[0][0], 3);
});

test('an unversioned seed database (Unix seconds, PaymentRequired) is migrated too', async () => {
  const file = await tempFile();
  await writeDb(
    file,
    `${SEED_TABLE}
    INSERT INTO jobs VALUES ('s1', 'PaymentRequired', 'p', NULL, NULL, 'bb', 1000, 'lnbc10n1', 1700000000, NULL, 0);`,
    0,
  );
  const store = await openHistory(file);
  try {
    const rec = await store.get('s1');
    assert.equal(rec?.state, 'payment-required');
    assert.equal(rec?.submittedAt, 1700000000 * 1000);
  } finally {
    await store.close();
  }
});

test('a SQLite file with an unrelated jobs table is moved aside rather than half-migrated', async () => {
  const file = await tempFile();
  await writeDb(file, `CREATE TABLE jobs (something_else TEXT); INSERT INTO jobs VALUES ('x');`, 0);
  const original = await readFile(file);
  const warnings = await insertAfterOpen(file, 'ok', 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /migration/);
  const dir = join(file, '..');
  const backup = (await readdir(dir)).find((n) => n.startsWith('history.sqlite.corrupt-'));
  assert.ok(backup);
  assert.deepEqual(await readFile(join(dir, backup)), original);
});

test('a database from a newer version is used as it is, with a warning, and not downgraded', async () => {
  const file = await tempFile();
  const first = await openHistory(file);
  await first.insert(makeRecord('a'));
  await first.close();
  const SQL = await initSqlJs();
  const db = new SQL.Database(await readFile(file));
  db.exec('ALTER TABLE jobs ADD COLUMN future TEXT; PRAGMA user_version = 99;');
  await writeFile(file, db.export());
  db.close();

  const warnings = await insertAfterOpen(file, 'b', 2);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /newer/);
  const [version] = await plainQuery(file, 'PRAGMA user_version');
  assert.equal(version.values[0][0], 99);
});
