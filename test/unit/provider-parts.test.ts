// The provider's pieces on their own: reading a job (targeting, signatures,
// sealed params), the partial throttle, the work queue, and reading NIP-89
// announcements and track records for `providers`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finalizeEvent, generateSecretKey, getPublicKey, type Event } from 'nostr-tools/pure';
import { getConversationKey, encrypt as nip44Encrypt } from 'nostr-tools/nip44';
import { readJob } from '../../src/provider/job-intake';
import { PartialStream } from '../../src/provider/partial-stream';
import { WorkQueue } from '../../src/provider/work-queue';
import { newestPerProvider, readAnnouncement, trackRecords } from '../../src/provider/provider-directory';
import { Nip44Keys } from '../../src/swarm/encryption';
import type { JobRecord } from '../../src/history/types';

const providerKey = generateSecretKey();
const provider = getPublicKey(providerKey);
const customerKey = generateSecretKey();
const read = (event: Event) => readJob(event, 'ws://relay', provider, providerKey, new Nip44Keys(providerKey));
const job = (tags: string[][], content = '') => finalizeEvent({ kind: 5050, created_at: Math.floor(Date.now() / 1000), content, tags }, customerKey);

test('readJob: prompt, model and bid from a clear job; untargeted and p-tagged-to-us jobs are accepted', () => {
  const r = read(
    job([
      ['i', 'hello', 'text'],
      ['param', 'model', 'llama3.2'],
      ['bid', '1500'],
    ]),
  );
  assert.equal(r.kind, 'accept');
  assert.ok(r.kind === 'accept');
  assert.equal(r.job.prompt, 'hello');
  assert.equal(r.job.model, 'llama3.2');
  assert.equal(r.job.bidMsats, 1500);
  assert.equal(r.job.encryption, null);
  assert.equal(
    read(
      job([
        ['i', 'x', 'text'],
        ['p', provider],
      ]),
    ).kind,
    'accept',
  );
});

test('readJob: a job p-tagged only to others, or with a forged signature, is ignored (no reply)', () => {
  const other = getPublicKey(generateSecretKey());
  assert.deepEqual(
    read(
      job([
        ['i', 'x', 'text'],
        ['p', other],
      ]),
    ),
    { kind: 'ignore', why: 'targeted at other providers' },
  );
  const wire = JSON.stringify(job([['i', 'x', 'text']])); // as it comes off a relay
  const real = JSON.parse(wire) as Event;
  const forged = JSON.parse(wire) as Event;
  forged.sig = real.sig.replace(/^./, real.sig[0] === 'a' ? 'b' : 'a');
  assert.equal(read(real).kind, 'accept');
  assert.deepEqual(read(forged), { kind: 'ignore', why: 'bad signature' });
  const sealedUntargeted = job([['encrypted']], nip44Encrypt('[]', getConversationKey(customerKey, provider)));
  assert.equal(read(sealedUntargeted).kind, 'ignore');
});

test('readJob: sealed params replace clear ones; unusable jobs are refused with a reason', () => {
  const sealed = nip44Encrypt(
    JSON.stringify([
      ['i', 'secret', 'text'],
      ['param', 'model', 'phi3'],
    ]),
    getConversationKey(customerKey, provider),
  );
  const r = read(job([['p', provider], ['encrypted'], ['bid', '10']], sealed));
  assert.ok(r.kind === 'accept');
  assert.equal(r.job.prompt, 'secret');
  assert.equal(r.job.model, 'phi3');
  assert.equal(r.job.encryption, 'nip44');
  assert.equal(r.job.bidMsats, 10);
  const refused = (tags: string[][]) => {
    const x = read(job(tags));
    return x.kind === 'refuse' ? x.reason : `not refused: ${x.kind}`;
  };
  assert.match(refused([['param', 'model', 'x']]), /no input/);
  assert.match(refused([['i', 'https://x', 'url']]), /input type "url" is not supported/);
  assert.match(refused([['i', '   ', 'text']]), /empty/);
});

test('PartialStream: the first piece at once, then at most one event per interval; finish() sends the rest in order', async () => {
  const sent: { text: string; at: number }[] = [];
  const stream = new PartialStream(async (text) => void sent.push({ text, at: Date.now() }), { intervalMs: 100, maxChars: 1000 });
  const pieces = Array.from({ length: 30 }, (_, i) => `t${i} `);
  for (const p of pieces) {
    stream.push(p);
    // the pieces come over time, as a model's tokens do: the interval under test is on the real clock
    await new Promise((r) => setTimeout(r, 10));
  }
  await stream.finish();
  assert.equal(sent.map((s) => s.text).join(''), pieces.join(''));
  assert.equal(sent[0].text, 't0 ', 'the first piece goes out at once');
  assert.ok(sent.length >= 3 && sent.length <= 6, `${sent.length} events for 300 ms of tokens`);
  for (let i = 1; i < sent.length - 1; i++) assert.ok(sent[i].at - sent[i - 1].at >= 95, 'spaced by the interval');
});

