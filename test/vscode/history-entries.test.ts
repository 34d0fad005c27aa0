import * as assert from 'node:assert';
import { entryFromRecord } from '../../src/vscode/chat-session';
import { explainPrompt } from '../../src/vscode/explain';
import { pendingRecord } from '../../src/engine/pending-record';
import type { JobRecord } from '../../src/history/types';

const row = (over: Partial<JobRecord>): JobRecord => ({
  ...pendingRecord('r1', 'llama3.2', 'hello', 1),
  state: 'failed',
  lane: 'failed',
  error: 'failed',
  localAttempted: true,
  localOutcome: 'failure',
  localError: 'Ollama is not running',
  durationMs: 12,
  completedAt: 2,
  conversationId: over.id ?? 'r1',
  turn: 1,
  question: over.prompt ?? 'hello',
  ...over,
});
const ollama = (running: boolean, models: string[] = []) => ({ running, version: null, models, modelPulled: false, error: null });
const ctx = { walletConnected: false, swarmRefused: false };

describe('past conversations from the history', () => {
  it('a failed row keeps its actions: Ollama down → start it, and the swarm was never asked → ask it', () => {
    const e = entryFromRecord(row({}), ollama(false), ctx);
    assert.ok(e.error?.actions.includes('startOllama'), JSON.stringify(e.error));
    assert.ok(e.error?.actions.includes('askSwarm'), JSON.stringify(e.error));
  });

  it('Ollama running without the model → pull it', () => {
    const e = entryFromRecord(row({}), ollama(true, ['qwen2.5:latest']), ctx);
    assert.ok(e.error?.actions.includes('pullModel'), JSON.stringify(e.error));
    assert.ok(!e.error?.actions.includes('startOllama'));
  });

  it('after "never", the swarm is not offered again', () => {
    const e = entryFromRecord(row({}), ollama(false), { ...ctx, swarmRefused: true });
    assert.ok(!e.error?.actions.includes('askSwarm'));
  });

  it('a stored local error kind wins over Ollama now: model missing → pull, even with Ollama down', () => {
    const e = entryFromRecord(row({ localErrorKind: 'model-missing' }), ollama(false), ctx);
    assert.ok(e.error?.actions.includes('pullModel'), JSON.stringify(e.error));
    assert.ok(!e.error?.actions.includes('startOllama'), JSON.stringify(e.error));
  });

  it('a stored kind needs no probe: unavailable → start Ollama without any Ollama status', () => {
    const e = entryFromRecord(row({ localErrorKind: 'unavailable' }), null, ctx);
    assert.ok(e.error?.actions.includes('startOllama'), JSON.stringify(e.error));
  });

  it('a stored swarm error kind gives its actions: payment failed → connect a wallet (unless one is connected)', () => {
    const r = row({
      localOutcome: null,
      localError: null,
      localAttempted: false,
      swarmStart: 'direct',
      swarmOutcome: 'failure',
      swarmError: 'no wallet',
      swarmErrorKind: 'payment-failed',
    });
    const e = entryFromRecord(r, null, ctx);
    assert.ok(e.error?.actions.includes('connectWallet'), JSON.stringify(e.error));
    assert.ok(!e.error?.actions.includes('askSwarm'));
    const connected = entryFromRecord(r, null, { ...ctx, walletConnected: true });
    assert.ok(!connected.error?.actions.includes('connectWallet'));
  });

  it('a stored swarm kind replaces the guess: a failed local run whose swarm was disabled still offers the swarm', () => {
    const e = entryFromRecord(row({ localErrorKind: 'failed', swarmErrorKind: 'disabled' }), ollama(true, ['llama3.2:latest']), ctx);
    assert.ok(e.error?.actions.includes('askSwarm'), JSON.stringify(e.error));
    assert.ok(!e.error?.actions.includes('pullModel') && !e.error?.actions.includes('startOllama'));
  });

  it('the stored refused-payment warning is shown on the past answer', () => {
    const answered = row({
      state: 'completed',
      lane: 'swarm',
      response: 'unpaid answer',
      error: null,
      localOutcome: null,
      localError: null,
      paymentWarning: 'provider ab asked 500 msats without an invoice; the result was delivered unpaid',
    });
    const e = entryFromRecord(answered, null, ctx);
    assert.strictEqual(e.error, null);
    assert.ok(e.warning?.includes('asked 500 msats without an invoice'), String(e.warning));
    assert.ok(!entryFromRecord(row({ state: 'completed', lane: 'local', response: 'x', error: null }), null, ctx).warning);
  });

  it('an Explain Selection row shows its short question, not the prompt sent to the model', () => {
    const { prompt, question } = explainPrompt({ code: 'return a + b;', languageId: 'typescript', fileName: 'add.ts', startLine: 2, endLine: 2 });
    // the question is stored as asked (schema v4), not parsed back out of the prompt
    const e = entryFromRecord(row({ prompt, question, state: 'completed', lane: 'local', response: 'adds', error: null }));
    assert.strictEqual(e.question, question);
  });
});
