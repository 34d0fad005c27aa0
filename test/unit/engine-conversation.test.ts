// RunRequest.messages, source and caller (the language-model provider's
// runs): the conversation goes to Ollama's /api/chat as given, the history row
// keeps the last user message as its prompt and says who asked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecretKey } from 'nostr-tools/pure';
import { createEngine } from '../../src/engine-bundle';
import { testSettings } from '../support/engine-settings';
import type { EngineSettings } from '../../src/engine/api';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';

let ollama: OllamaStandin;
before(async () => {
  ollama = await startOllamaStandin({ models: { llama3: { tokens: ['Because ', 'of ', 'Rayleigh.'] } } });
});
after(() => ollama.stop());

async function engine() {
  const settings: EngineSettings = testSettings({ mode: 'local-only', ollamaHost: ollama.url });
  return createEngine({
    settings,
    secretKey: generateSecretKey(),
    nwcUri: null,
    historyFile: join(mkdtempSync(join(tmpdir(), 'sc-conv-')), 'history.sqlite'),
    log: { info() {}, warn() {}, error() {} },
  });
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
