import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OllamaLane } from '../../src/local/ollama-lane';
import { startOllamaStandin } from '../support/ollama-standin';

test('a follow-up goes to /api/chat with its messages, and streams the chat answer', async () => {
  const s = await startOllamaStandin({ models: { 'llama3.2': { tokens: ['Sho', 'rter.'] } } });
  try {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Explain add()' },
      { role: 'assistant' as const, content: 'It adds two numbers.' },
      { role: 'user' as const, content: 'make that shorter' },
    ];
    const tokens: string[] = [];
    const outcome = await new OllamaLane().run(
      { prompt: 'make that shorter', model: 'llama3.2', host: s.url, timeoutMs: 10_000, messages },
      new AbortController().signal,
      (t) => tokens.push(t),
    );
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.response, 'Shorter.');
    assert.deepEqual(tokens, ['Sho', 'rter.']);
    // the model's place is looked up first (a cloud model must not get the prompt); the turns go to chat only
    const prompted = s.requests.filter((r) => r.path === '/api/chat' || r.path === '/api/generate');
    assert.deepEqual(
      prompted.map((r) => r.path),
      ['/api/chat'],
    );
    assert.deepEqual(prompted[0].body, { model: 'llama3.2', messages, stream: true });
  } finally {
    await s.stop();
  }
});
