// The chat's entries as a projection of history rows, without an editor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryFromRecord } from '../../src/ui-model/chat-entry';
import { actionsForFailure } from '../../src/ui-model/error-actions';
import { makeRecord } from '../support/history-writer';

const ctx = { walletConnected: false, swarmRefused: false };

test('a completed swarm turn: its question as asked, the answer, lane, short provider and what it cost', () => {
  const e = entryFromRecord(
    makeRecord('r1', {
      lane: 'swarm',
      provider: 'ab'.repeat(32),
      costMsats: 2000,
      feesMsats: 5,
      question: '**Explain** `a.ts` line 1',
      prompt: 'Explain what this…',
      response: 'It adds.',
    }),
  );
  assert.deepEqual(
    { question: e.question, answer: e.answer, state: e.state, lane: e.lane, cost: e.costMsats, error: e.error, warning: e.warning },
    { question: '**Explain** `a.ts` line 1', answer: 'It adds.', state: 'completed', lane: 'swarm', cost: 2005, error: null, warning: null },
  );
  assert.match(e.provider ?? '', /^npub1\w{5}…\w{4}$/);
});

test('a failed turn gets the actions of its stored error kinds, with no look at Ollama', () => {
  const e = entryFromRecord(
    makeRecord('r2', {
      state: 'failed',
      lane: 'failed',
      response: 'half an',
      localOutcome: 'failure',
      localError: 'Ollama is not running',
      localErrorKind: 'unavailable',
      swarmErrorKind: 'declined',
      swarmError: 'not sent: declined',
    }),
    null,
    ctx,
  );
  assert.equal(e.state, 'failed');
  assert.equal(e.answer, 'half an', 'the partial text stays visible (it is never sent back as an answer)');
  assert.equal(e.error?.message, 'Local: Ollama is not running\nSwarm: not sent: declined');
  // exactly what the live run offered for the same failure
  const live = actionsForFailure(
    {
      lane: 'failed',
      localError: 'Ollama is not running',
      swarmError: 'not sent: declined',
      localErrorKind: 'unavailable',
      swarmErrorKind: 'declined',
      partialResponse: 'half an',
    },
    ctx,
  );
  assert.deepEqual(e.error?.actions, live);
  assert.ok(live.includes('startOllama'));
});

test('stopped, unfinished and refused-payment turns', () => {
  const stopped = entryFromRecord(makeRecord('r3', { state: 'cancelled', lane: null, response: 'par' }));
  assert.deepEqual([stopped.state, stopped.error, stopped.answer], ['cancelled', null, 'par']);
  const unfinished = entryFromRecord(makeRecord('r4', { state: 'pending', lane: null, completedAt: null, response: null }));
  assert.match(unfinished.error?.message ?? '', /did not finish here/);
  assert.deepEqual(unfinished.error?.actions, []);
  const unpaid = entryFromRecord(makeRecord('r5', { paymentWarning: 'ab asked 500 msats above the cap of 100 msats' }));
  assert.equal(unpaid.warning, 'Not paid: ab asked 500 msats above the cap of 100 msats');
});
