// VS Code's global storage is shared by every window of a user: each window's
// engine opens the same history file. Here this window's engine, a second
// engine on the same file (what another window runs) and the command line in
// another process write at the same time; no row may be lost.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { api, EXTENSION_ID, resetSettings, setSettings } from './helpers';
import type { Engine, EngineOptions } from '../../src/engine/api';
import { engineOptions, engineSettings } from '../support/engine-options';

const KEYS = ['mode', 'model', 'ollamaHost'];

function runCli(cli: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    for (const k of Object.keys(env))
      if (k.startsWith('SWARM_COMPUTE_') || k === 'OLLAMA_HOST' || k.startsWith('ELECTRON_') || k.startsWith('VSCODE_')) delete env[k];
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('one history file, several windows', () => {
  let ollama: OllamaStandin;

  before(async () => {
    ollama = await startOllamaStandin({ models: { 'llama3.2': { reply: 'Noted.', tokenDelayMs: 2 } } });
    await setSettings({ mode: 'local-only', model: 'llama3.2', ollamaHost: ollama.url });
  });

  after(async () => {
    await resetSettings(KEYS);
    await ollama.stop();
  });

  it("this window's engine, a second window's engine and the command line writing at once lose no row", async () => {
    const swarm = await api();
    const extensionPath = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const { createEngine } = require(join(extensionPath, 'dist', 'engine.js')) as { createEngine(o: EngineOptions): Promise<Engine> };
    const settings = engineSettings({ mode: 'local-only', model: 'llama3.2', ollamaHost: ollama.url, maxPriceMsats: 0 });
    const other = await createEngine(engineOptions(settings, undefined, { historyFile: swarm.historyFile }));
    const tag = Date.now().toString(36);
    const expected: string[] = [];
    try {
      const thisWindow = (async () => {
        for (let i = 0; i < 6; i++) {
          const prompt = `window A ${tag} ${i}`;
          expected.push(prompt);
          const outcome = await swarm.ask(prompt);
          assert.strictEqual(outcome?.result.lane, 'local');
        }
      })();
      const otherWindow = Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          const prompt = `window B ${tag} ${i}`;
          expected.push(prompt);
          const result = await other.run({ prompt }).result;
          assert.strictEqual(result.lane, 'local');
        }),
      );
      const commandLine = Promise.all(
        Array.from({ length: 3 }, async (_, i) => {
          const prompt = `cli ${tag} ${i}`;
          expected.push(prompt);
          const run = await runCli(join(extensionPath, 'dist', 'cli.js'), [
            'submit',
            '--prompt',
            prompt,
            '--local-only',
            '--model',
            'llama3.2',
            '--ollama-host',
            ollama.url,
            '--data-dir',
            dirname(swarm.historyFile),
          ]);
          assert.strictEqual(run.code, 0, run.stderr);
        }),
      );
      await Promise.all([thisWindow, otherWindow, commandLine]);
    } finally {
      await other.dispose();
    }

    const rows = await (await swarm.history()).exportAll();
    const prompts = new Set(rows.map((r) => r.prompt));
    const missing = expected.filter((p) => !prompts.has(p));
    assert.deepStrictEqual(missing, [], `${missing.length} of ${expected.length} rows lost`);
    for (const r of rows.filter((r) => r.prompt.includes(tag))) assert.strictEqual(r.state, 'completed', `${r.prompt}: ${r.state}`);
  });
});
