import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { installPlan, modelsProblem, needsSetup, setupContext } from '../../src/ui-model/first-run';
import { entryActions, supersededRows } from '../../src/ui-model/entry-actions';
import type { ChatEntry } from '../../src/ui-model/protocol';
import type { JobRecord } from '../../src/history/types';

const down = { running: false, version: null, models: [], modelPulled: false, error: 'x' };
const ready = { running: true, version: '0.5', models: ['llama3:latest'], modelPulled: true, error: null };

test('a first start needs setting up; a ready model, a wallet or an earlier answer does not', () => {
  assert.equal(needsSetup({ ollamaInstalled: false, ollama: down, walletConnected: false, answers: 0 }), true);
  assert.equal(needsSetup({ ollamaInstalled: true, ollama: ready, walletConnected: false, answers: 0 }), false);
  assert.equal(needsSetup({ ollamaInstalled: false, ollama: down, walletConnected: true, answers: 0 }), false);
  assert.equal(needsSetup({ ollamaInstalled: true, ollama: down, walletConnected: false, answers: 3 }), false);
});

test('walkthrough context keys follow what is installed, running and pulled', () => {
  const c = setupContext({ ollamaInstalled: true, ollama: { ...ready, modelPulled: false }, walletConnected: false, answers: 0 });
  assert.deepEqual(c, {
    'swarmCompute.ollamaInstalled': true,
    'swarmCompute.ollamaRunning': true,
    'swarmCompute.modelPulled': false,
    'swarmCompute.walletConnected': false,
    'swarmCompute.needsSetup': true,
  });
});

test('install commands for each platform', () => {
  assert.equal(installPlan('linux', () => false).command, 'curl -fsSL https://ollama.com/install.sh | sh');
  assert.equal(installPlan('darwin', (p) => p === 'brew').command, 'brew install ollama');
  assert.equal(installPlan('darwin', () => false).command, null);
  assert.equal(installPlan('win32', (p) => p === 'winget').command, 'winget install --id Ollama.Ollama -e');
  assert.match(installPlan('win32', () => false).url, /windows$/);
});

test('"Models not listed" says what to do and offers the one action that helps', () => {
  // another machine's Ollama: nothing to install or start here
  const p = modelsProblem('http://h:1', 'fetch failed', true);
  assert.equal(p.action, null);
  assert.match(p.message, /not answering at http:\/\/h:1/);
  assert.equal(modelsProblem('http://127.0.0.1:11434', 'fetch failed', true).action, 'startOllama');
  assert.equal(modelsProblem('http://127.0.0.1:11434', 'fetch failed', false).action, 'installOllama');
});

const entry = (over: Partial<ChatEntry>): ChatEntry => ({
  id: 'a',
  question: 'q',
  answer: 'x',
  state: 'completed',
  lane: 'local',
  model: 'm',
  provider: null,
  costMsats: 0,
  durationMs: 1,
  status: null,
  error: null,
  submittedAt: 0,
  ...over,
});

test('answer actions: regenerate, the swarm instead of a local answer, edit; retry after a failure or a stop', () => {
  const ctx = { swarmRefused: false, mode: 'fallback' as const };
  assert.deepEqual(entryActions(entry({}), ctx), ['regenerate', 'askSwarm', 'editResend']);
  assert.deepEqual(entryActions(entry({ lane: 'swarm' }), ctx), ['regenerate', 'editResend']);
  assert.deepEqual(entryActions(entry({}), { ...ctx, swarmRefused: true }), ['regenerate', 'editResend']);
  assert.deepEqual(entryActions(entry({ state: 'cancelled' }), ctx), ['retry', 'editResend']);
  assert.deepEqual(entryActions(entry({ state: 'running' }), ctx), []);
  // a fix already offered in the error box is not repeated
  assert.deepEqual(entryActions(entry({ state: 'failed', error: { message: 'm', actions: ['askSwarm'] } }), ctx), ['retry', 'editResend']);
});

test('a refused swarm-only row answered locally right after is not shown again', () => {
  const row = (id: string, over: Partial<JobRecord>) =>
    ({ id, prompt: 'p', state: 'completed', swarmErrorKind: null, localOutcome: 'success', ...over }) as JobRecord;
  const rows = [
    row('1', { state: 'failed', swarmErrorKind: 'declined', localOutcome: null }),
    row('2', {}),
    row('3', { state: 'failed', swarmErrorKind: 'declined', localOutcome: null }),
  ];
  assert.deepEqual([...supersededRows(rows)], ['1']);
});

import { isThisMachine, ollamaStartable } from '../../src/ui-model/first-run';

test('another machine\'s Ollama is never "not installed here"', () => {
  assert.equal(isThisMachine('http://127.0.0.1:11434'), true);
  assert.equal(isThisMachine('http://localhost:11434'), true);
  assert.equal(isThisMachine('http://gpu-box:11434'), false);
  assert.equal(ollamaStartable('http://gpu-box:11434', false), true);
  assert.equal(ollamaStartable('http://127.0.0.1:11434', false), false);
});
