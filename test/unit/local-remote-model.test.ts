// Models Ollama serves from another machine (`remote_host`, its cloud models)
// are not local: without allowRemote the lane refuses at once, before any
// prompt reaches /api/chat or /api/generate. Real HTTP to the stand-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OllamaLane } from '../../src/local/ollama-lane';
import type { LocalRequest } from '../../src/local/types';
import { startOllamaStandin, type ModelBehaviour, type OllamaStandin } from '../support/ollama-standin';

const CLOUD = 'gpt-oss:120b-cloud';
const REMOTE = 'https://ollama.com:443';

async function withModel(behaviour: ModelBehaviour, fn: (s: OllamaStandin) => Promise<void>) {
  const s = await startOllamaStandin({ models: { [CLOUD]: behaviour } });
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

const req = (host: string, over: Partial<LocalRequest> = {}): LocalRequest => ({
  prompt: 'my private code',
  model: CLOUD,
  host,
  timeoutMs: 0,
  firstTokenTimeoutMs: 10_000,
  stallTimeoutMs: 10_000,
  ...over,
});

const prompted = (s: OllamaStandin) => s.requests.filter((r) => r.path === '/api/chat' || r.path === '/api/generate');

for (const [where, behaviour] of [
  ['/api/tags and /api/show', { remoteHost: REMOTE, reply: 'from the cloud' }],
  ['/api/show only', { remoteHost: REMOTE, remoteHostOnlyInShow: true, reply: 'from the cloud' }],
] as const) {
  test(`remote_host in ${where}: refused by name before any prompt is sent`, async () => {
    await withModel(behaviour, async (s) => {
      const outcome = await new OllamaLane().run(req(s.url), new AbortController().signal, () => assert.fail('no token expected'));
      assert.equal(outcome.ok, false);
      if (outcome.ok) return;
      assert.equal(outcome.error.kind, 'remote-model');
      assert.ok(outcome.error.message.includes(CLOUD), outcome.error.message);
      assert.ok(outcome.error.message.includes(REMOTE), outcome.error.message);
      assert.deepEqual(prompted(s), [], 'nothing went to chat or generate');
    });
  });
}

test('allowRemote: the cloud model answers and the outcome names its remote host', async () => {
  await withModel({ remoteHost: REMOTE, reply: 'from the cloud' }, async (s) => {
    const outcome = await new OllamaLane().run(req(s.url, { allowRemote: true }), new AbortController().signal, () => {});
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.response, 'from the cloud');
    assert.equal(outcome.remoteHost, REMOTE);
    assert.equal(prompted(s).length, 1);
  });
});

test('a local model is used as before and carries no remote host', async () => {
  const s = await startOllamaStandin({ models: { llama3: { reply: 'local here' } } });
  try {
    const outcome = await new OllamaLane().run(req(s.url, { model: 'llama3' }), new AbortController().signal, () => {});
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.remoteHost, undefined);
  } finally {
    await s.stop();
  }
});

test('an Ollama-compatible server without /api/tags, /api/show or /api/ps still answers through /api/chat', async () => {
  const s = await startOllamaStandin({ generationOnly: true, models: { llama3: { reply: 'still here' } } });
  try {
    const outcome = await new OllamaLane().run(req(s.url, { model: 'llama3' }), new AbortController().signal, () => {});
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.response, 'still here');
  } finally {
    await s.stop();
  }
});
