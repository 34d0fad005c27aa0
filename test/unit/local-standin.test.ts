// The Ollama stand-in must speak Ollama's wire format, or the lane's tests prove nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOllamaStandin } from '../support/ollama-standin';

async function ndjson(res: Response) {
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

test('generate and chat stream NDJSON chunks like Ollama, with a final done chunk', async () => {
  const s = await startOllamaStandin({ models: { 'llama3.2': { tokens: ['Hi', ' there'] } } });
  try {
    const gen = await fetch(`${s.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2', prompt: 'hi' }) });
    assert.equal(gen.status, 200);
    assert.equal(gen.headers.get('content-type'), 'application/x-ndjson');
    const g = await ndjson(gen);
    assert.deepEqual(
      g.slice(0, 2).map((c) => [c.model, c.response, c.done]),
      [
        ['llama3.2', 'Hi', false],
        ['llama3.2', ' there', false],
      ],
    );
    assert.ok(!Number.isNaN(Date.parse(g[0].created_at)));
    const last = g[2];
    assert.equal(last.done, true);
    assert.equal(last.done_reason, 'stop');
    assert.equal(last.response, '');
    assert.equal(last.eval_count, 2);
    for (const k of ['total_duration', 'load_duration', 'prompt_eval_count', 'eval_duration']) assert.equal(typeof last[k], 'number', k);

    const chat = await fetch(`${s.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.2:latest', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const c = await ndjson(chat);
    assert.deepEqual(c[0].message, { role: 'assistant', content: 'Hi' });
    assert.equal(c.at(-1).done, true);

    const whole = await fetch(`${s.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'llama3.2', prompt: 'hi', stream: false }) });
    const w = await whole.json();
    assert.equal(w.response, 'Hi there');
    assert.equal(w.done, true);
  } finally {
    await s.stop();
  }
});

test("unknown model → 404 with Ollama's error body; version and tags in Ollama's shape", async () => {
  const s = await startOllamaStandin({ version: '0.6.8' });
  try {
    const r = await fetch(`${s.url}/api/generate`, { method: 'POST', body: JSON.stringify({ model: 'phi4', prompt: 'x' }) });
    assert.equal(r.status, 404);
    assert.deepEqual(await r.json(), { error: 'model "phi4" not found, try pulling it first' });
    assert.deepEqual(await (await fetch(`${s.url}/api/version`)).json(), { version: '0.6.8' });
    const tags = await (await fetch(`${s.url}/api/tags`)).json();
    assert.equal(tags.models[0].name, 'llama3.2:latest');
    assert.equal(tags.models[0].details.format, 'gguf');
    assert.equal(s.requests.length, 3);
  } finally {
    await s.stop();
  }
});
