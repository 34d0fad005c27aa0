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
    const got: unknown[][] = [];
    const waiters: (() => void)[] = [];
    ws.on('message', (d) => {
      got.push(JSON.parse(String(d)));
      for (const w of waiters) w();
    });
    /** until a frame seen so far satisfies `check` */
    const until = (check: () => boolean) =>
      new Promise<void>((resolve) => {
        if (check()) return resolve();
        waiters.push(() => check() && resolve());
      });
    ws.send(JSON.stringify(['REQ', 's1', { kinds: [7000], '#e': ['a'.repeat(64)] }]));
    // the subscription is live once the relay has answered it with EOSE
    await until(() => got.some((m) => m[0] === 'EOSE' && m[1] === 's1'));
    const sk = generateSecretKey();
    const other = finalizeEvent({ kind: 7000, created_at: Math.floor(Date.now() / 1000), tags: [['e', 'b'.repeat(64)]], content: '' }, sk);
    const mine = finalizeEvent({ kind: 7000, created_at: Math.floor(Date.now() / 1000), tags: [['e', 'a'.repeat(64)]], content: 'x' }, sk);
    ws.send(JSON.stringify(['EVENT', other]));
    ws.send(JSON.stringify(['EVENT', mine]));
    // both OKs and our event: the relay has handled `other` (sent first) by then
    await until(() => got.filter((m) => m[0] === 'OK').length === 2 && got.some((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === mine.id));
    const events = got.filter((m) => m[0] === 'EVENT').map((m) => (m as [string, string, { id: string }])[2].id);
    assert.deepEqual(events, [mine.id]);
    const oks = got.filter((m) => m[0] === 'OK');
    assert.equal(oks.length, 2);
    ws.close();
  } finally {
    await relay.stop();
  }
});
