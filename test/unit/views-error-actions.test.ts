import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { actionsForFailure } from '../../src/ui-model/error-actions';
import type { FailedResult } from '../../src/run/result';

const failed = (over: Partial<FailedResult>): FailedResult => ({ lane: 'failed', localError: null, swarmError: null, ...over });
const ctx = { walletConnected: false, swarmRefused: false };

test('Ollama not running: start it; a declined swarm is offered again', () => {
  const actions = actionsForFailure(failed({ localError: 'x', localErrorKind: 'unavailable', swarmError: 'y', swarmErrorKind: 'declined' }), ctx);
  assert.deepEqual(actions, ['startOllama', 'askSwarm']);
});

test('Ollama not installed: install it, never "Start Ollama"', () => {
  const r = failed({ localError: 'x', localErrorKind: 'unavailable', swarmError: 'y', swarmErrorKind: 'declined' });
  assert.deepEqual(actionsForFailure(r, { ...ctx, ollamaInstalled: false }), ['installOllama', 'askSwarm']);
});

test('model missing: pull it; local-no-fallback offers the swarm once', () => {
  const actions = actionsForFailure(
    failed({ localError: 'x', localErrorKind: 'model-missing', swarmError: 'fallback disabled', swarmErrorKind: 'disabled' }),
    ctx,
  );
  assert.deepEqual(actions, ['pullModel', 'askSwarm']);
});

test('after "never", or with a partial answer, the swarm is not offered', () => {
  const r = failed({ localError: 'x', localErrorKind: 'failed', swarmError: 'y', swarmErrorKind: 'declined' });
  assert.ok(!actionsForFailure(r, { ...ctx, swarmRefused: true }).includes('askSwarm'));
  assert.ok(!actionsForFailure({ ...r, partialResponse: 'Half an' }, ctx).includes('askSwarm'));
});

test('payment failed: connect a wallet only when none is connected', () => {
  const r = failed({ swarmError: 'no wallet', swarmErrorKind: 'payment-failed' });
  assert.deepEqual(actionsForFailure(r, ctx), ['connectWallet', 'openSettings']);
  assert.deepEqual(actionsForFailure(r, { ...ctx, walletConnected: true }), ['openSettings']);
});

test('local only: no swarm action at all; a timeout points at its setting', () => {
  const actions = actionsForFailure(failed({ localError: 'x', localErrorKind: 'timeout' }), ctx);
  assert.deepEqual(actions, ['openSettings']);
});

test('Diagnose only where it can help: no relay reached', () => {
  assert.deepEqual(actionsForFailure(failed({ swarmError: 'x', swarmErrorKind: 'no-relay' }), ctx), ['diagnose']);
  assert.deepEqual(actionsForFailure(failed({ swarmError: 'x', swarmErrorKind: 'error' }), ctx), []);
});
