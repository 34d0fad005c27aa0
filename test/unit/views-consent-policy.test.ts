// Consent as one pure policy (ui-model/consent-policy.ts) and the awaited
// consent request of the webview protocol (ui-model/host-requests.ts), without an editor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterAnswer, beforeSending, consentRequest, remoteModelRequest, swarmRefused } from '../../src/ui-model/consent-policy';
import { HostRequestChannel } from '../../src/ui-model/host-requests';
import type { HostMessage } from '../../src/ui-model/protocol';

const outbound = { prompt: 'p', model: 'llama3', relays: ['wss://a.example'], providers: [], encrypt: false, maxPriceMsats: 5000, reason: 'swarm only' };
const card = consentRequest(outbound);
const scope = { maxPriceMsats: 5000, relays: ['wss://a.example'], providers: [], encrypt: false };

test('nothing remembered: ask, with the reason the card gives', () => {
  assert.deepEqual(beforeSending({ always: false }, card), { verdict: 'ask', request: card });
  assert.equal(card.reason, 'The mode is “Swarm only”.');
  assert.match(consentRequest({ ...outbound, reason: 'local inference failed: boom' }).reason, /^Your local model could not answer: boom$/);
  assert.equal(consentRequest(outbound, 'You chose “Ask the swarm instead”.').reason, 'You chose “Ask the swarm instead”.');
});

test('"Always allow" covers what it was given for; a wider send asks again and says why', () => {
  assert.deepEqual(beforeSending({ always: true, scope }, card), { verdict: 'allow' });
  assert.deepEqual(beforeSending({ always: true, scope }, { ...card, maxPriceMsats: 1000 }), { verdict: 'allow' });
  const wider = beforeSending({ always: true, scope }, { ...card, maxPriceMsats: 9000 });
  assert.equal(wider.verdict, 'ask');
  assert.match(wider.verdict === 'ask' ? wider.request.reason : '', /You chose “Always allow” before, but since then the price cap rose/);
  const unrecorded = beforeSending({ always: true }, card);
  assert.match(unrecorded.verdict === 'ask' ? unrecorded.request.reason : '', /was not recorded/);
  // the language model API asks per calling extension, by the same rule, naming it
  const forCaller = beforeSending({ always: true, scope }, { ...card, maxPriceMsats: 9000 }, 'Test LM Client');
  assert.match(
    forCaller.verdict === 'ask' ? forCaller.request.reason : '',
    /You chose “Always allow” for Test LM Client before, but since then the price cap rose/,
  );
});

test('the answers: once allows, always allows and remembers what was shown, never uses local instead and is the mode', () => {
  assert.deepEqual(afterAnswer('once', card), { verdict: true, remember: null });
  assert.deepEqual(afterAnswer('always', card), { verdict: true, remember: { always: scope } });
  assert.deepEqual(afterAnswer('never', card), { verdict: 'local', remember: { mode: 'local-only' } });
  assert.deepEqual(afterAnswer('cancel', card), { verdict: false, remember: null });
  assert.deepEqual(afterAnswer(undefined, card), { verdict: false, remember: null });
  assert.equal(swarmRefused('local-only'), true);
  assert.equal(swarmRefused('fallback'), false);
});

test("a cloud model's host is asked every time and nothing is remembered", () => {
  const cloud = remoteModelRequest({ model: 'gpt-oss:120b-cloud', remoteHost: 'https://ollama.com', prompt: 'p' });
  assert.equal(beforeSending({ always: true, scope }, cloud).verdict, 'ask');
  assert.deepEqual(afterAnswer('always', cloud), { verdict: true, remember: null });
  assert.deepEqual(afterAnswer('never', cloud), { verdict: false, remember: null });
});

test('the consent card is a request the host awaits: answered once, by its id; a newer one or a stop cancels it', async () => {
  const posted: HostMessage[] = [];
  const channel = new HostRequestChannel((m) => posted.push(m), { consent: 'cancel' });
  const first = channel.request('consent', 'c1', card, new AbortController().signal);
  assert.deepEqual(posted.at(-1), { type: 'request', id: 'c1', method: 'consent', params: card });
  assert.equal(channel.pending?.id, 'c1');
  assert.equal(channel.receive({ type: 'response', id: 'other', method: 'consent', result: 'once' }), false, 'another id answers nothing');
  assert.equal(channel.receive({ type: 'response', id: 'c1', method: 'consent', result: 'always' }), true);
  assert.equal(await first, 'always');
  assert.deepEqual(posted.at(-1), { type: 'requestDone', id: 'c1' });
  assert.equal(channel.receive({ type: 'response', id: 'c1', method: 'consent', result: 'once' }), false, 'answered once');
  // a newer card takes the place of the open one, which ends as cancelled
  const older = channel.request('consent', 'c2', card, new AbortController().signal);
  const stop = new AbortController();
  const newer = channel.request('consent', 'c3', card, stop.signal);
  assert.equal(await older, 'cancel');
  stop.abort();
  assert.equal(await newer, 'cancel');
  assert.equal(channel.pending, null);
});
