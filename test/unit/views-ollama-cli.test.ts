import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkModelName, findOnPath, ollamaHostEnv, quoteArg } from '../../src/local/ollama-cli';

test('checkModelName: Ollama names pass, shell syntax is refused', () => {
  for (const ok of ['llama3', 'llama3.2:latest', 'qwen2.5-coder:7b', 'hf.co/org/model_x:Q4', 'registry.local:5000/ns/m:tag'])
    assert.equal(checkModelName(ok), null, ok);
  for (const bad of ['', 'llama3; rm -rf ~', 'llama3 && curl x', '$(id)', '`id`', 'a b', '-rf', 'x|y', "a'b", 'a"b', 'x\ny'])
    assert.ok(checkModelName(bad), bad);
});

test('ollamaHostEnv: host:port from the URL', () => {
  assert.equal(ollamaHostEnv('http://127.0.0.1:11434'), '127.0.0.1:11434');
  assert.equal(ollamaHostEnv('http://localhost'), 'localhost:80');
  assert.equal(ollamaHostEnv('https://ollama.example'), 'https://ollama.example:443');
  assert.equal(ollamaHostEnv('http://[::1]:9999'), '[::1]:9999');
  assert.equal(ollamaHostEnv('not a url'), null);
});

test('findOnPath: finds an executable, not a plain file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'path-'));
  writeFileSync(join(dir, 'plain'), 'x');
  writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
  chmodSync(join(dir, 'tool'), 0o755);
  assert.equal(findOnPath('tool', { PATH: dir }), join(dir, 'tool'));
  assert.equal(findOnPath('plain', { PATH: dir }), null);
  assert.equal(findOnPath('missing', { PATH: dir }), null);
});

test('quoteArg', () => {
  assert.equal(quoteArg('llama3'), '"llama3"');
  assert.equal(quoteArg("a'b"), `'a'\\''b'`);
});
