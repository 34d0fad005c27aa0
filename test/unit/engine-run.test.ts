// The engine as the extension uses it, in-process, with real lanes: one run
// is one stream of events (tokens as they arrive, status changes, the result
// last) and exactly one history row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../src/engine-bundle';
import type { EngineSettings } from '../../src/engine/api';
import type { RunEvent } from '../../src/run/events';
import { ConfigError } from '../../src/run/errors';
import { refusalWarning } from '../../src/engine/finished-run';
import type { TestRelay } from '../support/relay';
import type { OllamaStandin } from '../support/ollama-standin';
import { startTestProvider } from '../support/test-provider';
import { startStandIns } from '../support/stand-ins';
import { engineOptions, engineSettings } from '../support/engine-options';

let relay: TestRelay, ollama: OllamaStandin, stop: () => Promise<void>;

before(async () => {
  ({ relay, ollama, stop } = await startStandIns({
    models: {
      llama3: { tokens: ['one ', 'two ', 'three'], tokenDelayMs: 10 },
      broken: { tokens: ['half ', 'an ', 'answer'], crashAfterTokens: 2 },
      slow: { tokens: ['a ', 'b ', 'c ', 'd ', 'e'], tokenDelayMs: 300 },
    },
    provider: { partials: ['from ', 'the '], result: 'from the swarm' },
  }));
});
after(() => stop());

function settings(over: Partial<EngineSettings> = {}): EngineSettings {
  return engineSettings({ model: 'llama3', ollamaHost: ollama.url, relays: [relay.url], localTimeoutSecs: 10, swarmTimeoutSecs: 10, ...over });
}

async function engineWith(over: Partial<EngineSettings> = {}) {
  const warnings: string[] = [];
  const log = { info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
  const engine = await createEngine(engineOptions(settings(over), 'sc-engine-', { log }));
  return { engine, warnings };
}

async function collect(events: AsyncIterable<RunEvent>) {
  const seen: RunEvent[] = [];
  for await (const e of events) seen.push(e);
  return seen;
}

test('a local run streams tokens in order, then done, and leaves one completed row', async () => {
  const { engine } = await engineWith();
  try {
    const handle = engine.run({ prompt: 'count' });
    const events = await collect(handle.events);
    const result = await handle.result;
    assert.equal(events[0].type, 'status');
    assert.deepEqual(
      events.filter((e) => e.type === 'token').map((e) => e.type === 'token' && e.text),
      ['one ', 'two ', 'three'],
    );
    assert.deepEqual(events.at(-1), { type: 'done', result });
    const rows = await engine.history.list(10);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].id, handle.id);
    assert.equal(rows[0].state, 'completed');
    assert.equal(rows[0].response, 'one two three');
    assert.ok(rows[0].ttftMs !== null && rows[0].ttftMs >= 0);
    assert.equal(rows[0].localErrorKind, null);
    assert.equal(rows[0].swarmErrorKind, null);
    assert.equal(rows[0].paymentWarning, null);
  } finally {
    await engine.dispose();
  }
});

test('a fallback run: fallback status, the job event, swarm partials as tokens, then the result', async () => {
  const { engine } = await engineWith({ model: 'not-pulled' });
  try {
    const handle = engine.run({ prompt: 'fall back' });
    const events = await collect(handle.events);
    const types = events.map((e) => (e.type === 'status' ? `status:${e.state}` : e.type));
    const iFallback = types.indexOf('status:fallback');
    const iJob = types.indexOf('job');
    const iDone = types.indexOf('done');
    assert.ok(iFallback >= 0 && iJob > iFallback && iDone === types.length - 1, types.join(','));
    assert.deepEqual(
      events.filter((e) => e.type === 'token').map((e) => e.type === 'token' && `${e.lane}:${e.text}`),
      ['swarm:from ', 'swarm:the '],
    );
    const result = await handle.result;
    assert.equal(result.lane, 'swarm');
    const [row] = await engine.history.list(1);
    const job = events.find((e) => e.type === 'job');
    assert.equal(row.jobId, job?.type === 'job' ? job.jobId : null);
    assert.equal(row.swarmStart, 'fallback');
    assert.equal(row.localOutcome, 'failure');
    assert.equal(row.swarmOutcome, 'success');
    // the kind behind the local error is kept, so a reloaded chat offers "pull the model" without asking Ollama
    assert.equal(row.localErrorKind, 'model-missing');
    assert.equal(row.swarmErrorKind, null);
    assert.equal(row.paymentWarning, null);
  } finally {
    await engine.dispose();
  }
});

