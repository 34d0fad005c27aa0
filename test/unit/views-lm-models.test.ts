// The models offered to vscode.lm: names with their route, cloud models
// marked, read from the Ollama stand-in's /api/tags over HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { listOllamaModels, lmModels, routeOf } from '../../src/ui-model/lm-models';
import { closedPort, startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';

let ollama: OllamaStandin;
before(async () => {
  ollama = await startOllamaStandin({ models: { 'llama3.2': {}, 'qwen2.5-coder:7b': {}, 'gpt-oss:120b-cloud': { remoteHost: 'https://ollama.com' } } });
});
after(() => ollama.stop());

test('Ollama’s models come with their remote_host', async () => {
  const models = await listOllamaModels(ollama.url, new AbortController().signal);
  assert.deepEqual(models, [
    { name: 'llama3.2:latest', remoteHost: null },
    { name: 'qwen2.5-coder:7b', remoteHost: null },
    { name: 'gpt-oss:120b-cloud', remoteHost: 'https://ollama.com' },
  ]);
});

test('an Ollama that is not running is an error, not an empty list', async () => {
  await assert.rejects(listOllamaModels(`http://127.0.0.1:${await closedPort()}`, new AbortController().signal));
});

test('the configured model comes first, once, and every installed one follows, named with the route', async () => {
  const installed = await listOllamaModels(ollama.url, new AbortController().signal);
  const models = lmModels({ mode: 'fallback', model: 'llama3.2' }, installed);
  assert.deepEqual(
    models.map((m) => m.name),
    [
      'Swarm Compute · llama3.2 (local → swarm)',
      'Swarm Compute · qwen2.5-coder:7b (local → swarm)',
      'Swarm Compute · gpt-oss:120b-cloud (remote ollama.com → swarm)',
    ],
  );
  assert.deepEqual(
    models.map((m) => m.id),
    ['llama3.2', 'qwen2.5-coder:7b', 'gpt-oss:120b-cloud'],
  );
  assert.deepEqual(
    models.map((m) => [m.family, m.version]),
    [
      ['llama3.2', 'latest'],
      ['qwen2.5-coder', '7b'],
      ['gpt-oss', '120b-cloud'],
    ],
  );
  assert.match(models[2].tooltip, /forwards this model to https:\/\/ollama\.com: prompts leave this machine/);
  assert.ok(models.every((m) => m.capabilities.toolCalling === false && m.capabilities.imageInput === false));
});

test('a configured model that is not pulled, or an Ollama that is down, still offers the configured model', () => {
  const notPulled = lmModels({ mode: 'fallback', model: 'mistral' }, [{ name: 'llama3.2:latest', remoteHost: null }]);
  assert.equal(notPulled[0].name, 'Swarm Compute · mistral (local → swarm)');
  assert.match(notPulled[0].tooltip, /Not pulled/);
  const down = lmModels({ mode: 'swarm-only', model: 'mistral' }, null);
  assert.deepEqual(
    down.map((m) => m.name),
    ['Swarm Compute · mistral (swarm)'],
  );
  assert.match(down[0].tooltip, /Answered by the Nostr compute marketplace/);
});

test('the route follows the mode', () => {
  assert.equal(routeOf('fallback', null), 'local → swarm');
  assert.equal(routeOf('local-only', null), 'local');
  assert.equal(routeOf('local-no-fallback', null), 'local');
  assert.equal(routeOf('swarm-only', null), 'swarm');
  assert.equal(routeOf('local-only', 'https://ollama.com'), 'remote ollama.com');
});
