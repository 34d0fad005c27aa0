// The provider engine (src/provider) in-process, against hand-built,
// spec-level NIP-90 events from an independent customer, over a real relay,
// with the Ollama stand-in over HTTP. What the provider sends is read from
// the relay's own record of accepted events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure';
import { quietFor } from '../support/quiet';
import { startRelay, type TestRelay } from '../support/relay';
import { startOllamaStandin, type OllamaStandin, promptOf } from '../support/ollama-standin';
import { startCustomer, repliesTo, statusOf, statusExtra, type JobCustomer } from '../support/job-customer';
import { ModelProvider } from '../../src/provider/model-provider';
import { readJobMessage } from '../../src/swarm/job-messages';
import { decryptFromProvider, Nip44Keys } from '../../src/swarm/encryption';
import type { ProviderDeps, ProviderSettings, ProviderTuning } from '../../src/provider/types';
import { openHistory } from '../../src/history/sqlite-history';
import type { HistoryStore } from '../../src/history/types';

let ollama: OllamaStandin;

const REPLY = 'The quick brown fox jumps over the lazy dog and keeps on running far away.';

before(async () => {
  ollama = await startOllamaStandin({
    models: {
      'llama3.2': { reply: REPLY, tokenDelayMs: 15 },
      phi3: { reply: 'phi says hi' },
      slow: { reply: 'one two three four five six seven eight nine ten', tokenDelayMs: 150 },
    },
  });
});
after(async () => {
  await ollama.stop();
});

interface Harness {
  relay: TestRelay;
  customer: JobCustomer;
  provider: ModelProvider;
  pubkey: string;
  history: HistoryStore;
  stop(): Promise<void>;
}

async function harness(
  settings: Partial<ProviderSettings> = {},
  deps: Partial<ProviderDeps> = {},
  tuning: Partial<ProviderTuning> = {},
  relayCount = 1,
): Promise<Harness & { relays: TestRelay[] }> {
  const relays = await Promise.all(Array.from({ length: relayCount }, () => startRelay()));
  const relay = relays[0];
  const urls = relays.map((r) => r.url);
  const history = await openHistory(join(mkdtempSync(join(tmpdir(), 'sc-provider-')), 'history.sqlite'));
  const secretKey = generateSecretKey();
  const provider = new ModelProvider(
    {
      models: ['llama3.2'],
      ollamaHost: ollama.url,
      relays: urls,
      priceMsats: 0,
      maxConcurrent: 2,
      maxQueued: 10,
      maxPromptChars: 500,
      paymentTimeoutMs: 10_000,
      jobTimeoutMs: 20_000,
      name: 'engine test provider',
      about: 'answers tests',
      ...settings,
    },
    { secretKey, wallet: null, history, ...deps },
    { partialIntervalMs: 60, partialMaxChars: 1000, invoicePollMs: 50, shutdownGraceMs: 500, ...tuning },
  );
  const started = await provider.start();
  assert.ok(started.ok, started.ok ? '' : started.error.message);
  const customer = await startCustomer(urls);
  return {
    relay,
    relays,
    customer,
    provider,
    pubkey: getPublicKey(secretKey),
    history,
    async stop() {
      await provider.stop();
      await customer.close();
      await history.close();
      for (const r of relays) await r.stop();
    },
  };
}

