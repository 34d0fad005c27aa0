import * as assert from 'node:assert';
import * as vscode from 'vscode';
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { startRelay, type TestRelay } from '../support/relay';
import { closedPort, startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { api, resetSettings, setSettings, until } from './helpers';
import type { GatewayOutcome } from '../../src/vscode/local-gateway';

const KEYS = ['mode', 'model', 'ollamaHost', 'relays', 'gateway.port', 'gateway.allowSwarm'];
const ANSWER = 'Answered through the Local Gateway.';

describe('Local Gateway', () => {
  let relay: TestRelay;
  let ollama: OllamaStandin;
  let port: number;

  before(async () => {
    relay = await startRelay();
    ollama = await startOllamaStandin({ models: { 'llama3.2': { reply: ANSWER } } });
    port = await closedPort();
    await setSettings({ mode: 'fallback', model: 'llama3.2', ollamaHost: ollama.url, relays: [relay.url], 'gateway.port': port, 'gateway.allowSwarm': false });
  });

  after(async () => {
    await vscode.commands.executeCommand('swarmCompute.stopGateway');
    await resetSettings(KEYS);
    await ollama.stop();
    await relay.stop();
  });

  it('Start Local Gateway serves both APIs from the local model, shows its URL in the status bar tooltip; Stop ends it', async () => {
    const swarm = await api();
    const outcome = (await vscode.commands.executeCommand('swarmCompute.startGateway')) as GatewayOutcome;
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.strictEqual(outcome.url, `http://127.0.0.1:${port}`);
    const status = await until('the tooltip to show the gateway', async () => {
      const s = await swarm.refreshStatus();
      return s.tooltip.includes(`http://127.0.0.1:${port}`) ? s : null;
    });
    assert.match(status.tooltip, /Local Gateway/);
    assert.match(status.tooltip, /local only/);

    const client = new OpenAI({ baseURL: `${outcome.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const done = await client.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'via the extension gateway' }] });
    assert.strictEqual(done.choices[0].message.content, ANSWER);
    let streamed = '';
    for await (const part of await new Ollama({ host: outcome.url }).chat({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'streamed via the extension' }],
      stream: true,
    })) {
      streamed += part.message.content;
    }
    assert.strictEqual(streamed, ANSWER);
    const rows = await (await swarm.history()).list(10);
    const row = rows.find((r) => r.prompt === 'via the extension gateway');
    assert.ok(row, 'the request left a history row in the extension history');
    assert.strictEqual(row.source, 'gateway');
    assert.strictEqual(row.lane, 'local');

    // the tooltip follows the setting while it runs
    await setSettings({ 'gateway.allowSwarm': true });
    await until('the tooltip to say the swarm asks first', async () => /swarm fallback asks first/.test((await swarm.refreshStatus()).tooltip));
    await setSettings({ 'gateway.allowSwarm': false });

    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.stopGateway'), true);
    assert.strictEqual(swarm.gateway().state, 'off');
    await assert.rejects(client.models.list(), (e: Error) => e instanceof OpenAI.APIConnectionError);
    const after = await swarm.refreshStatus();
    assert.ok(!after.tooltip.includes(`127.0.0.1:${port}`), 'the tooltip no longer shows it');
  });

  it('with Ollama down and gateway.allowSwarm off, nothing goes to the swarm: 503, no job on the relay', async () => {
    await setSettings({ ollamaHost: `http://127.0.0.1:${await closedPort()}` });
    const outcome = (await vscode.commands.executeCommand('swarmCompute.startGateway')) as GatewayOutcome;
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const client = new OpenAI({ baseURL: `${outcome.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'must stay here' }] }),
      (e: InstanceType<typeof OpenAI.APIError>) => {
        assert.strictEqual(e.status, 503);
        assert.match(e.message, /swarm is off/);
        return true;
      },
    );
    assert.ok(!relay.received.some((e) => e.kind === 5050), 'no job reached the relay');
    await vscode.commands.executeCommand('swarmCompute.stopGateway');
    await setSettings({ ollamaHost: ollama.url });
  });
});
