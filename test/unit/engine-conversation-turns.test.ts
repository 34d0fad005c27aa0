// The engine's side of conversations, in-process with the real local lane:
// turns from the history or from the caller, the row's conversation and turn.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../src/engine-bundle';
import { engineOptions, engineSettings } from '../support/engine-options';
import type { RunEvent } from '../../src/run/events';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';

let ollama: OllamaStandin;
before(async () => {
  ollama = await startOllamaStandin({ models: { llama3: { reply: 'Answer.' } } });
});
after(async () => {
  await ollama.stop();
});

async function engine() {
  const settings = engineSettings({
    mode: 'local-only',
    model: 'llama3',
    ollamaHost: ollama.url,
    maxPriceMsats: 0,
    localTimeoutSecs: 10,
    swarmTimeoutSecs: 10,
  });
  return createEngine(engineOptions(settings, 'sc-engine-conv-', { secretKey: new Uint8Array(32) }));
}

const lastChat = () => ollama.requests.filter((r) => r.path === '/api/chat').at(-1)!.body as { messages: unknown };

test('a run continues its conversation from the history: the row is its next turn, the question kept as asked', async () => {
  const e = await engine();
  try {
    const first = e.run({ prompt: 'Explain this long prompt with code', question: '**Explain** `a.ts`', system: 'Be brief.' });
    await first.result;
    assert.equal(first.conversationId, first.id, 'a new conversation is named after its first run');
    const second = e.run({ prompt: 'shorter', conversationId: first.conversationId, system: 'Be brief.' });
    const events: RunEvent[] = [];
    for await (const ev of second.events) events.push(ev);
    assert.deepEqual(
      events.find((ev) => ev.type === 'context'),
      {
        type: 'context',
        conversationId: first.id,
        earlierTurns: 1,
        leftOutTurns: 0,
        contextTokens: 131072,
      },
    );
    assert.deepEqual(lastChat().messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Explain this long prompt with code' },
      { role: 'assistant', content: 'Answer.' },
      { role: 'user', content: 'shorter' },
    ]);
    const rows = await e.history.conversation(first.id);
    assert.deepEqual(
      rows.map((r) => [r.turn, r.question, r.prompt]),
      [
        [1, '**Explain** `a.ts`', 'Explain this long prompt with code'],
        [2, 'shorter', 'shorter'],
      ],
    );
  } finally {
    await e.dispose();
  }
});

test('turns a caller gives (a chat API client) go as they are, before the prompt', async () => {
  const e = await engine();
  try {
    const h = e.run({
      prompt: 'and now?',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'a1' },
      ],
    });
    await h.result;
    assert.deepEqual(lastChat().messages, [
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'and now?' },
    ]);
    assert.equal((await e.history.get(h.id))!.turn, 1);
  } finally {
    await e.dispose();
  }
});
