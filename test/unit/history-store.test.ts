import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHistory, toHistoryJson } from '../../src/history/sqlite-history';
import type { HistoryStore } from '../../src/history/types';
import { makeRecord } from '../support/history-writer';
import { plainQuery, tempHistoryFile } from '../support/history-file';

const tempFile = () => tempHistoryFile('history-store-');

async function withStore<T>(file: string, fn: (s: HistoryStore) => Promise<T>): Promise<T> {
  const store = await openHistory(file);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

test('insert, update, get and list round-trip every field', async () => {
  const file = await tempFile();
  await withStore(file, async (store) => {
    const rec = makeRecord('a', {
      lane: 'swarm',
      provider: 'f'.repeat(64),
      swarmStart: 'fallback',
      swarmOutcome: 'success',
      localOutcome: 'failure',
      localError: 'Ollama is not running',
      costMsats: 500,
      feesMsats: 3,
      paymentBolt11: 'lnbc5n1...',
      paymentPreimage: 'ab'.repeat(32),
      prompt: 'héllo "quoted" \n multi-line ✓',
    });
    await store.insert(rec);
    assert.deepEqual(await store.get('a'), rec);
    assert.equal(await store.get('missing'), null);

    await store.update('a', { jobId: 'e'.repeat(64), state: 'failed', error: 'boom', durationMs: 12.6, response: null });
    assert.deepEqual(await store.get('a'), { ...rec, jobId: 'e'.repeat(64), state: 'failed', error: 'boom', durationMs: 13, response: null });
    assert.deepEqual(
      (await store.list(10)).map((r) => r.id),
      ['a'],
    );
  });
});

test('list is newest first, ties by insertion order, and honours the limit', async () => {
  const file = await tempFile();
  await withStore(file, async (store) => {
    await store.insert(makeRecord('old', { submittedAt: 1000 }));
    await store.insert(makeRecord('tie-1', { submittedAt: 5000 }));
    await store.insert(makeRecord('tie-2', { submittedAt: 5000 }));
    await store.insert(makeRecord('tie-3', { submittedAt: 5000 }));
    await store.insert(makeRecord('newest', { submittedAt: 9000 }));
    await store.insert(makeRecord('middle', { submittedAt: 3000 }));
    assert.deepEqual(
      (await store.list(50)).map((r) => r.id),
      ['newest', 'tie-3', 'tie-2', 'tie-1', 'middle', 'old'],
    );
    assert.deepEqual(
      (await store.list(2)).map((r) => r.id),
      ['newest', 'tie-3'],
    );
    assert.deepEqual(await store.list(0), []);
    assert.deepEqual(
      (await store.exportAll()).map((r) => r.id),
      ['newest', 'tie-3', 'tie-2', 'tie-1', 'middle', 'old'],
    );
    await assert.rejects(store.list(-1), /limit/);
  });
});

test('bad records are refused with the field named, duplicates too', async () => {
  const file = await tempFile();
  await withStore(file, async (store) => {
    await assert.rejects(store.insert(makeRecord('x', { costMsats: 1.5 })), /costMsats/);
    await assert.rejects(store.insert(makeRecord('x', { costMsats: -1 })), /costMsats/);
    await assert.rejects(store.insert(makeRecord('x', { state: 'done' as never })), /state/);
    await store.insert(makeRecord('x'));
    await assert.rejects(store.insert(makeRecord('x')), /already recorded/);
    await assert.rejects(store.update('x', { feesMsats: Number.NaN }), /feesMsats/);
    await assert.rejects(store.update('x', { id: 'y' } as never), /id cannot be changed/);
    assert.equal((await store.list(10)).length, 1);
  });
});

test('updating a row that is gone changes nothing and does not rewrite the file', async () => {
  const file = await tempFile();
  await withStore(file, async (store) => {
    await store.insert(makeRecord('a'));
    const before = await stat(file);
    await store.update('nope', { state: 'failed' });
    const after = await stat(file);
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.equal((await store.get('a'))?.state, 'completed');
  });
});

test('reads never rewrite the file, and see other writers’ changes', async () => {
  const file = await tempFile();
  const a = await openHistory(file);
  const b = await openHistory(file);
  try {
    await a.insert(makeRecord('1'));
    const before = await stat(file);
    for (let i = 0; i < 5; i++) {
      await a.list(10);
      await a.metrics();
      await a.get('1');
      await a.spentMsatsSince(0);
    }
    const after = await stat(file);
    assert.equal(after.ino, before.ino, 'a read replaced the file');
    assert.equal(after.mtimeMs, before.mtimeMs, 'a read wrote the file');

    await b.insert(makeRecord('2', { submittedAt: 1_800_000_000_000 }));
    assert.deepEqual(
      (await a.list(10)).map((r) => r.id),
      ['2', '1'],
    );
  } finally {
    await a.close();
    await b.close();
  }
});

test('metrics follow CLI.md: counts, msats paid, rates; served rows excluded', async () => {
  const file = await tempFile();
  await withStore(file, async (store) => {
    assert.deepEqual(await store.metrics(), {
      localSuccess: 0,
      localFailure: 0,
      swarmFallback: 0,
      swarmDirect: 0,
      swarmSuccess: 0,
      swarmFailure: 0,
      totalCostMsats: 0,
      localSuccessRate: 0,
      fallbackRate: 0,
    });
    // only direct swarm jobs: no local attempt, so both rates are 0 (not NaN)
    await store.insert(
      makeRecord('d1', {
        lane: 'swarm',
        localAttempted: false,
        localOutcome: null,
        swarmStart: 'direct',
        swarmOutcome: 'success',
        costMsats: 1000,
        feesMsats: 5,
      }),
    );
    await store.insert(
      makeRecord('d2', {
        lane: 'failed',
        localAttempted: false,
        localOutcome: null,
        swarmStart: 'direct',
        swarmOutcome: 'failure',
        swarmError: 'no relay could be reached',
      }),
    );
    const direct = await store.metrics();
    assert.equal(direct.localSuccessRate, 0);
    assert.equal(direct.fallbackRate, 0);
    assert.equal(direct.swarmDirect, 2);
    assert.equal(direct.totalCostMsats, 1000);

    await store.insert(makeRecord('l1', { lane: 'local', localOutcome: 'success' }));
    await store.insert(
      makeRecord('f1', { lane: 'swarm', localOutcome: 'failure', swarmStart: 'fallback', swarmOutcome: 'success', costMsats: 500, feesMsats: 10 }),
    );
    await store.insert(makeRecord('f2', { lane: 'failed', localOutcome: 'failure', swarmStart: 'fallback', swarmOutcome: 'failure' }));
    // still running: lane not known yet, it is a consumer job all the same
    await store.insert(makeRecord('run', { lane: null, state: 'processing', localOutcome: 'failure', swarmStart: 'fallback', swarmOutcome: null }));
    // provider mode: someone else's job, must not count anywhere
    await store.insert(makeRecord('s1', { lane: 'served', localOutcome: 'success', swarmStart: 'direct', swarmOutcome: 'success', costMsats: 7000 }));

    assert.deepEqual(await store.metrics(), {
      localSuccess: 1,
      localFailure: 3,
      swarmFallback: 3,
      swarmDirect: 2,
      swarmSuccess: 2,
      swarmFailure: 2,
      totalCostMsats: 1500,
      localSuccessRate: (1 / 4) * 100,
      fallbackRate: (3 / 4) * 100,
    });
  });
});

test('spentMsatsSince sums cost and fees of consumer jobs from that time on', async () => {
  const file = await tempFile();
  await withStore(file, async (store) => {
    await store.insert(makeRecord('a', { submittedAt: 1000, costMsats: 100, feesMsats: 1 }));
    await store.insert(makeRecord('b', { submittedAt: 2000, costMsats: 200, feesMsats: 2 }));
    await store.insert(makeRecord('s', { submittedAt: 3000, lane: 'served', costMsats: 999, feesMsats: 9 }));
    assert.equal(await store.spentMsatsSince(0), 303);
    assert.equal(await store.spentMsatsSince(2000), 202);
    assert.equal(await store.spentMsatsSince(2001), 0);
  });
});

test('a new store instance reads what an old one wrote', async () => {
  const file = await tempFile();
  const rec = makeRecord('kept', { lane: 'swarm', costMsats: 42, provider: 'p'.repeat(64) });
  await withStore(file, (s) => s.insert(rec));
  await withStore(file, async (s) => {
    assert.deepEqual(await s.get('kept'), rec);
    assert.equal((await s.metrics()).totalCostMsats, 42);
  });
});

test('the seed’s query works on the file with plain sql.js; seed columns are filled', async () => {
  const file = await tempFile();
  await withStore(file, async (s) => {
    await s.insert(makeRecord('local-first', { localAttempted: true, provider: null }));
    await s.insert(
      makeRecord('direct', {
        localAttempted: false,
        localOutcome: null,
        lane: 'swarm',
        provider: 'ab'.repeat(32),
        costMsats: 1000,
        paymentBolt11: 'lnbc10n1x',
      }),
    );
    await s.insert(makeRecord('fallback', { localAttempted: true, localOutcome: 'failure', lane: 'swarm', provider: 'cd'.repeat(32) }));
    await s.update('direct', { costMsats: 900 });
  });
  const [seed] = await plainQuery(file, 'SELECT job_id, state, local_attempted, provider FROM jobs WHERE local_attempted = 1;');
  assert.deepEqual(seed.columns, ['job_id', 'state', 'local_attempted', 'provider']);
  assert.deepEqual(seed.values, [
    ['local-first', 'completed', 1, null],
    ['fallback', 'completed', 1, 'cd'.repeat(32)],
  ]);
  const [row] = await plainQuery(
    file,
    "SELECT request, result, payment_amount, cost_msats, payment_bolt11, submitted_at, completed_at FROM jobs WHERE job_id = 'direct'",
  );
  assert.deepEqual(row.values[0], ['prompt of direct', 'response of direct', 900, 900, 'lnbc10n1x', 1_700_000_000_000, 1_700_000_000_034]);
  const [indexes] = await plainQuery(file, "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' AND sql IS NOT NULL");
  const ddl = indexes.values.map((v) => String(v[0])).join('\n');
  assert.match(ddl, /\(submitted_at\)/);
  assert.match(ddl, /\(job_id\)/);
});

test('clear() empties the history for every instance and keeps a working file', async () => {
  const file = await tempFile();
  const a = await openHistory(file);
  const b = await openHistory(file);
  try {
    await a.insert(makeRecord('1'));
    await b.insert(makeRecord('2'));
    await b.clear();
    assert.deepEqual(await a.list(10), []);
    await a.insert(makeRecord('3'));
    assert.deepEqual(
      (await b.list(10)).map((r) => r.id),
      ['3'],
    );
  } finally {
    await a.close();
    await b.close();
  }
  const [count] = await plainQuery(file, 'SELECT count(*) FROM jobs');
  assert.equal(count.values[0][0], 1);
});

test('clear() keeps the amounts of paid jobs (prompts and answers gone), so budgets survive a Clear History', async () => {
  const file = await tempFile();
  const store = await openHistory(file);
  try {
    const now = Date.now();
    await store.insert(makeRecord('free', { submittedAt: now, prompt: 'free question', response: 'free answer' }));
    await store.insert(makeRecord('paid', { submittedAt: now, prompt: 'secret code', response: 'paid answer', error: 'x', costMsats: 700, feesMsats: 3 }));
    const before = await store.spentMsatsSince(now - 1000);
    await store.clear();
    const rows = await store.list(10);
    assert.deepEqual(
      rows.map((r) => r.id),
      ['paid'],
    );
    assert.equal(rows[0].prompt, '');
    assert.equal(rows[0].response, null);
    assert.equal(rows[0].error, null);
    assert.equal(rows[0].costMsats, 700);
    assert.equal(await store.spentMsatsSince(now - 1000), before);
    assert.equal(before, 703);
    assert.equal((await store.metrics()).totalCostMsats, 700);
  } finally {
    await store.close();
  }
});

test('close() lets queued work finish; later calls reject', async () => {
  const file = await tempFile();
  const store = await openHistory(file);
  const pending = store.insert(makeRecord('queued'));
  await store.close();
  await pending;
  await assert.rejects(store.list(1), /closed/);
  await withStore(file, async (s) => assert.ok(await s.get('queued')));
});

test('toHistoryJson has exactly CLI.md’s history keys (and source, added for the gateway)', () => {
  const rec = makeRecord('id1', { jobId: 'j'.repeat(64), lane: 'swarm', provider: 'p', costMsats: 7, error: null });
  const json = toHistoryJson(rec);
  assert.deepEqual(
    Object.keys(json).sort(),
    [
      'completedAt',
      'costMsats',
      'durationMs',
      'error',
      'jobId',
      'lane',
      'localAttempted',
      'model',
      'prompt',
      'provider',
      'response',
      'source',
      'state',
      'submittedAt',
      'conversationId',
    ].sort(),
  );
  assert.deepEqual(json, {
    jobId: 'j'.repeat(64),
    state: 'completed',
    lane: 'swarm',
    localAttempted: true,
    provider: 'p',
    model: 'llama3',
    costMsats: 7,
    durationMs: 34,
    submittedAt: 1_700_000_000_000,
    completedAt: 1_700_000_000_034,
    error: null,
    prompt: 'prompt of id1',
    response: 'response of id1',
    conversationId: 'id1',
    source: null,
  });
});

test('opening creates the directory and leaves no lock or temp file behind', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'history-store-')), 'nested', 'data');
  const file = join(dir, 'history.sqlite');
  await withStore(file, (s) => s.insert(makeRecord('a')));
  assert.deepEqual(await readdir(dir), ['history.sqlite']);
});
