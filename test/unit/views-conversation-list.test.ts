import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conversationItem, conversationTitle } from '../../src/ui-model/conversation-list';

test('a past conversation is listed by its first question, date, turns, lanes and cost', () => {
  assert.equal(conversationTitle('**Explain** `add.ts` lines 2–4\n\n```typescript\nreturn a + b;\n```'), 'Explain add.ts lines 2–4');
  assert.equal(conversationTitle('x'.repeat(200)).length, 80);
  assert.equal(conversationTitle(''), '(no question)');
  const now = new Date(2026, 11, 1, 12, 0);
  const item = conversationItem(
    {
      conversationId: 'c1',
      title: 'What is a relay?',
      startedAt: 0,
      updatedAt: new Date(2026, 10, 3).getTime(),
      turns: 3,
      localTurns: 2,
      swarmTurns: 1,
      failedTurns: 0,
      costMsats: 21_000,
    },
    now,
  );
  assert.equal(item.label, 'What is a relay?');
  assert.match(item.description, /2026/);
  assert.equal(item.detail, '3 turns · 2 local, 1 swarm · 21 sats');
  const today = conversationItem(
    { conversationId: 'c2', title: 'hi', startedAt: 0, updatedAt: now.getTime(), turns: 1, localTurns: 0, swarmTurns: 0, failedTurns: 1, costMsats: 0 },
    now,
  );
  assert.match(today.description, /^today /);
  assert.equal(today.detail, '1 turn · 1 failed · free');
});
