import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { api, closeEditors, editorWithSelection, resetSettings, setSettings } from './helpers';
import type { AskOutcome } from '../../src/vscode/chat-session';

const CODE = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';
const KEYS = ['mode', 'model', 'ollamaHost', 'relays'];

describe('Explain Selection against the Ollama stand-in', () => {
  let ollama: OllamaStandin;

  before(async () => {
    ollama = await startOllamaStandin({
      models: {
        'llama3.2': { reply: 'It **adds** two numbers and returns the sum.' },
        'qwen2.5': { reply: 'A small adder.' },
      },
    });
    await setSettings({ mode: 'local-only', model: 'llama3.2', ollamaHost: ollama.url });
  });

  after(async () => {
    await resetSettings(KEYS);
    await closeEditors();
    await ollama.stop();
  });

  it('explains the selection locally and writes one history row', async () => {
    const swarm = await api();
    await editorWithSelection(`// header\n${CODE}`, CODE);
    const outcome = (await vscode.commands.executeCommand('swarmCompute.explainSelection')) as AskOutcome;
    assert.ok(outcome, 'a run happened');
    assert.strictEqual(outcome.result.lane, 'local');
    assert.strictEqual(outcome.entry.answer, 'It **adds** two numbers and returns the sum.');
    assert.strictEqual(outcome.entry.lane, 'local');

    const sent = ollama.requests.find((r) => r.path === '/api/generate' || r.path === '/api/chat');
    assert.ok(sent, 'Ollama was asked');
    const body = JSON.stringify(sent!.body);
    assert.ok(body.includes('return a + b;'), 'the selected code was sent');
    assert.ok(body.includes('typescript'), 'the language was sent');

    const history = await swarm.history();
    const row = await history.get(outcome.id);
    assert.ok(row, 'a history row exists');
    assert.strictEqual(row!.state, 'completed');
    assert.strictEqual(row!.lane, 'local');
    assert.strictEqual(row!.model, 'llama3.2');
    assert.ok(row!.prompt.includes('return a + b;'));
    assert.strictEqual(row!.response, 'It **adds** two numbers and returns the sum.');
    assert.strictEqual(row!.localAttempted, true);
  });

  it('uses a changed setting on the next run, without a reload', async () => {
    const swarm = await api();
    await setSettings({ model: 'qwen2.5' });
    const outcome = await swarm.ask('What is 2 + 2?');
    assert.ok(outcome);
    assert.strictEqual(outcome!.result.lane, 'local');
    assert.strictEqual(outcome!.entry.answer, 'A small adder.');
    // the last generation request (the status bar and the model picker also ask /api/tags and /api/version)
    const last = ollama.requests.filter((r) => r.path === '/api/generate' || r.path === '/api/chat').at(-1)!;
    assert.match(String(last.model), /^qwen2\.5/);
    await setSettings({ model: 'llama3.2' });
  });

  it('reports a missing model with the action to pull it', async () => {
    const swarm = await api();
    await setSettings({ model: 'not-installed' });
    const outcome = await swarm.ask('hello');
    await setSettings({ model: 'llama3.2' });
    assert.ok(outcome);
    assert.strictEqual(outcome!.result.lane, 'failed');
    assert.strictEqual(outcome!.entry.state, 'failed');
    assert.ok(outcome!.entry.error?.actions.includes('pullModel'), JSON.stringify(outcome!.entry.error));
  });

  it('stops a slow answer: the request to Ollama is closed and the row says cancelled', async () => {
    const swarm = await api();
    ollama.setModel('llama3.2', { tokens: Array.from({ length: 200 }, (_, i) => `w${i} `), tokenDelayMs: 50 });
    const seen = ollama.requests.length;
    const running = swarm.ask('write a long story');
    const request = await ollama.waitForRequest((r) => ollama.requests.indexOf(r) >= seen && (r.path === '/api/generate' || r.path === '/api/chat'));
    while (request.tokensSent < 3) await new Promise((r) => setTimeout(r, 20));
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.stop'), true);
    const outcome = await running;
    await request.settled;
    assert.ok(request.closedEarly, 'the HTTP request was aborted');
    assert.strictEqual(outcome!.entry.state, 'cancelled');
    const row = await (await swarm.history()).get(outcome!.id);
    assert.strictEqual(row!.state, 'cancelled');
    ollama.setModel('llama3.2', { reply: 'It **adds** two numbers and returns the sum.' });
  });
});