const resultFor = (relay: TestRelay, jobId: string, timeoutMs = 10_000) => relay.waitFor({ kinds: [6050], '#e': [jobId] }, timeoutMs);
const errorFor = async (relay: TestRelay, jobId: string) => {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const error = repliesTo(relay, jobId).find((e) => statusOf(e) === 'error');
    if (error) return error;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no error feedback for ${jobId}: ${JSON.stringify(repliesTo(relay, jobId).map(statusOf))}`);
};
const generations = (prompt: string) => ollama.requests.filter((r) => (r.path === '/api/generate' || r.path === '/api/chat') && promptOf(r.body) === prompt);
/** history rows once none is still in progress (the row is written just after the last reply) */
async function settledRows(history: HistoryStore) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const rows = await history.list(50);
    if (rows.every((r) => r.completedAt !== null) || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('an untargeted free job: processing, throttled partial increments, then the kind-6050 result with its NIP-90 tags', async () => {
  const h = await harness();
  try {
    const job = await h.customer.submit({ prompt: 'tell me about foxes', model: 'llama3.2' });
    const result = await resultFor(h.relay, job.id);
    assert.ok(verifyEvent(result));
    assert.equal(result.pubkey, h.pubkey);
    assert.equal(result.content, REPLY);
    const request = result.tags.find((t) => t[0] === 'request');
    assert.deepEqual(JSON.parse(request![1]), JSON.parse(JSON.stringify(job)), 'the job, stringified');
    assert.equal(result.tags.find((t) => t[0] === 'e')?.[1], job.id);
    assert.deepEqual(
      result.tags.find((t) => t[0] === 'p'),
      ['p', h.customer.pubkey],
    );
    assert.deepEqual(
      result.tags.find((t) => t[0] === 'i'),
      ['i', 'tell me about foxes', 'text'],
    );
    assert.deepEqual(
      result.tags.find((t) => t[0] === 'amount'),
      ['amount', '0'],
    );

    const replies = repliesTo(h.relay, job.id);
    assert.equal(statusOf(replies[0]), 'processing', 'processing comes first');
    assert.equal(replies.at(-1)!.kind, 6050, 'the result comes last');
    const partials = replies.filter((e) => statusOf(e) === 'partial');
    assert.equal(partials.map((e) => e.content).join(''), REPLY, 'partials are increments that add up to the answer');
    const tokens = REPLY.match(/\s*\S+\s*/g)!.length;
    assert.ok(partials.length >= 2, `streamed in several events, got ${partials.length}`);
    assert.ok(partials.length < tokens, `throttled: ${partials.length} events for ${tokens} tokens`);
    for (const p of partials) assert.equal(p.tags.find((t) => t[0] === 'e')?.[1], job.id);

    const rows = await settledRows(h.history);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].lane, 'served');
    assert.equal(rows[0].state, 'completed');
    assert.equal(rows[0].jobId, job.id);
    assert.equal(rows[0].provider, h.pubkey);
    assert.equal(rows[0].response, REPLY);
    assert.equal(rows[0].prompt, 'tell me about foxes');
    const m = await h.history.metrics();
    assert.equal(m.swarmSuccess + m.swarmDirect + m.localSuccess + m.localFailure + m.swarmFailure, 0, 'served jobs are not consumer metrics');
  } finally {
    await h.stop();
  }
});

test('a job naming no model gets the served model', async () => {
  const h = await harness();
  try {
    const job = await h.customer.submit({ prompt: 'no model named' });
    const result = await resultFor(h.relay, job.id);
    assert.equal(result.content, REPLY);
    assert.equal((generations('no model named')[0].body as { model: string }).model, 'llama3.2');
  } finally {
    await h.stop();
  }
});

test('a job p-tagged only to another provider gets no reply at all; one p-tagged to us is served', async () => {
  const h = await harness();
  try {
    const someoneElse = getPublicKey(generateSecretKey());
    const elsewhere = await h.customer.submit({ prompt: 'for someone else', providers: [someoneElse] });
    const ours = await h.customer.submit({ prompt: 'for us', providers: [someoneElse, h.pubkey] });
    await resultFor(h.relay, ours.id);
    await quietFor(300);
    assert.deepEqual(repliesTo(h.relay, elsewhere.id), [], 'no feedback, no result');
    assert.equal(generations('for someone else').length, 0, 'Ollama never asked');
    assert.equal((await h.history.list(10)).length, 1, 'only our job is recorded');
  } finally {
    await h.stop();
  }
});

test('a model not served here gets an error feedback naming it; Ollama is not asked to generate', async () => {
  const h = await harness();
  try {
    const job = await h.customer.submit({ prompt: 'use mistral', model: 'mistral' });
    const error = await errorFor(h.relay, job.id);
    assert.match(statusExtra(error), /model "mistral" is not served here; this provider serves llama3\.2/);
    await quietFor(200);
    assert.equal(repliesTo(h.relay, job.id).length, 1, 'only the error');
    assert.equal(generations('use mistral').length, 0);
  } finally {
    await h.stop();
  }
});

test('an offered model that Ollama no longer has gets an error feedback', async () => {
  ollama.setModel('gone-soon', { reply: 'x' });
  const h = await harness({ models: ['llama3.2', 'gone-soon'] });
  try {
    ollama.removeModel('gone-soon');
    const job = await h.customer.submit({ prompt: 'use gone-soon', model: 'gone-soon' });
    const error = await errorFor(h.relay, job.id);
    assert.match(statusExtra(error), /model "gone-soon" is not available on this provider/);
    assert.equal(generations('use gone-soon').length, 0);
  } finally {
    await h.stop();
  }
});

test('an oversized prompt gets an error feedback naming the limit', async () => {
  const h = await harness({ maxPromptChars: 50 });
  try {
    const prompt = 'x'.repeat(51);
    const job = await h.customer.submit({ prompt });
    const error = await errorFor(h.relay, job.id);
    assert.match(statusExtra(error), /the prompt is 51 characters; this provider takes at most 50/);
    assert.equal(generations(prompt).length, 0);
    const ok = await h.customer.submit({ prompt: 'x'.repeat(50) });
    await resultFor(h.relay, ok.id);
  } finally {
    await h.stop();
  }
});

test('two jobs beyond --max-concurrent 1: the second waits (told it is queued) and both finish', async () => {
  const h = await harness({ models: ['slow'], maxConcurrent: 1 });
  try {
    const first = await h.customer.submit({ prompt: 'first of two' });
    await ollama.waitForRequest((r) => promptOf(r.body) === 'first of two');
    const second = await h.customer.submit({ prompt: 'second of two' });
    const [r1, r2] = await Promise.all([resultFor(h.relay, first.id, 15_000), resultFor(h.relay, second.id, 15_000)]);
    assert.equal(r1.content, 'one two three four five six seven eight nine ten');
    assert.equal(r2.content, r1.content);
    const [g1] = generations('first of two');
    const [g2] = generations('second of two');
    await g1.settled;
    assert.ok(g1.finished, 'the first generation ran to its end');
    assert.ok(g2.receivedAt >= r1.created_at * 1000 - 1000, 'the second started after the first');
    assert.ok(
      ollama.requests.indexOf(g2) > ollama.requests.indexOf(g1) && g2.receivedAt >= g1.receivedAt + 1000,
      `the second generation waited (${g2.receivedAt - g1.receivedAt} ms after the first)`,
    );
    const queued = repliesTo(h.relay, second.id).find((e) => statusOf(e) === 'processing' && /queued behind 1 job/.test(statusExtra(e)));
    assert.ok(queued, 'the waiting customer is told it is queued');
  } finally {
    await h.stop();
  }
});

test('an encrypted NIP-44 job is answered sealed with NIP-44; neither prompt nor answer is ever clear on the relay', async () => {
  const h = await harness();
  try {
    const prompt = 'secret question about foxes';
    const job = await h.customer.submit({ prompt, model: 'llama3.2', providers: [h.pubkey], encrypt: 'nip44' });
    const result = await resultFor(h.relay, job.id);
    assert.ok(result.tags.some((t) => t[0] === 'encrypted'));
    assert.equal(
      result.tags.some((t) => t[0] === 'i'),
      false,
      'no clear i tag',
    );
    assert.equal(result.content.includes('?iv='), false, 'NIP-44, not NIP-04');
    assert.equal(h.customer.open(result), REPLY);
    const partials = repliesTo(h.relay, job.id).filter((e) => statusOf(e) === 'partial');
    assert.ok(partials.length > 0);
    assert.equal(partials.map((p) => h.customer.open(p)).join(''), REPLY);
    const everything = JSON.stringify(h.relay.received);
    assert.equal(everything.includes('secret question'), false, 'the prompt never appears in clear');
    for (const word of ['quick brown', 'lazy dog', 'far away']) assert.equal(everything.includes(word), false, `"${word}" never appears in clear`);
    assert.equal(generations(prompt).length, 1, 'the provider did read it');
  } finally {
    await h.stop();
  }
});

test('an encrypted NIP-04 job from an older client is answered with NIP-04', async () => {
  const h = await harness();
  try {
    const job = await h.customer.submit({ prompt: 'old client asks', providers: [h.pubkey], encrypt: 'nip04' });
    const result = await resultFor(h.relay, job.id);
    assert.ok(result.content.includes('?iv='), 'NIP-04 payload');
    assert.equal(h.customer.open(result), REPLY);
    assert.equal(JSON.stringify(h.relay.received).includes('old client asks'), false);
    assert.equal(JSON.stringify(h.relay.received).includes('lazy dog'), false);
  } finally {
    await h.stop();
  }
});

test('an encrypted job for us that we cannot open gets an error feedback saying so', async () => {
  const h = await harness();
  try {
    const other = getPublicKey(generateSecretKey());
    // sealed for another key (the first p), but p-tagged to us as well
    const job = await h.customer.submit({ prompt: 'unopenable prompt', providers: [other, h.pubkey], encrypt: 'nip44' });
    const error = await errorFor(h.relay, job.id);
    assert.match(statusExtra(error), /could not decrypt the job/);
    assert.equal(error.content, '');
    assert.equal(
      repliesTo(h.relay, job.id).some((e) => e.kind === 6050),
      false,
    );
  } finally {
    await h.stop();
  }
});

test('an encrypted job for a model not served here: the reason is sealed, the relay never sees the model it asked for', async () => {
  const h = await harness();
  try {
    const job = await h.customer.submit({ prompt: 'sealed ask', model: 'secret-model-name', providers: [h.pubkey], encrypt: 'nip44' });
    const error = await errorFor(h.relay, job.id);
    assert.equal(statusExtra(error), '', 'no clear reason');
    assert.ok(error.tags.some((t) => t[0] === 'encrypted'));
    assert.match(h.customer.open(error), /model "secret-model-name" is not served here/);
    assert.equal(JSON.stringify(h.relay.received).includes('secret-model-name'), false);
    // the project's client reads a sealed reason as the provider's error
    const read = readJobMessage(error, (content, author) => decryptFromProvider(content, h.customer.secretKey, new Nip44Keys(h.customer.secretKey), author));
    assert.ok(read && read.type === 'feedback' && read.status === 'error');
    assert.match(read.content ?? '', /not served here/);
  } finally {
    await h.stop();
  }
});

test('the same job seen on two relays is served once', async () => {
  const h = await harness({}, {}, {}, 2);
  try {
    const job = await h.customer.submit({ prompt: 'seen twice' });
    await Promise.all(h.relays.map((r) => resultFor(r, job.id)));
    await quietFor(300);
    assert.equal(generations('seen twice').length, 1, 'one generation');
    for (const r of h.relays) {
      const replies = repliesTo(r, job.id);
      assert.equal(replies.filter((e) => e.kind === 6050).length, 1, 'one result per relay');
      assert.equal(replies.filter((e) => statusOf(e) === 'processing').length, 1, 'one processing per relay');
    }
    assert.equal((await h.history.list(10)).length, 1);
  } finally {
    await h.stop();
  }
});

test('announces kind 31990 (d, k=5050, content), refreshes it, and withdraws it on stop', async () => {
  const h = await harness({ priceMsats: 0 }, {}, { announceRefreshMs: 400 });
  let stopped = false;
  try {
    const first = await h.relay.waitFor({ kinds: [31990], authors: [h.pubkey] });
    assert.ok(first.tags.some((t) => t[0] === 'd' && t[1]));
    assert.ok(first.tags.some((t) => t[0] === 'k' && t[1] === '5050'));
    const content = JSON.parse(first.content);
    assert.deepEqual(content, { name: 'engine test provider', about: 'answers tests', models: ['llama3.2'], priceMsats: 0, encryption: ['nip44', 'nip04'] });
    const d = first.tags.find((t) => t[0] === 'd')![1];
    await h.relay.waitFor({ kinds: [31990], authors: [h.pubkey], since: first.created_at + 1 }, 3000);
    assert.ok(h.relay.received.filter((e) => e.kind === 31990).length >= 2, 'refreshed');
    assert.equal(h.relay.stored().filter((e) => e.kind === 31990).length, 1, 'the refresh replaces, it does not add');
    await h.provider.stop();
    stopped = true;
    const deletion = await h.relay.waitFor({ kinds: [5], authors: [h.pubkey] });
    assert.ok(deletion.tags.some((t) => t[0] === 'a' && t[1] === `31990:${h.pubkey}:${d}`));
    assert.equal(h.relay.stored().filter((e) => e.kind === 31990).length, 0, 'no announcement left');
  } finally {
    if (!stopped) await h.provider.stop();
    await h.stop();
  }
});

test('stop mid-job: the running job gets an error feedback after the grace, a queued one at once; no new jobs', async () => {
  const h = await harness({ models: ['slow'], maxConcurrent: 1 }, {}, { shutdownGraceMs: 400 });
  try {
    const running = await h.customer.submit({ prompt: 'running at stop' });
    await ollama.waitForRequest((r) => promptOf(r.body) === 'running at stop');
    const queued = await h.customer.submit({ prompt: 'queued at stop' });
    await h.relay.waitFor({ kinds: [7000], '#e': [queued.id] });
    const t0 = Date.now();
    await h.provider.stop();
    assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms`);
    assert.match(statusExtra(await errorFor(h.relay, running.id)), /shut down before the answer was complete/);
    assert.match(statusExtra(await errorFor(h.relay, queued.id)), /shut down before starting/);
    assert.equal(generations('queued at stop').length, 0);
    const [g] = generations('running at stop');
    await g.settled;
    assert.ok(g.closedEarly, 'the generation was really stopped');
    const late = await h.customer.submit({ prompt: 'after stop' });
    await quietFor(300);
    assert.deepEqual(repliesTo(h.relay, late.id), [], 'no new jobs once stopping');
    const rows = await settledRows(h.history);
    assert.deepEqual(rows.map((r) => r.state).sort(), ['failed', 'failed']);
  } finally {
    await h.stop();
  }
});

