// The chat's entries as a projection of history rows, without an editor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryFromRecord } from '../../src/ui-model/chat-entry';
import { actionsForFailure } from '../../src/ui-model/error-actions';
import { makeRecord } from '../support/history-writer';
import { explainPrompt } from '../../src/ui-model/explain-prompt';
import type { JobRecord } from '../../src/history/types';

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

// Past conversations from the history (these ran in the extension host before; they need no editor)
const failedRow = (over: Partial<JobRecord> = {}) =>
  makeRecord(over.id ?? 'f1', {
    state: 'failed',
    lane: 'failed',
    model: 'llama3.2',
    prompt: 'hello',
    question: 'hello',
    response: null,
    error: 'failed',
    localOutcome: 'failure',
    localError: 'Ollama is not running',
    durationMs: 12,
    ...over,
  });

test('a row from before the kinds were stored gets a fixed projection: the swarm was never asked → ask it; no guess about Ollama now', () => {
  const e = entryFromRecord(failedRow(), ctx);
  assert.deepEqual(e.error?.actions, ['askSwarm']);
  assert.equal(e.error?.message, 'Local: Ollama is not running');
  // the same row gives the same entry every time: nothing is probed
  assert.deepEqual(entryFromRecord(failedRow(), ctx), e);
});

test('after "never", the swarm is not offered again', () => {
  const e = entryFromRecord(failedRow(), { ...ctx, swarmRefused: true });
  assert.ok(!e.error?.actions.includes('askSwarm'));
});

test('a stored local error kind gives its action: model missing → pull; unavailable → start (install when not installed)', () => {
  const missing = entryFromRecord(failedRow({ localErrorKind: 'model-missing' }), ctx);
  assert.ok(missing.error?.actions.includes('pullModel'), JSON.stringify(missing.error));
  assert.ok(!missing.error?.actions.includes('startOllama'), JSON.stringify(missing.error));
  const down = entryFromRecord(failedRow({ localErrorKind: 'unavailable' }), ctx);
  assert.ok(down.error?.actions.includes('startOllama'), JSON.stringify(down.error));
  const absent = entryFromRecord(failedRow({ localErrorKind: 'unavailable' }), { ...ctx, ollamaInstalled: false, ollamaHost: 'http://127.0.0.1:11434' });
  assert.ok(absent.error?.actions.includes('installOllama'), JSON.stringify(absent.error));
  assert.match(absent.error?.message ?? '', /Ollama is not installed on this machine \(http:\/\/127\.0\.0\.1:11434 does not answer\)/);
});

test('a stored swarm error kind gives its actions: payment failed → connect a wallet (unless one is connected)', () => {
  const r = failedRow({
    localOutcome: null,
    localError: null,
    localAttempted: false,
    swarmStart: 'direct',
    swarmOutcome: 'failure',
    swarmError: 'no wallet',
    swarmErrorKind: 'payment-failed',
  });
  const e = entryFromRecord(r, ctx);
  assert.ok(e.error?.actions.includes('connectWallet'), JSON.stringify(e.error));
  assert.ok(!e.error?.actions.includes('askSwarm'));
  const connected = entryFromRecord(r, { ...ctx, walletConnected: true });
  assert.ok(!connected.error?.actions.includes('connectWallet'));
});

test('a stored swarm kind replaces the guess: a failed local run whose swarm was disabled still offers the swarm', () => {
  const e = entryFromRecord(failedRow({ localErrorKind: 'failed', swarmErrorKind: 'disabled' }), ctx);
  assert.ok(e.error?.actions.includes('askSwarm'), JSON.stringify(e.error));
  assert.ok(!e.error?.actions.includes('pullModel') && !e.error?.actions.includes('startOllama'));
});

test('the stored refused-payment warning is shown on the past answer', () => {
  const answered = failedRow({
    state: 'completed',
    lane: 'swarm',
    response: 'unpaid answer',
    error: null,
    localOutcome: null,
    localError: null,
    paymentWarning: 'provider ab asked 500 msats without an invoice; the result was delivered unpaid',
  });
  const e = entryFromRecord(answered, ctx);
  assert.equal(e.error, null);
  assert.ok(e.warning?.includes('asked 500 msats without an invoice'), String(e.warning));
  assert.ok(!entryFromRecord(failedRow({ state: 'completed', lane: 'local', response: 'x', error: null }), ctx).warning);
});

test('an Explain Selection row shows its short question, not the prompt sent to the model', () => {
  const { prompt, question } = explainPrompt({ code: 'return a + b;', languageId: 'typescript', fileName: 'add.ts', startLine: 2, endLine: 2 });
  // the question is stored as asked (schema v4), not parsed back out of the prompt
  const e = entryFromRecord(failedRow({ prompt, question, state: 'completed', lane: 'local', response: 'adds', error: null }));
  assert.equal(e.question, question);
});
