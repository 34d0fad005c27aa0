import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { countsLine, endCounts, questionTitle, rowOutcome } from '../../src/ui-model/job-counts';
import { explainPrompt } from '../../src/ui-model/explain-prompt';
import type { JobRecord, Metrics } from '../../src/history/types';

const m: Metrics = {
  localSuccess: 6,
  localFailure: 3,
  swarmFallback: 2,
  swarmDirect: 1,
  swarmSuccess: 2,
  swarmFailure: 1,
  totalCostMsats: 0,
  localSuccessRate: 66.7,
  fallbackRate: 22.2,
};

test('the tooltip counts answers the way `metrics` does: localSuccess and swarmSuccess', () => {
  assert.equal(countsLine(m), 'Answers: 6 local · 2 swarm · fallback rate 22%');
});

test('a stopped run is its own state, not a failure', () => {
  const row = (state: string, lane: string | null) => ({ state, lane, completedAt: 1 }) as JobRecord;
  assert.equal(rowOutcome(row('cancelled', null)), 'stopped');
  assert.equal(rowOutcome(row('cancelled', 'local')), 'stopped');
  assert.equal(rowOutcome(row('failed', null)), 'failed');
  assert.equal(rowOutcome(row('completed', 'swarm')), 'swarm');
  assert.deepEqual(endCounts([row('cancelled', null), row('failed', null), row('failed', null), row('completed', 'local'), row('failed', 'served')]), {
    failed: 2,
    stopped: 1,
  });
});

test('questions as asked: Explain prompts by their title, others cut at a word', () => {
  const { prompt } = explainPrompt({ code: 'const a = 1;', languageId: 'typescript', fileName: 'a.ts', startLine: 2, endLine: 3 });
  assert.equal(questionTitle(prompt), 'Explain a.ts lines 2–3');
  assert.equal(questionTitle('word '.repeat(30), 20), 'word word word word…');
});

import { defaultExportPath, exportRows } from '../../src/ui-model/history-export';

test("Export History leaves out served jobs' prompts and answers unless asked, and defaults to the home folder", () => {
  const rows = [
    { id: 'a', lane: 'local', prompt: 'mine', response: 'yes', error: null },
    { id: 'b', lane: 'served', prompt: "a stranger's secret", response: 'answer', error: null, costMsats: 2000 },
  ] as unknown as JobRecord[];
  const out = exportRows(rows, false);
  assert.equal(out[0].prompt, 'mine');
  assert.equal(out[1].prompt, '');
  assert.equal(out[1].response, null);
  assert.equal(out[1].costMsats, 2000, 'the bookkeeping stays');
  assert.equal(exportRows(rows, true)[1].prompt, "a stranger's secret");
  assert.equal(defaultExportPath('/home/u', new Date(2026, 11, 1)), '/home/u/swarm-compute-history-2026-12-01.json');
});
