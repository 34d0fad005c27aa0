// The chat's view of a slow or stopped local attempt, and the metrics view's
// local-model table (no vscode: pure functions and a timer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { superseded, SwarmTooOffer } from '../../src/ui-model/local-waiting';
import { foldRun, startRun } from '../../src/engine/finished-run';
import { entryOfRun } from '../../src/ui-model/chat-entry';
import type { RunEvent } from '../../src/run/events';
import { localModelTable } from '../../src/ui-model/local-model-table';

test('a half local answer moves aside, marked, and the entry answers again for the swarm', () => {
  const fallback: RunEvent = { type: 'status', lane: 'swarm', state: 'fallback', message: 'Local inference failed - falling back to marketplace' };
  const streamed = foldRun(startRun({ id: 'e', question: 'q', model: 'llama3', submittedAt: 0, lane: 'local' }), {
    type: 'token',
    lane: 'local',
    text: 'one two three ',
  });
  const e = entryOfRun(foldRun(streamed, fallback));
  assert.equal(e.answer, '');
  assert.deepEqual(e.superseded, { text: 'one two three ', note: 'local stopped after 3 words — asking the swarm' });
  assert.equal(superseded('one two three ', true).note, 'local stopped after 3 words — answered by the swarm');
  const nothing = foldRun(startRun({ id: 'e', question: 'q', model: 'llama3', submittedAt: 0, lane: 'local' }), fallback);
  assert.equal(entryOfRun(nothing).superseded, null, 'nothing streamed: nothing to keep');
});

test('"Ask the swarm too" is offered after the time unless a token came first', async () => {
  let offered = 0;
  const offer = new SwarmTooOffer(30, () => offered++);
  await new Promise<void>((r) => {
    const t = setInterval(() => offered > 0 && (clearInterval(t), r()), 5);
  });
  assert.equal(offered, 1);
  let never = 0;
  const early = new SwarmTooOffer(50, () => never++);
  assert.equal(early.seen({ type: 'token', lane: 'local', text: 'a' }), true);
  assert.equal((early as unknown as { timer: unknown }).timer, null, 'its timer is cleared, so it can never fire');
  assert.equal(never, 0);
  offer.dispose();
});

test('the local models table shows median TTFT, tokens/s and the last load, escaped', () => {
  const html = localModelTable([{ model: 'llama3<b>', answers: 3, medianTtftMs: 1200, medianTokensPerSec: 9.5, lastLoadMs: 12_000 }]);
  assert.match(html, /llama3&lt;b&gt;/);
  assert.match(html, /9\.5 tokens\/s/);
  assert.match(html, /<td class="num">3<\/td>/);
  assert.match(localModelTable([]), /No local answers measured yet/);
});
