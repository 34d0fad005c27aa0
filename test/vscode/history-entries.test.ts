import * as assert from 'node:assert';
import { entryFromRecord } from '../../src/views/chat-session';
import { explainPrompt } from '../../src/views/explain';
import type { JobRecord } from '../../src/history/types';

const row = (over: Partial<JobRecord>): JobRecord => ({
  id: 'r1', jobId: 'r1', state: 'failed', lane: 'failed', model: 'llama3.2', prompt: 'hello', response: null, error: 'failed',
  localAttempted: true, localOutcome: 'failure', localError: 'Ollama is not running', swarmStart: null, swarmOutcome: null, swarmError: null,
  provider: null, costMsats: 0, feesMsats: 0, paymentBolt11: null, paymentPreimage: null, ttftMs: null, durationMs: 12,
  submittedAt: 1, completedAt: 2, ...over,
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

  it('an Explain Selection row shows its short question, not the prompt sent to the model', () => {
    const { prompt, question } = explainPrompt({ code: 'return a + b;', languageId: 'typescript', fileName: 'add.ts', startLine: 2, endLine: 2 });
    const e = entryFromRecord(row({ prompt, state: 'completed', lane: 'local', response: 'adds', error: null }));
    assert.strictEqual(e.question, question);
  });
});
