import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasModel, listLocalModels, ollamaVersion } from '../../src/local/ollama-lane';
import { closedPort, startOllamaStandin } from '../support/ollama-standin';

const never = () => new AbortController().signal;

test('listLocalModels, ollamaVersion and hasModel read a running daemon', async () => {
  const s = await startOllamaStandin({ models: { 'llama3.2': {}, 'qwen2.5-coder:7b': {} }, version: '0.6.5' });
  try {
    assert.deepEqual(await listLocalModels(s.url, never()), { ok: true, value: ['llama3.2:latest', 'qwen2.5-coder:7b'] });
    assert.deepEqual(await ollamaVersion(s.url, never()), { ok: true, value: '0.6.5' });
    assert.deepEqual(await hasModel(s.url, 'llama3.2', never()), { ok: true, value: true });
    assert.deepEqual(await hasModel(s.url, 'llama3.2:latest', never()), { ok: true, value: true });
    assert.deepEqual(await hasModel(s.url, 'qwen2.5-coder:7b', never()), { ok: true, value: true });
    assert.deepEqual(await hasModel(s.url, 'qwen2.5-coder', never()), { ok: true, value: false });
    assert.deepEqual(await hasModel(s.url, 'mistral', never()), { ok: true, value: false });
  } finally {
    await s.stop();
  }
});

test('probes of a port nobody listens on → unavailable, quickly', async () => {
  const host = `http://127.0.0.1:${await closedPort()}`;
  const t0 = performance.now();
  for (const r of [await listLocalModels(host, never()), await ollamaVersion(host, never()), await hasModel(host, 'x', never())]) {
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.kind, 'unavailable');
      assert.match(r.error.message, /ollama serve/);
    }
  }
  assert.ok(performance.now() - t0 < 3000);
});

test('a wedged daemon → timeout after the probe timeout; cancel → cancelled', async () => {
  const s = await startOllamaStandin({ wedged: true });
  try {
    const t0 = performance.now();
    const r = await ollamaVersion(s.url, never(), 300);
    const elapsed = performance.now() - t0;
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.kind, 'timeout');
    assert.ok(elapsed >= 250 && elapsed < 5000, `took ${elapsed} ms`);

    const ac = new AbortController();
    const pending = listLocalModels(s.url, ac.signal, 30_000);
    await s.waitForRequest((x) => x.path === '/api/tags');
    ac.abort();
    const c = await pending;
    assert.equal(c.ok, false);
    if (!c.ok) assert.equal(c.error.kind, 'cancelled');
  } finally {
    await s.stop();
  }
});

test('a server that is not Ollama → failed, not model-missing', async () => {
  const s = await startOllamaStandin();
  try {
    const r = await listLocalModels(`${s.url}/elsewhere`, never());
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.kind, 'failed');
      assert.match(r.error.message, /404/);
    }
  } finally {
    await s.stop();
  }
});
