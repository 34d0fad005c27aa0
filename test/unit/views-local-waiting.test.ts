// The chat's view of a slow or stopped local attempt, and the metrics view's
// local-model table (no vscode: pure functions and a timer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { supersede, superseded, SwarmTooOffer } from '../../src/ui-model/local-waiting';
import { localModelTable } from '../../src/ui-model/local-model-table';
import type { ChatEntry } from '../../src/ui-model/protocol';

const entry = (over: Partial<ChatEntry> = {}): ChatEntry => ({
  id: 'x',
  question: 'q',
  answer: '',
  state: 'running',
  lane: 'local',
  model: 'llama3',
  provider: null,
  costMsats: 0,
  durationMs: null,
  status: null,
  error: null,
  submittedAt: 0,
  ...over,
});

test('a half local answer moves aside, marked, and the entry answers again for the swarm', () => {
  const e = entry({ answer: 'one two three ' });
  assert.equal(supersede(e), true);
  assert.equal(e.answer, '');
  assert.deepEqual(e.superseded, { text: 'one two three ', note: 'local stopped after 3 words — asking the swarm' });
  assert.equal(superseded('one two three ', true).note, 'local stopped after 3 words — answered by the swarm');
  assert.equal(supersede(entry({ answer: '' })), false, 'nothing streamed: nothing to keep');
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