test('PartialStream: maxChars sends early; a slow relay gets the backlog as one event', async () => {
  const sent: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const stream = new PartialStream(
    async (text) => {
      sent.push(text);
      if (sent.length === 1) await gate;
    },
    { intervalMs: 10_000, maxChars: 5 },
  );
  stream.push('abc');
  stream.push('defgh');
  stream.push('ijklm');
  assert.deepEqual(sent, ['abc'], 'one in flight at a time');
  release();
  await stream.finish();
  assert.deepEqual(sent, ['abc', 'defghijklm']);
});

test('WorkQueue: a limit of 1 runs one at a time, in order; an aborted waiter leaves the queue', async () => {
  const q = new WorkQueue(1);
  const r1 = await q.acquire(new AbortController().signal);
  assert.equal(q.full, true);
  const order: string[] = [];
  const aborted = new AbortController();
  const w2 = q.acquire(new AbortController().signal).then((r) => (order.push('second'), r));
  const w3 = q.acquire(aborted.signal);
  const w4 = q.acquire(new AbortController().signal).then((r) => (order.push('fourth'), r));
  assert.equal(q.queued, 3);
  aborted.abort();
  await assert.rejects(w3);
  assert.equal(q.queued, 2);
  r1();
  const r2 = await w2;
  assert.deepEqual(order, ['second']);
  r2();
  (await w4)();
  assert.deepEqual(order, ['second', 'fourth']);
  assert.equal(q.running, 0);
});

const announce = (
  key: Uint8Array,
  createdAt: number,
  content: unknown,
  tags: string[][] = [
    ['k', '5050'],
    ['d', 'x'],
  ],
) => finalizeEvent({ kind: 31990, created_at: createdAt, content: typeof content === 'string' ? content : JSON.stringify(content), tags }, key);

test('announcements: newest per pubkey, lenient content, expired and other kinds left out', () => {
  const a = generateSecretKey();
  const b = generateSecretKey();
  const now = Math.floor(Date.now() / 1000);
  const listings = newestPerProvider([
    announce(a, now - 100, { name: 'old', models: ['x'], priceMsats: 5 }),
    announce(a, now - 10, { name: 'new', models: ['y'], priceMsats: 7 }, [
      ['k', '5050'],
      ['d', 'other'],
    ]),
    announce(b, now - 50, 'not json'),
    announce(generateSecretKey(), now, { name: 'image dvm' }, [
      ['k', '5100'],
      ['d', 'x'],
    ]),
    announce(generateSecretKey(), now - 5000, { name: 'expired' }, [
      ['k', '5050'],
      ['d', 'x'],
      ['expiration', String(now - 1)],
    ]),
  ]);
  assert.deepEqual(
    listings.map((l) => [l.pubkey, l.name, l.models, l.priceMsats]),
    [
      [getPublicKey(a), 'new', ['y'], 7],
      [getPublicKey(b), null, null, null],
    ],
  );
  assert.equal(readAnnouncement(announce(a, now, { name: 'x', priceMsats: -1 }))?.priceMsats, null, 'a negative price is unknown');
});

test('trackRecords: jobs, successes and the median duration of successes, per provider', () => {
  const row = (provider: string | null, state: JobRecord['state'], durationMs: number | null) => ({ provider, state, durationMs }) as JobRecord;
  const records = trackRecords([
    row('p1', 'completed', 100),
    row('p1', 'completed', 300),
    row('p1', 'failed', 5),
    row('p1', 'completed', 200),
    row('p2', 'failed', 50),
    row(null, 'completed', 1),
  ]);
  assert.deepEqual(records.get('p1'), { jobs: 4, successes: 3, medianDurationMs: 200 });
  assert.deepEqual(records.get('p2'), { jobs: 1, successes: 0, medianDurationMs: null });
  assert.equal(records.size, 2);
});

test("readJob: a job signed with the provider's own key (the extension chat sharing one identity) is ignored", () => {
  const own = finalizeEvent({ kind: 5050, created_at: Math.floor(Date.now() / 1000), content: '', tags: [['i', 'x', 'text']] }, providerKey);
  assert.deepEqual(read(own), { kind: 'ignore', why: 'our own job' });
});

test('two identical partial increments in one second are distinct events (relays would drop a repeated id)', async () => {
  const { JobReplies } = await import('../../src/provider/job-replies');
  const event = job([['i', 'laugh', 'text']]);
  const replies = new JobReplies(
    { event, id: event.id, customer: event.pubkey, relay: 'ws://relay', encryption: null },
    providerKey,
    new Nip44Keys(providerKey),
  );
  const a = replies.feedback('partial', { content: 'ha ' });
  const b = replies.feedback('partial', { content: 'ha ' });
  assert.equal(a.created_at, b.created_at);
  assert.notEqual(a.id, b.id);
});
