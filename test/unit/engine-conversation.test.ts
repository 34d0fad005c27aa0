// RunRequest.messages, source and caller (the language-model provider's
// runs): the conversation goes to Ollama's /api/chat as given, the history row
// keeps the last user message as its prompt and says who asked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../src/engine-bundle';
import { engineOptions, engineSettings } from '../support/engine-options';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';

let ollama: OllamaStandin;
before(async () => {
  ollama = await startOllamaStandin({ models: { llama3: { tokens: ['Because ', 'of ', 'Rayleigh.'] } } });
});
after(() => ollama.stop());

async function engine() {
  const settings = engineSettings({ mode: 'local-only', model: 'llama3', ollamaHost: ollama.url, localTimeoutSecs: 10, swarmTimeoutSecs: 10 });
  return createEngine(engineOptions(settings, 'sc-conv-'));
}

test('a conversation is sent to /api/chat as given; the row has the last question, the source and the caller', async () => {
  const e = await engine();
  try {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Why is the sky blue?' },
      { role: 'assistant' as const, content: 'Scattering.' },
      { role: 'user' as const, content: 'Which kind?' },
    ];
    const handle = e.run({ prompt: 'Which kind?', messages, source: 'vscode-lm', caller: 'some.extension' });
    const result = await handle.result;
    assert.equal(result.lane, 'local');
    assert.equal(result.lane === 'local' && result.response, 'Because of Rayleigh.');
    const req = ollama.requests.at(-1)!;
    assert.equal(req.path, '/api/chat');
    assert.deepEqual((req.body as { messages: unknown }).messages, messages);
    const row = await e.history.get(handle.id);
    assert.equal(row?.prompt, 'Which kind?');
    assert.equal(row?.source, 'vscode-lm');
    assert.equal(row?.caller, 'some.extension');
  } finally {
    await e.dispose();
  }
});

test('without messages a prompt goes to /api/chat as one user message, and the row has no source', async () => {
  const e = await engine();
  try {
    const handle = e.run({ prompt: 'Hello' });
    await handle.result;
    const req = ollama.requests.at(-1)!;
    assert.equal(req.path, '/api/chat');
    assert.deepEqual((req.body as { messages: unknown }).messages, [{ role: 'user', content: 'Hello' }]);
    const row = await e.history.get(handle.id);
    assert.equal(row?.source, null);
    assert.equal(row?.caller, null);
  } finally {
    await e.dispose();
  }
});
