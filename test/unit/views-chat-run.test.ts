// A run's events → its one shape → the chat entry, without an editor
// (engine/finished-run.ts, ui-model/chat-entry.ts): what the chat shows while
// a run goes and once it has ended, for each way a run ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldRun, startRun, summarizeRun, type RunStart } from '../../src/engine/finished-run';
import { entryOfRun } from '../../src/ui-model/chat-entry';
import type { RunEvent } from '../../src/run/events';

const start = (over: Partial<RunStart> = {}): RunStart => ({ id: 'r1', question: 'Why?', model: 'llama3', submittedAt: 1000, lane: 'local', ...over });
const totals = { durationMs: 40, costMsats: 0, feesMsats: 0, provider: null };
const ctx = { walletConnected: false, swarmRefused: false };
const asking: RunEvent = { type: 'status', lane: 'local', state: 'started', message: 'Asking llama3 on http://127.0.0.1:11434' };
const PROVIDER = 'ab'.repeat(32);

/** the entry after each event, as the chat shows it while the run goes */
function live(events: RunEvent[], s = start()) {
  let run = startRun(s);
  return events.map((e) => entryOfRun((run = foldRun(run, e))));
}

test('local ok: tokens stream into the answer, then the run completes on the local lane', () => {
  const events: RunEvent[] = [
    asking,
    { type: 'token', lane: 'local', text: 'Because ' },
    { type: 'token', lane: 'local', text: 'so.' },
    { type: 'done', result: { lane: 'local', response: 'Because so.', durationMs: 35 } },
  ];
  const steps = live(events);
  assert.deepEqual(
    steps.map((e) => [e.state, e.lane, e.answer, e.status]),
    [
      ['running', 'local', '', 'Asking llama3 on http://127.0.0.1:11434'],
      ['running', 'local', 'Because ', 'Asking llama3 on http://127.0.0.1:11434'],
      ['running', 'local', 'Because so.', 'Asking llama3 on http://127.0.0.1:11434'],
      ['completed', 'local', 'Because so.', null],
    ],
  );
  const e = entryOfRun(summarizeRun(start(), events, totals), ctx);
  assert.deepEqual([e.state, e.durationMs, e.error, e.superseded, e.provider], ['completed', 40, null, null, null]);
});

test('fallback after a partial: the half local answer moves aside, marked, and the swarm answers in the same entry', () => {
  const events: RunEvent[] = [
    asking,
    { type: 'token', lane: 'local', text: 'half an' },
    { type: 'status', lane: 'swarm', state: 'fallback', message: 'Local inference failed after 2 words: stream broke - falling back to marketplace' },
    { type: 'job', jobId: 'j1', relays: ['ws://r'] },
    { type: 'payment', jobId: 'j1', provider: PROVIDER, amountMsats: 2000, outcome: 'paid', message: 'paid' },
    { type: 'token', lane: 'swarm', text: 'Whole answer.' },
    {
      type: 'done',
      result: { lane: 'swarm', jobId: 'j1', provider: PROVIDER, costMsats: 2000, durationMs: 30, response: 'Whole answer.', localPartial: 'half an' },
    },
  ];
  const steps = live(events);
  assert.deepEqual(steps[2].superseded, { text: 'half an', note: 'local stopped after 2 words — asking the swarm' });
  assert.equal(steps[2].answer, '');
  assert.equal(steps[3].status, 'Job published to 1 relay(s), waiting for a provider…');
  assert.equal(steps[4].costMsats, 2000);
  assert.match(steps[4].status ?? '', /^Paid 2 sats to npub1/);
  const e = entryOfRun(summarizeRun(start(), events, { ...totals, costMsats: 2000, feesMsats: 5, provider: PROVIDER }), ctx);
  assert.deepEqual([e.state, e.lane, e.answer, e.costMsats], ['completed', 'swarm', 'Whole answer.', 2005]);
  assert.deepEqual(e.superseded, { text: 'half an', note: 'local stopped after 2 words — answered by the swarm' });
  assert.match(e.provider ?? '', /^npub1\w{5}…\w{4}$/);
});

