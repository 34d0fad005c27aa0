import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitConversation, turnsFromMessages, turnsFromRows } from '../../src/engine/conversation-turns';
import { conversationText, parseMessagesParam } from '../../src/swarm/conversation-text';
import { contextTokensFromShow } from '../../src/local/ollama-context';
import { makeRecord } from '../support/history-writer';

test('turns from rows: cleared rows and served jobs say nothing; failed, stopped and unfinished runs keep their question only', () => {
  const turns = turnsFromRows([
    makeRecord('1', { prompt: 'q1', response: 'a1' }),
    makeRecord('2', { prompt: 'q2', response: 'partial', state: 'failed', lane: 'failed' }),
    makeRecord('3', { prompt: 'q3', response: 'stopped half', state: 'cancelled' }),
    makeRecord('4', { prompt: '', response: null }),
    makeRecord('5', { prompt: 'q5', response: null, state: 'pending', lane: null }),
  ]);
  assert.deepEqual(turns, [
    { user: 'q1', assistant: 'a1' },
    { user: 'q2', assistant: null },
    { user: 'q3', assistant: null },
    { user: 'q5', assistant: null },
  ]);
});

test('fitConversation leaves out the oldest turns until system, turns and prompt fit in 4 characters a token', () => {
  const turns = [
    { user: 'a'.repeat(40), assistant: 'b'.repeat(40) },
    { user: 'c'.repeat(10), assistant: 'd'.repeat(10) },
  ];
  const all = fitConversation(turns, 'now', 'sys', 100);
  assert.equal(all.leftOutTurns, 0);
  assert.deepEqual(
    all.messages.map((m) => m.role),
    ['system', 'user', 'assistant', 'user', 'assistant', 'user'],
  );
  const cut = fitConversation(turns, 'now', 'sys', 20); // 80 characters: 3 + 20 + 3 fit, + 80 do not
  assert.deepEqual([cut.earlierTurns, cut.leftOutTurns], [1, 1]);
  assert.deepEqual(cut.messages.at(-1), { role: 'user', content: 'now' });
  const none = fitConversation(turns, 'x'.repeat(500), undefined, 20);
  assert.deepEqual([none.earlierTurns, none.leftOutTurns, none.messages.length], [0, 2, 1], 'the prompt always goes');
});

test('turns from messages a caller gave', () => {
  const { system, turns } = turnsFromMessages([
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'q1' },
    { role: 'assistant', content: 'a1' },
    { role: 'user', content: 'q2' },
  ]);
  assert.equal(system, 'be brief');
  assert.deepEqual(turns, [
    { user: 'q1', assistant: 'a1' },
    { user: 'q2', assistant: null },
  ]);
});

test('the swarm text of a conversation, and the messages param read back strictly', () => {
  const messages = [
    { role: 'user' as const, content: 'q1' },
    { role: 'assistant' as const, content: 'a1' },
    { role: 'user' as const, content: 'q2' },
  ];
  assert.equal(conversationText(messages), 'User: q1\n\nAssistant: a1\n\nUser: q2');
  assert.deepEqual(parseMessagesParam(JSON.stringify(messages)), messages);
  for (const bad of ['nope', '{}', '[]', '[{"role":"robot","content":"x"}]', '[{"role":"user","content":3}]', undefined]) {
    assert.equal(parseMessagesParam(bad), null, String(bad));
  }
});

test('context length from /api/show: num_ctx when the model is run with one, else the trained length', () => {
  assert.equal(contextTokensFromShow({ model_info: { 'general.architecture': 'qwen2', 'qwen2.context_length': 32768 } }), 32768);
  assert.equal(contextTokensFromShow({ parameters: 'num_ctx 4096\nstop "x"', model_info: { 'llama.context_length': 131072 } }), 4096);
  assert.equal(contextTokensFromShow({ modelfile: '' }), null);
  assert.equal(contextTokensFromShow('nope'), null);
});

test('a question asked again after it failed (a retry) is sent once', async () => {
  const { withoutRetried } = await import('../../src/engine/conversation-turns');
  const turns = [
    { user: 'q1', assistant: 'a1' },
    { user: 'q2', assistant: null },
    { user: 'q2', assistant: 'a2' },
    { user: 'q3', assistant: null },
  ];
  assert.deepEqual(withoutRetried(turns, 'q3'), [
    { user: 'q1', assistant: 'a1' },
    { user: 'q2', assistant: 'a2' },
  ]);
  assert.deepEqual(withoutRetried(turns, 'q4'), [
    { user: 'q1', assistant: 'a1' },
    { user: 'q2', assistant: 'a2' },
    { user: 'q3', assistant: null },
  ]);
});
