import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { openHistory } from '../../src/history/sqlite-history';
import { makeRecord } from '../support/history-writer';
import { SCHEMA_VERSION } from '../../src/history/schema';

// Real files written by the released schema of each version (scripts/dev/make-history-fixtures.ts).
const FIXTURES = join(__dirname, '..', 'fixtures');

async function copyFixture(version: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `history-v${version}-`));
  const file = join(dir, 'history.sqlite');
  await copyFile(join(FIXTURES, `history-v${version}.sqlite`), file);
  return file;
}

async function userVersion(file: string): Promise<number> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(await readFile(file));
  try {
    return Number(db.exec('PRAGMA user_version')[0].values[0][0]);
  } finally {
    db.close();
  }
}

const EXPLAIN_QUESTION = '**Explain** `add.ts` lines 1–3\n\n```typescript\nexport function add(a: number, b: number) {\n  return a + b;\n}\n```';

for (const [version, count] of [
  [1, 3],
  [2, 5],
  [3, 5],
] as const) {
  test(`a version-${version} file from the released code opens with every row, each its own conversation`, async () => {
    const file = await copyFixture(version);
    assert.equal(await userVersion(file), version, 'the fixture is what it claims');
    const store = await openHistory(file);
    try {
      const rows = await store.list(100);
      assert.equal(rows.length, count);
      for (const r of rows) {
        assert.equal(r.conversationId, r.id, `${r.id} is a conversation of its own`);
        assert.equal(r.turn, 1);
        assert.deepEqual(
          (await store.conversation(r.id)).map((x) => x.id),
          [r.id],
        );
      }
      if (version === 1) {
        const paid = rows.find((r) => r.id === 'v1-swarm')!;
        assert.equal(paid.question, 'what is a relay?');
        assert.equal(paid.costMsats, 500);
        assert.equal(paid.submittedAt, 1700000001000);
      } else {
        const explain = rows.find((r) => r.id === `v${version}-explain`)!;
        assert.equal(explain.question, EXPLAIN_QUESTION, 'the Explain question is recovered once, by the migration');
        assert.match(explain.prompt, /^Explain what this typescript code/);
        assert.equal(rows.find((r) => r.id === `v${version}-followup`)!.question, 'make it shorter');
        const paid = rows.find((r) => r.id === `v${version}-paid`)!;
        assert.equal(paid.costMsats, 2000);
        assert.equal(paid.feesMsats, 3);
        if (version === 3) assert.equal(rows.find((r) => r.id === 'v3-failed')!.localErrorKind, 'unavailable');
      }
      // served jobs are someone else's: not among the user's conversations
      const listed = await store.conversations(100);
      assert.deepEqual(
        listed.map((c) => c.conversationId).sort(),
        rows
          .filter((r) => r.lane !== 'served')
          .map((r) => r.id)
          .sort(),
      );
      assert.ok(listed.every((c) => c.turns === 1));
      // the migrated file takes a follow-up in an old row's conversation
      const first = rows.find((r) => r.lane !== 'served')!;
      await store.insert(makeRecord('next', { conversationId: first.id, turn: 2, submittedAt: 1_800_000_000_000 }));
      assert.deepEqual(
        (await store.conversation(first.id)).map((r) => r.id),
        [first.id, 'next'],
      );
      assert.equal(await store.newestConversationId(), first.id);
    } finally {
      await store.close();
    }
    assert.equal(await userVersion(file), SCHEMA_VERSION);
  });
}

async function tempStore() {
  const file = join(await mkdtemp(join(tmpdir(), 'history-conv-')), 'history.sqlite');
  return { file, store: await openHistory(file) };
}