test('stop with a job that finishes within the grace: it gets its result', async () => {
  const h = await harness({}, {}, { shutdownGraceMs: 5000 });
  try {
    const job = await h.customer.submit({ prompt: 'finish me' });
    await ollama.waitForRequest((r) => promptOf(r.body) === 'finish me');
    await h.provider.stop();
    const result = await resultFor(h.relay, job.id, 1000);
    assert.equal(result.content, REPLY);
    assert.equal(
      repliesTo(h.relay, job.id).some((e) => statusOf(e) === 'error'),
      false,
    );
  } finally {
    await h.stop();
  }
});

test("the customer's kind-5 withdrawal stops the generation; nothing more is sent for it", async () => {
  const h = await harness({ models: ['slow'] }, {}, {}, 1);
  try {
    const job = await h.customer.submit({ prompt: 'withdraw me' });
    const g = await ollama.waitForRequest((r) => promptOf(r.body) === 'withdraw me');
    await h.customer.withdraw(job.id);
    await g.settled;
    assert.ok(g.closedEarly, 'the Ollama request was closed');
    await quietFor(100); // a reply already on its way when the withdrawal came
    const count = repliesTo(h.relay, job.id).length;
    await quietFor(400);
    assert.equal(repliesTo(h.relay, job.id).length, count, 'nothing after the withdrawal');
    assert.equal(
      repliesTo(h.relay, job.id).some((e) => e.kind === 6050),
      false,
    );
    const [row] = await settledRows(h.history);
    assert.equal(row.state, 'cancelled');
  } finally {
    await h.stop();
  }
});

