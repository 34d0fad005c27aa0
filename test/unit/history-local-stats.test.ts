// Schema v5 (the local lane): the partial, Ollama's load/TTFT/tokens-per-second
// and the hedge are kept on the row, and per-model stats come back from a
// real sql.js file — also after reopening it, and for rows from before v5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHistory } from '../../src/history/sqlite-history';
import { makeRecord } from '../support/history-writer';

const file = async () => join(await mkdtemp(join(tmpdir(), 'sc-stats-')), 'history.sqlite');

test('local partial, load, TTFT, tokens/s, remote host and the hedge round-trip; a record without them stores null/false', async () => {
  const f = await file();
  const store = await openHistory(f);
  try {
    await store.insert(
      makeRecord('h', {
        localPartial: 'half an',
        localLoadMs: 12_000,
        localTtftMs: 12_340,
        localTokensPerSec: 9.75,
        localRemoteHost: 'https://ollama.com:443',
        hedged: true,
        hedgeWinner: 'swarm',
        hedgeLoserOutcome: 'stopped',
      }),
    );
    const {
      localPartial: _a,
      localLoadMs: _b,
      localTtftMs: _c,
      localTokensPerSec: _d,
      localRemoteHost: _e,
      hedged: _f,
      hedgeWinner: _g,
      hedgeLoserOutcome: _h,
      ...older
    } = makeRecord('o', {
      submittedAt: 1_700_000_000_001,
    });
    await store.insert(older);
  } finally {
    await store.close();
  }
  const reopened = await openHistory(f);
  try {
    const h = await reopened.get('h');
    assert.deepEqual(
      [h?.localPartial, h?.localLoadMs, h?.localTtftMs, h?.localTokensPerSec, h?.localRemoteHost, h?.hedged, h?.hedgeWinner, h?.hedgeLoserOutcome],
      ['half an', 12_000, 12_340, 9.75, 'https://ollama.com:443', true, 'swarm', 'stopped'],
    );
    const o = await reopened.get('o');
    assert.deepEqual([o?.localPartial, o?.localTtftMs, o?.hedged, o?.hedgeWinner], [null, null, false, null]);
  } finally {
    await reopened.close();
  }
});

test('per-model stats: median TTFT and tokens/s, and the latest noticeable load (a warm few-ms load does not count)', async () => {
  const store = await openHistory(await file());
  try {
    const rows = [
      { id: 'a', model: 'llama3', localTtftMs: 100, localTokensPerSec: 10, localLoadMs: 12_000, submittedAt: 1000 },
      { id: 'b', model: 'llama3', localTtftMs: 300, localTokensPerSec: 30, localLoadMs: 8_000, submittedAt: 2000 },
      { id: 'c', model: 'llama3', localTtftMs: 200, localTokensPerSec: 20, localLoadMs: 5, submittedAt: 3000 },
      { id: 'd', model: 'qwen', localTtftMs: 50, localTokensPerSec: 40, localLoadMs: null, submittedAt: 4000 },
      { id: 'e', model: 'qwen', lane: 'served' as const, localTtftMs: 9999, localTokensPerSec: 1, submittedAt: 5000 },
    ];
    for (const r of rows) await store.insert(makeRecord(r.id, r));
    const stats = await store.localModelStats!();
    const by = Object.fromEntries(stats.map((s) => [s.model, s]));
    assert.deepEqual(by.llama3, { model: 'llama3', answers: 3, medianTtftMs: 200, medianTokensPerSec: 20, lastLoadMs: 8_000 });
    assert.deepEqual(by.qwen, { model: 'qwen', answers: 1, medianTtftMs: 50, medianTokensPerSec: 40, lastLoadMs: null }, 'served rows are not ours');
  } finally {
    await store.close();
  }
});
