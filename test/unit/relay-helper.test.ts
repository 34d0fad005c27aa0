import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure';
import { startRelay } from '../support/relay';

// The helper must honour tag filters on the live path, as real relays do.
test('test relay routes live events by #e tag and answers OK', async () => {
  const relay = await startRelay();
  try {
    const ws = new WebSocket(relay.url);
    await new Promise((r) => ws.once('open', r));
    const got: unknown[] = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d))));
    ws.send(JSON.stringify(['REQ', 's1', { kinds: [7000], '#e': ['a'.repeat(64)] }]));
    await new Promise((r) => setTimeout(r, 100));
    const sk = generateSecretKey();
    const other = finalizeEvent({ kind: 7000, created_at: Math.floor(Date.now() / 1000), tags: [['e', 'b'.repeat(64)]], content: '' }, sk);
    const mine = finalizeEvent({ kind: 7000, created_at: Math.floor(Date.now() / 1000), tags: [['e', 'a'.repeat(64)]], content: 'x' }, sk);
    ws.send(JSON.stringify(['EVENT', other]));
    ws.send(JSON.stringify(['EVENT', mine]));
    await relay.waitFor({ ids: [mine.id] });
    await new Promise((r) => setTimeout(r, 100));
    const events = got.filter((m) => (m as unknown[])[0] === 'EVENT').map((m) => (m as [string, string, { id: string }])[2].id);
    assert.deepEqual(events, [mine.id]);
    const oks = got.filter((m) => (m as unknown[])[0] === 'OK');
    assert.equal(oks.length, 2);
    ws.close();
  } finally {
    await relay.stop();
  }
});