test('a withdrawal signed by someone other than the customer changes nothing', async () => {
  const h = await harness({ models: ['slow'] }, {}, {}, 1);
  try {
    const job = await h.customer.submit({ prompt: 'not yours to cancel' });
    await ollama.waitForRequest((r) => promptOf(r.body) === 'not yours to cancel');
    const stranger = await startCustomer(h.customer.relayUrls);
    await stranger.withdraw(job.id);
    await stranger.close();
    const result = await resultFor(h.relay, job.id, 10_000);
    assert.equal(result.content, 'one two three four five six seven eight nine ten');
  } finally {
    await h.stop();
  }
});

test('a relay that never answers is reported at start and does not hold up the replies on the others', async () => {
  const relay = await startRelay();
  // accepts TCP connections and never speaks: every connection attempt runs into its timeout
  const blackHole = createServer((socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  const dead = `ws://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
  const provider = new ModelProvider(
    {
      models: ['llama3.2'],
      ollamaHost: ollama.url,
      relays: [dead, relay.url],
      priceMsats: 0,
      maxConcurrent: 1,
      maxQueued: 5,
      maxPromptChars: 500,
      paymentTimeoutMs: 5000,
      jobTimeoutMs: 10_000,
      name: 'n',
      about: 'a',
    },
    { secretKey: generateSecretKey(), wallet: null, history: null },
    { partialIntervalMs: 30, relayRetryMs: 0, relay: { connectTimeoutMs: 1500, publishTimeoutMs: 3000, eoseTimeoutMs: 1000, reconnectDelaysMs: [250] } },
  );
  const customer = await startCustomer([relay.url]);
  try {
    const started = await provider.start();
    assert.ok(started.ok);
    assert.deepEqual(started.ok && started.unreachable.map((f) => f.url), [dead]);
    assert.deepEqual(started.ok && started.relays, [relay.url]);
    const job = await customer.submit({ prompt: 'despite a dead relay' });
    const t0 = Date.now();
    const result = await resultFor(relay, job.id);
    assert.equal(result.content, REPLY);
    assert.ok(Date.now() - t0 < 1200, `answered in ${Date.now() - t0} ms`);
    assert.ok(repliesTo(relay, job.id).filter((e) => statusOf(e) === 'partial').length >= 2);
  } finally {
    await provider.stop();
    await customer.close();
    await relay.stop();
    blackHole.close();
    blackHole.unref();
  }
});