test('a conversation lists its turns oldest first; the summary says title, turns, lanes and cost', async () => {
  const { file, store } = await tempStore();
  try {
    await store.insert(makeRecord('a1', { conversationId: 'A', turn: 1, question: 'first question', prompt: 'long prompt with code', submittedAt: 1000 }));
    await store.insert(makeRecord('b1', { conversationId: 'B', turn: 1, prompt: 'other', submittedAt: 1500 }));
    await store.insert(makeRecord('a2', { conversationId: 'A', turn: 2, lane: 'swarm', costMsats: 2000, feesMsats: 5, submittedAt: 2000 }));
    await store.insert(makeRecord('a3', { conversationId: 'A', turn: 3, state: 'failed', lane: 'failed', submittedAt: 3000 }));
    await store.insert(makeRecord('s1', { lane: 'served', submittedAt: 4000 }));
    assert.deepEqual(
      (await store.conversation('A')).map((r) => r.id),
      ['a1', 'a2', 'a3'],
    );
    assert.deepEqual(await store.conversation('nope'), []);
    assert.equal(await store.newestConversationId(), 'A', 'served jobs are not the newest conversation');
    const [a, b] = await store.conversations(10);
    assert.deepEqual(a, {
      conversationId: 'A',
      title: 'first question',
      startedAt: 1000,
      updatedAt: 3000,
      turns: 3,
      localTurns: 1,
      swarmTurns: 1,
      failedTurns: 1,
      costMsats: 2005,
    });
    assert.equal(b.conversationId, 'B');
    assert.equal((await store.conversations(1)).length, 1);
    // a second process sees the same (through the journal)
    const other = await openHistory(file);
    try {
      assert.deepEqual(
        (await other.conversation('A')).map((r) => r.turn),
        [1, 2, 3],
      );
    } finally {
      await other.close();
    }
  } finally {
    await store.close();
  }
});

test('deleting a conversation keeps its money rows (blanked) and leaves the others alone, in every process', async () => {
  const { file, store } = await tempStore();
  const other = await openHistory(file);
  try {
    await store.insert(makeRecord('a1', { conversationId: 'A', turn: 1, submittedAt: 1000 }));
    await store.insert(makeRecord('a2', { conversationId: 'A', turn: 2, lane: 'swarm', costMsats: 700, submittedAt: 2000 }));
    await store.insert(makeRecord('b1', { conversationId: 'B', turn: 1, submittedAt: 3000 }));
    await store.deleteConversation('A');
    for (const s of [store, other]) {
      assert.equal(await s.get('a1'), null);
      const kept = (await s.get('a2'))!;
      assert.deepEqual([kept.prompt, kept.question, kept.response, kept.costMsats], ['', '', null, 700]);
      assert.equal((await s.get('b1'))!.prompt, 'prompt of b1');
      assert.deepEqual(
        (await s.conversations(10)).map((c) => c.conversationId),
        ['B'],
      );
      assert.equal(await s.spentMsatsSince(0), 700, 'budgets still count it');
    }
  } finally {
    await other.close();
    await store.close();
  }
});

test('blankTextBefore blanks old texts and keeps money and metrics', async () => {
  const { store } = await tempStore();
  try {
    await store.insert(
      makeRecord('old', {
        lane: 'swarm',
        swarmStart: 'direct',
        swarmOutcome: 'success',
        localAttempted: false,
        localOutcome: null,
        costMsats: 900,
        submittedAt: 1000,
      }),
    );
    await store.insert(makeRecord('new', { submittedAt: 5000 }));
    const before = await store.metrics();
    await store.blankTextBefore(2000);
    const old = (await store.get('old'))!;
    assert.deepEqual([old.prompt, old.question, old.response, old.costMsats, old.durationMs], ['', '', null, 900, 34]);
    assert.equal((await store.get('new'))!.response, 'response of new');
    assert.deepEqual(await store.metrics(), before);
    assert.deepEqual(
      (await store.conversations(10)).map((c) => c.conversationId),
      ['new'],
    );
  } finally {
    await store.close();
  }
});

test('blanking many rows gives the space back: the file shrinks', async () => {
  const { statSync } = await import('node:fs');
  const { file, store } = await tempStore();
  for (let i = 0; i < 20; i++) {
    await Promise.all(
      Array.from({ length: 60 }, (_, j) =>
        store.insert(makeRecord(`r${i}-${j}`, { prompt: 'p'.repeat(2000), response: 'a'.repeat(2000), submittedAt: 1000 + i * 60 + j })),
      ),
    );
  }
  await store.close();
  const full = statSync(file).size;
  const again = await openHistory(file);
  try {
    await again.blankTextBefore(1_000_000);
    assert.equal((await again.get('r0-0'))!.prompt, '');
  } finally {
    await again.close();
  }
  const after = statSync(file).size;
  assert.ok(after * 5 < full, `the file went from ${full} to ${after} bytes`);
});