test('hedged: the swarm is asked alongside a slow local attempt and the first to stream wins', () => {
  const events: RunEvent[] = [
    asking,
    { type: 'status', lane: 'swarm', state: 'hedge', message: 'llama3 sent no token within 3 s: the swarm is asked as well' },
    { type: 'job', jobId: 'j2', relays: ['ws://r'] },
    { type: 'token', lane: 'swarm', text: 'Fast.' },
    {
      type: 'done',
      result: { lane: 'swarm', jobId: 'j2', provider: PROVIDER, costMsats: 0, durationMs: 20, response: 'Fast.', hedged: true, hedgeWinner: 'swarm' },
    },
  ];
  const steps = live(events);
  assert.deepEqual(
    steps.map((e) => e.lane),
    ['local', 'swarm', 'swarm', 'swarm', 'swarm'],
  );
  const e = entryOfRun(summarizeRun(start(), events, { ...totals, provider: PROVIDER }), ctx);
  assert.deepEqual([e.state, e.lane, e.answer, e.superseded], ['completed', 'swarm', 'Fast.', null]);
});

test('declined: nothing was sent; the entry says why and offers the swarm, unless the user said never', () => {
  const events: RunEvent[] = [
    asking,
    { type: 'status', lane: 'swarm', state: 'fallback', message: 'Local inference failed: Ollama is not running - falling back to marketplace' },
    {
      type: 'done',
      result: {
        lane: 'failed',
        localError: 'Ollama is not running',
        localErrorKind: 'unavailable',
        swarmError: 'not sent: sending this prompt to the swarm was declined',
        swarmErrorKind: 'declined',
      },
    },
  ];
  const run = summarizeRun(start(), events, totals);
  const e = entryOfRun(run, ctx);
  assert.deepEqual([e.state, e.lane, e.answer], ['failed', 'local', '']);
  assert.equal(e.error?.message, 'Local: Ollama is not running\nSwarm: not sent: sending this prompt to the swarm was declined');
  assert.deepEqual(e.error?.actions, ['startOllama', 'askSwarm']);
  assert.deepEqual(entryOfRun(run, { ...ctx, swarmRefused: true }).error?.actions, ['startOllama']);
  // no relay answered before the card: said once, plainly, and the swarm is not offered as if declined
  const offline = entryOfRun(run, { ...ctx, offline: 'No relay answered: you seem to be offline.' });
  assert.equal(offline.error?.message, 'Local: Ollama is not running\nNo relay answered: you seem to be offline.');
  assert.deepEqual(offline.error?.actions, ['startOllama']);
});

test('cancelled: the partial answer stays, the entry is stopped, with no error', () => {
  const events: RunEvent[] = [
    asking,
    { type: 'token', lane: 'local', text: 'par' },
    {
      type: 'done',
      result: {
        lane: 'failed',
        localError: 'cancelled',
        localErrorKind: 'cancelled',
        swarmError: 'not attempted: cancelled',
        swarmErrorKind: 'cancelled',
        partialResponse: 'par',
        localPartial: 'par',
        cancelled: true,
      },
    },
  ];
  const e = entryOfRun(summarizeRun(start(), events, totals), ctx);
  assert.deepEqual([e.state, e.answer, e.error, e.superseded, e.status], ['cancelled', 'par', null, null, null]);
});

test('failed on the swarm: a refused payment leaves its warning, the error its actions', () => {
  const events: RunEvent[] = [
    { type: 'job', jobId: 'j3', relays: ['ws://r'] },
    {
      type: 'payment',
      jobId: 'j3',
      provider: PROVIDER,
      amountMsats: 21_000,
      outcome: 'refused',
      message: 'provider asks 21000 msats, above the cap of 5000 msats',
    },
    {
      type: 'done',
      result: { lane: 'failed', localError: null, swarmError: 'every offer was above the cap', swarmErrorKind: 'price-too-high' },
    },
  ];
  const steps = live(events, start({ lane: 'swarm' }));
  assert.match(steps[1].status ?? '', /^Refused to pay npub1/);
  const e = entryOfRun(summarizeRun(start({ lane: 'swarm' }), events, totals), ctx);
  assert.deepEqual([e.state, e.lane], ['failed', 'swarm']);
  assert.match(e.warning ?? '', /^Not paid: npub1\w{5}…\w{4} asked for 21 sats\. provider asks 21000 msats, above the cap of 5000 msats$/);
  assert.deepEqual(e.error?.actions, ['openSettings']);
});