test('a local stream that breaks after tokens goes to the swarm; the row keeps the local error and the partial', async () => {
  const { engine } = await engineWith({ model: 'broken' });
  try {
    const handle = engine.run({ prompt: 'break' });
    const result = await handle.result;
    assert.equal(result.lane, 'swarm');
    assert.equal(result.lane === 'swarm' && result.response, 'from the swarm');
    assert.equal(result.lane === 'swarm' && result.localPartial, 'half an ');
    const [row] = await engine.history.list(1);
    assert.equal(row.state, 'completed');
    assert.equal(row.response, 'from the swarm');
    assert.equal(row.localErrorKind, 'failed');
    assert.match(row.localError ?? '', /broke in the middle of the answer after 2 words/);
    assert.equal(row.localOutcome, 'failure');
    assert.equal(row.swarmStart, 'fallback');
  } finally {
    await engine.dispose();
  }
});

test('cancelling mid-stream stops the Ollama request and records the row as cancelled', async () => {
  const { engine } = await engineWith({ model: 'slow' });
  try {
    const ac = new AbortController();
    const handle = engine.run({ prompt: 'slowly' }, ac.signal);
    for await (const e of handle.events) if (e.type === 'token') ac.abort();
    const result = await handle.result;
    assert.equal(result.lane === 'failed' && result.cancelled, true);
    const req = ollama.requests.at(-1)!;
    await req.settled;
    assert.equal(req.closedEarly, true);
    assert.ok(req.tokensSent < 5);
    const [row] = await engine.history.list(1);
    assert.equal(row.state, 'cancelled');
    assert.equal(row.localOutcome, null, 'a cancel is not a local failure');
    const m = await engine.history.metrics();
    assert.equal(m.localFailure, 0);
  } finally {
    await engine.dispose();
  }
});

test('a refused payment: the swarm error kind and the refusal warning are kept on the row', async () => {
  const greedy = await startTestProvider({ relays: [relay.url], script: { paymentRequired: { amountMsats: 5000 }, result: 'never paid' } });
  const { engine } = await engineWith({ mode: 'swarm-only', providers: [greedy.pubkey], maxPriceMsats: 1000, swarmTimeoutSecs: 3 });
  try {
    const handle = engine.run({ prompt: 'pay me' });
    const events = await collect(handle.events);
    const result = await handle.result;
    assert.equal(result.lane, 'failed');
    const refusals = events.filter((e) => e.type === 'payment' && e.outcome === 'refused');
    assert.ok(refusals.length > 0, JSON.stringify(events));
    const last = refusals.at(-1)!;
    const [row] = await engine.history.list(1);
    // the sentence the answer shows (who asked for how much, and why it was refused), the same live and reopened
    assert.equal(row.paymentWarning, last.type === 'payment' ? refusalWarning(last) : null);
    assert.ok(last.type === 'payment' && row.paymentWarning?.endsWith(last.message), String(row.paymentWarning));
    assert.equal(row.swarmErrorKind, result.lane === 'failed' ? result.swarmErrorKind : undefined);
    assert.equal(row.swarmErrorKind, 'price-too-high');
    assert.equal(row.localErrorKind, null);
    assert.equal(row.costMsats, 0);
  } finally {
    await engine.dispose();
    await greedy.stop();
  }
});

test('bad settings are a ConfigError before anything runs, and leave no row', async () => {
  const { engine } = await engineWith();
  try {
    engine.updateSettings(settings({ relays: ['http://nope'] }));
    assert.throws(
      () => engine.run({ prompt: 'x' }),
      (e: unknown) => e instanceof ConfigError && /ws:\/\/ or wss:\/\//.test(e.message),
    );
    engine.updateSettings(settings());
    assert.throws(() => engine.run({ prompt: '   ' }), /prompt must not be empty/);
    assert.equal((await engine.history.list(10)).length, 0);
    // settings changes apply to the next run
    engine.updateSettings(settings({ mode: 'local-only', model: 'slow' }));
    const handle = engine.run({ prompt: 'x', model: 'llama3' });
    assert.equal((await handle.result).lane, 'local');
  } finally {
    await engine.dispose();
  }
});

test('a consent question that cannot be asked is no: nothing is sent, the run fails as declined, and the log says why', async () => {
  const { engine, warnings } = await engineWith({ mode: 'swarm-only' });
  const jobs = () => relay.received.filter((e) => e.kind === 5050).length;
  const jobsBefore = jobs();
  try {
    const handle = engine.run({
      prompt: 'ask me first',
      confirmSwarm: async () => {
        throw new Error('the chat is closed');
      },
    });
    const result = await handle.result;
    assert.equal(result.lane, 'failed');
    assert.equal(result.lane === 'failed' && result.swarmErrorKind, 'declined');
    const row = await engine.history.get(handle.id);
    assert.equal(row?.state, 'failed');
    assert.equal(row?.costMsats, 0);
    assert.ok(
      warnings.some((w) => w.includes(handle.id) && /consent could not be asked, nothing is sent: the chat is closed/.test(w)),
      warnings.join('\n'),
    );
    assert.equal(jobs(), jobsBefore, 'no job reached the relay');
  } finally {
    await engine.dispose();
  }
});
