// One relay connection (src/swarm/relay-connection.ts), the layer under the
// swarm lane, the provider and the wallet, against a real relay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSecretKey, finalizeEvent } from 'nostr-tools/pure';
import { startRelay } from '../support/relay';
import { closedPort } from '../support/ollama-standin';
import { RelayConnection, describeRejection } from '../../src/relay/relay-connection';

const TIMEOUTS = { connectTimeoutMs: 2000, publishTimeoutMs: 2000 };

function note(sk: Uint8Array, content: string) {
  return finalizeEvent({ kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [], content }, sk);
}

async function until(cond: () => boolean, ms = 5000) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a relay nobody listens on: the failure is named, not "connection failed"', async () => {
  const url = `ws://127.0.0.1:${await closedPort()}`;
  const connection = new RelayConnection(url, TIMEOUTS, null);
  assert.equal(await connection.open(), 'connection refused');
  assert.equal(connection.connected, false);
  connection.close();
  assert.equal(await connection.open(), 'closed', 'a closed connection stays closed');
});

test('publish, subscribe, a drop, and close: each subscription ends once and no event follows its end', async () => {
  const relay = await startRelay({ reject: (e) => (e.content === 'spam' ? 'blocked: no spam' : undefined) });
  const sk = generateSecretKey();
  const connection = new RelayConnection(relay.url, TIMEOUTS, null);
  try {
    assert.equal(await connection.open(), null);
    await connection.publish(note(sk, 'stored before the REQ'));
    await assert.rejects(connection.publish(note(sk, 'spam')), (err: unknown) => describeRejection(err, connection) === 'rejected: blocked: no spam');

    const seen: string[] = [];
    const closes: string[] = [];
    let eose = false;
    const sub = connection.subscribe(
      { kinds: [1] },
      { onevent: (e) => seen.push(e.content), oneose: () => (eose = true), onclose: (r) => closes.push(r) },
      2000,
    );
    await until(() => eose);
    assert.deepEqual(seen, ['stored before the REQ']);
    sub.close();
    sub.close();
    await connection.publish(note(sk, 'after the close'));
    assert.deepEqual(closes, ['closed by us'], 'onclose once, with our reason');
    assert.deepEqual(seen, ['stored before the REQ']);

    let dropped = 0;
    connection.ondrop = () => dropped++;
    const dropCloses: string[] = [];
    let live = false;
    connection.subscribe({ kinds: [1] }, { onevent: () => {}, oneose: () => (live = true), onclose: (r) => dropCloses.push(r) }, 2000);
    await until(() => live);
    relay.dropConnections();
    await until(() => dropped === 1 && dropCloses.length === 1);
    assert.equal(connection.connected, false);
    assert.equal(await connection.open(), null, 'it opens again after a drop');
    assert.equal(relay.connections(), 1);
  } finally {
    connection.close();
    await until(() => relay.connections() === 0);
    await relay.stop();
  }
});
