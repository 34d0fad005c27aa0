import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { mkdtempSync, writeFileSync, chmodSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, delimiter } from 'node:path';
import { api, resetSettings, setSettings, until } from './helpers';
import type { OllamaRun } from '../../src/vscode/ollama-commands';
import { quietFor } from '../support/quiet';

describe('Start Ollama / Pull the model', () => {
  const savedPath = process.env.PATH;
  let dir: string;
  let record: string;

  before(async () => {
    await api();
    // a stand-in `ollama` on PATH that writes down how it was called
    dir = mkdtempSync(join(tmpdir(), 'fake-ollama-'));
    record = join(dir, 'calls.txt');
    writeFileSync(join(dir, 'ollama'), `#!/bin/sh\necho "OLLAMA_HOST=$OLLAMA_HOST ARGS=$*" >> '${record}'\n`);
    chmodSync(join(dir, 'ollama'), 0o755);
  });

  afterEach(() => {
    process.env.PATH = savedPath;
  });

  after(async () => {
    await resetSettings(['model', 'ollamaHost']);
    for (const t of vscode.window.terminals) if (t.name.startsWith('Ollama')) t.dispose();
  });

  it('refuses a model name that carries a shell command, and runs nothing', async () => {
    process.env.PATH = `${dir}${delimiter}${savedPath}`;
    const pwned = join(dir, 'pwned');
    await setSettings({ model: `llama3; touch ${pwned}` });
    const terminals = vscode.window.terminals.length;
    const run = (await vscode.commands.executeCommand('swarmCompute.pullModel')) as OllamaRun;
    assert.strictEqual(run.ran, false);
    assert.strictEqual(run.ran === false && run.reason, 'bad-model');
    assert.strictEqual(vscode.window.terminals.length, terminals, 'no terminal was opened');
    await quietFor(500);
    assert.ok(!existsSync(pwned) && !existsSync(record), 'nothing ran');
  });

  it('pulls the configured model against the configured Ollama host', async () => {
    process.env.PATH = `${dir}${delimiter}${savedPath}`;
    await setSettings({ model: 'qwen2.5-coder:7b', ollamaHost: 'http://127.0.0.1:4321' });
    const run = (await vscode.commands.executeCommand('swarmCompute.pullModel')) as OllamaRun;
    assert.ok(run.ran, JSON.stringify(run));
    const line = await until('the stand-in ollama to run', () => existsSync(record) && readFileSync(record, 'utf8').trim());
    assert.strictEqual(line, 'OLLAMA_HOST=127.0.0.1:4321 ARGS=pull qwen2.5-coder:7b');
  });

  it('offers to install Ollama when the program is not on PATH', async () => {
    process.env.PATH = join(dir, 'empty');
    const run = (await vscode.commands.executeCommand('swarmCompute.startOllama')) as OllamaRun;
    assert.strictEqual(run.ran === false && run.reason, 'not-installed');
  });
});
