import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatDuration, formatSats, withTag } from '../../src/text/format';

test('formatSats: msats shown as sats, short for large amounts', () => {
  assert.equal(formatSats(0), '0 sats');
  assert.equal(formatSats(21_000), '21 sats');
  assert.equal(formatSats(1000), '1 sat');
  assert.equal(formatSats(500), '0.5 sats');
  assert.equal(formatSats(1_234_000), '1.2k sats');
  assert.equal(formatSats(1_000_000), '1k sats');
  assert.equal(formatSats(2_500_000_000), '2.5M sats');
});

test('formatDuration: ms, seconds, minutes', () => {
  assert.equal(formatDuration(850), '850 ms');
  assert.equal(formatDuration(12_345), '12.3 s');
  assert.equal(formatDuration(2000), '2 s');
  assert.equal(formatDuration(125_000), '2 min 5 s');
  assert.equal(formatDuration(120_000), '2 min');
});

test('withTag: a model without a tag means :latest, a registry port is not a tag', () => {
  assert.equal(withTag('llama3'), 'llama3:latest');
  assert.equal(withTag('Llama3:8B'), 'llama3:8b');
  assert.equal(withTag('localhost:5000/team/model'), 'localhost:5000/team/model:latest');
});

test('questionFromPrompt: an Explain prompt from the history shows as its short question again', async () => {
  const { explainPrompt, questionFromPrompt } = await import('../../src/ui-model/explain-prompt');
  for (const code of ['const x = 1;\nreturn x;', 'a ``` fence inside']) {
    const { prompt, question } = explainPrompt({ code, languageId: 'typescript', fileName: 'a.ts', startLine: 2, endLine: 3 });
    assert.equal(questionFromPrompt(prompt), question);
  }
  const one = explainPrompt({ code: 'x', languageId: 'python', fileName: 'b.py', startLine: 4, endLine: 4 });
  assert.equal(questionFromPrompt(one.prompt), one.question);
  assert.equal(questionFromPrompt('What is 2 + 2?'), null);
});

test('withoutLatest: the model name as people type it', async () => {
  const { withoutLatest } = await import('../../src/text/format');
  assert.equal(withoutLatest('llama3:latest'), 'llama3');
  assert.equal(withoutLatest('qwen2.5-coder:7b'), 'qwen2.5-coder:7b');
  assert.equal(withoutLatest('registry:5000/x'), 'registry:5000/x');
});
