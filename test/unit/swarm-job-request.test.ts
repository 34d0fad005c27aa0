import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent } from 'nostr-tools/pure';
import { getConversationKey, decrypt as nip44Decrypt, encrypt as nip44Encrypt } from 'nostr-tools/nip44';
import { encrypt as nip04Encrypt } from 'nostr-tools/nip04';
import { buildJobDeletion, buildJobRequest } from '../../src/swarm/job-request';
import { Nip44Keys, decryptFromProvider } from '../../src/swarm/encryption';
import { JobEventGate } from '../../src/swarm/event-gate';
import type { SwarmRequest } from '../../src/swarm/types';

const base: SwarmRequest = {
  prompt: 'private prompt',
  model: 'llama3',
  maxPriceMsats: 2000,
  relays: ['ws://a.example', 'ws://b.example'],
  providers: [],
  encrypt: false,
  timeoutMs: 1000,
  offerWindowMs: 100,
  params: { temperature: '0.5' },
};

test('a clear job request has NIP-90 tags and a valid signature', () => {
  const sk = generateSecretKey();
  const provider = getPublicKey(generateSecretKey());
  const job = buildJobRequest({ ...base, providers: [provider] }, sk, new Nip44Keys(sk));
  assert.ok(verifyEvent(job));
  assert.equal(job.kind, 5050);
  const nonce = job.tags.find((t) => t[0] === 'nonce');
  assert.match(nonce?.[1] ?? '', /^[0-9a-f]{16}$/);
  assert.deepEqual(job.tags, [
    ['i', 'private prompt', 'text'],
    ['param', 'model', 'llama3'],
    ['param', 'temperature', '0.5'],
    nonce,
    ['output', 'text/plain'],
    ['bid', '2000'],
    ['relays', 'ws://a.example', 'ws://b.example'],
    ['p', provider],
  ]);
});

test('the same request twice in one second gives two distinct jobs (a relay would merge identical ids)', (t) => {
  // both calls in the same second for sure: the clock is held still
  t.mock.timers.enable({ apis: ['Date'], now: 1_764_633_600_000 });
  const sk = generateSecretKey();
  const a = buildJobRequest(base, sk, new Nip44Keys(sk));
  const b = buildJobRequest(base, sk, new Nip44Keys(sk));
  assert.equal(a.created_at, b.created_at);
  assert.notEqual(a.id, b.id);
});

test('an encrypted job request seals i and param tags for the provider (NIP-44)', () => {
  const sk = generateSecretKey();
  const providerSk = generateSecretKey();
  const provider = getPublicKey(providerSk);
  const job = buildJobRequest({ ...base, providers: [provider], encrypt: true }, sk, new Nip44Keys(sk));
  assert.ok(verifyEvent(job));
  assert.ok(!JSON.stringify(job).includes('private prompt'));
  assert.deepEqual(
    job.tags.filter((t) => t[0] === 'p' || t[0] === 'encrypted'),
    [['p', provider], ['encrypted']],
  );
  assert.ok(!job.tags.some((t) => t[0] === 'i' || t[0] === 'param'));
  const opened = JSON.parse(nip44Decrypt(job.content, getConversationKey(providerSk, getPublicKey(sk))));
  assert.deepEqual(opened, [
    ['i', 'private prompt', 'text'],
    ['param', 'model', 'llama3'],
    ['param', 'temperature', '0.5'],
  ]);
});

test('the deletion names the job and its kind', () => {
  const sk = generateSecretKey();
  const deletion = buildJobDeletion('c'.repeat(64), sk);
  assert.ok(verifyEvent(deletion));
  assert.equal(deletion.kind, 5);
  assert.deepEqual(deletion.tags, [
    ['e', 'c'.repeat(64)],
    ['k', '5050'],
  ]);
});

test('replies are opened with NIP-44, else NIP-04; anything else is unreadable', () => {
  const sk = generateSecretKey();
  const providerSk = generateSecretKey();
  const provider = getPublicKey(providerSk);
  const keys = new Nip44Keys(sk);
  const me = getPublicKey(sk);
  assert.equal(decryptFromProvider(nip44Encrypt('v2 text', getConversationKey(providerSk, me)), sk, keys, provider), 'v2 text');
  assert.equal(decryptFromProvider(nip04Encrypt(providerSk, me, 'old text'), sk, keys, provider), 'old text');
  const stranger = generateSecretKey();
  assert.equal(decryptFromProvider(nip44Encrypt('not for you', getConversationKey(stranger, me)), sk, keys, provider), null);
  assert.equal(decryptFromProvider('plain words', sk, keys, provider), null);
});

test('the gate admits a signed answer for the job once, from an allowed author', () => {
  const jobId = 'd'.repeat(64);
  const providerSk = generateSecretKey();
  const now = Math.floor(Date.now() / 1000);
  const answer = finalizeEvent({ kind: 6050, created_at: now, content: 'x', tags: [['e', jobId]] }, providerSk);
  const copy = () => JSON.parse(JSON.stringify(answer));
  const open = new JobEventGate(jobId, []);
  assert.ok(open.admit(copy()));
  assert.equal(open.admit(copy()), null, 'a second copy is a duplicate');
  assert.ok(open.has(answer.id));

  const named = new JobEventGate(jobId, [getPublicKey(generateSecretKey())]);
  assert.equal(named.admit(copy()), null, 'author not named');

  const forged = { ...copy(), content: 'y' };
  assert.equal(new JobEventGate(jobId, []).admit(forged), null, 'id does not match content');
  const gate = new JobEventGate(jobId, []);
  assert.equal(gate.admit({ ...copy(), sig: 'e'.repeat(128) }), null, 'bad signature');
  assert.ok(gate.admit(copy()), 'a forged copy does not shadow the genuine event');

  const other = finalizeEvent(
    {
      kind: 6050,
      created_at: now,
      content: 'x',
      tags: [
        ['e', 'f'.repeat(64)],
        ['e', jobId],
      ],
    },
    providerSk,
  );
  assert.equal(new JobEventGate(jobId, []).admit(other), null, 'also answers another job');
  const note = finalizeEvent({ kind: 1, created_at: now, content: 'x', tags: [['e', jobId]] }, providerSk);
  assert.equal(new JobEventGate(jobId, []).admit(note), null, 'not a NIP-90 reply kind');
});
