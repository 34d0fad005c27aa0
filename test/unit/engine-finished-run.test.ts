// One shape of a finished run (issue 11 item 7): the entry the chat shows live
// (the engine's summary of the run's events) and the entry of the same run
// reopened from its history row are equal, for each way a run ends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecretKey } from 'nostr-tools/pure';
import { createEngine } from '../../src/engine-bundle';
import type { Engine, EngineSettings, RunRequest } from '../../src/engine/api';
import type { RunEvent } from '../../src/run/events';
import { foldRun, startRun } from '../../src/engine/finished-run';
import { entryFromRecord, entryOfRun } from '../../src/ui-model/chat-entry';
import { startRelay, type TestRelay } from '../support/relay';
import { engineSettings } from '../support/engine-options';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { startTestProvider, type TestProvider } from '../support/test-provider';

let relay: TestRelay;
let ollama: OllamaStandin;
let provider: TestProvider;
let engine: Engine;
const ctx = { walletConnected: false, swarmRefused: false, ollamaInstalled: true };

before(async () => {
  relay = await startRelay();
  ollama = await startOllamaStandin({
    models: {
      llama3: { tokens: ['one ', 'two ', 'three'], tokenDelayMs: 5 },
      broken: { tokens: ['half ', 'an ', 'answer'], crashAfterTokens: 2 },
      slow: { tokens: ['a ', 'b ', 'c ', 'd ', 'e'], tokenDelayMs: 300 },
    },
  });
  provider = await startTestProvider({ relays: [relay.url], script: { partials: ['from ', 'the '], result: 'from the swarm' } });
  const settings: EngineSettings = engineSettings({ model: 'llama3', ollamaHost: ollama.url, relays: [relay.url], localTimeoutSecs: 10, swarmTimeoutSecs: 10 });
  engine = await createEngine({
    settings,
    secretKey: generateSecretKey(),
    nwcUri: null,
    historyFile: join(mkdtempSync(join(tmpdir(), 'sc-finished-')), 'history.sqlite'),
    log: { info() {}, warn() {}, error() {} },
  });
});
after(async () => {
  await engine.dispose();
  await provider.stop();
  await ollama.stop();
  await relay.stop();
});

/** Runs `request`; returns the chat's live fold, the engine's finished summary as an entry, and the reopened entry. */
async function liveAndReopened(request: RunRequest, stopAfterFirstToken = false) {
  const controller = new AbortController();
  const handle = engine.run(request, controller.signal);
  let run = startRun({
    id: handle.id,
    question: request.question ?? request.prompt,
    model: request.model ?? 'llama3',
    submittedAt: handle.submittedAt,
    lane: request.mode === 'swarm-only' ? 'swarm' : 'local',
  });
  const events: RunEvent[] = [];
  for await (const e of handle.events) {
    events.push(e);
    run = foldRun(run, e);
    if (stopAfterFirstToken && e.type === 'token') controller.abort();
  }
  const finished = await handle.finished;
  const live = entryOfRun(finished, ctx);
  const row = await engine.history.get(handle.id);
  assert.ok(row, 'the run has its row');
  const reopened = entryFromRecord(row, ctx);
  // what the chat folded from the stream is the engine's summary, bar the engine's own clock and the fees
  assert.deepEqual({ ...run, durationMs: null, costMsats: 0, provider: null }, { ...finished, durationMs: null, costMsats: 0, provider: null });
  return { live, reopened, events, result: await handle.result };
}

test('local ok: the live entry and the reopened one are equal', async () => {
  const { live, reopened } = await liveAndReopened({ prompt: 'count' });
  assert.equal(live.state, 'completed');
  assert.equal(live.answer, 'one two three');
  assert.deepEqual(reopened, live);
});

test('fallback after a partial local answer: equal, the half answer marked on both', async () => {
  const { live, reopened } = await liveAndReopened({ prompt: 'break', model: 'broken' });
  assert.deepEqual([live.state, live.lane, live.answer], ['completed', 'swarm', 'from the swarm']);
  assert.equal(live.superseded?.text, 'half an ');
  assert.deepEqual(reopened, live);
});

test('declined: equal, with the same actions', async () => {
  const { live, reopened } = await liveAndReopened({ prompt: 'keep it', mode: 'swarm-only', confirmSwarm: async () => false });
  assert.equal(live.state, 'failed');
  assert.ok(live.error?.actions.includes('askSwarm'), JSON.stringify(live.error));
  assert.deepEqual(reopened, live);
});

test('"never" (use local instead): the engine answers locally in the same run, one row, equal entries', async () => {
  const before = (await engine.history.list(1000)).length;
  const { live, reopened, result } = await liveAndReopened({ prompt: 'only here', mode: 'swarm-only', confirmSwarm: async () => 'local' });
  assert.equal(result.lane, 'local');
  assert.deepEqual([live.state, live.lane, live.answer], ['completed', 'local', 'one two three']);
  assert.equal((await engine.history.list(1000)).length, before + 1, 'one row for the question');
  assert.deepEqual(reopened, live);
});

test('failed locally (local only): equal, partial text kept', async () => {
  const { live, reopened } = await liveAndReopened({ prompt: 'break', model: 'broken', mode: 'local-only' });
  assert.deepEqual([live.state, live.answer, live.superseded], ['failed', 'half an ', null]);
  assert.deepEqual(reopened, live);
});

test('cancelled: equal, stopped with what had streamed', async () => {
  const { live, reopened } = await liveAndReopened({ prompt: 'slowly', model: 'slow', mode: 'local-only' }, true);
  assert.equal(live.state, 'cancelled');
  assert.equal(live.error, null);
  assert.deepEqual(reopened, live);
});
