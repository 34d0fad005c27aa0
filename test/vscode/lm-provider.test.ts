// Swarm Compute's models as another extension sees them: test/lm-client (a
// second extension in the host) calls vscode.lm.selectChatModels({ vendor:
// 'swarm-compute' }) and sendRequest. Real parts: the Ollama stand-in over
// HTTP, the in-memory relay, the NIP-90 test provider. On VS Code without the
// provider API (1.100) the extension still runs and offers no model.
import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { closedPort, startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { startRelay, type TestRelay } from '../support/relay';
import { startTestProvider, type TestProvider } from '../support/test-provider';
import { startNwcWallet } from '../support/nwc-wallet';
import { api, resetSettings, setSettings, until } from './helpers';

const CLIENT_ID = 'swarm-compute-tests.lm-client';
const CALLER = CLIENT_ID.toLowerCase();
const KEYS = ['mode', 'model', 'ollamaHost', 'relays', 'maxPriceMsats', 'swarmTimeoutSecs', 'localTimeoutSecs'];

interface ClientApi {
  models(): Promise<{ id: string; name: string; vendor: string; family: string; version: string; maxInputTokens: number }[]>;
  ask(
    modelId: string | undefined,
    messages: { role: 'user' | 'assistant'; content: string; image?: boolean }[],
    options?: { cancelAfterChunks?: number },
  ): Promise<{ chunks: string[]; text: string; error: { name?: string; message: string; code?: string } | null; ms: number }>;
  countTokens(modelId: string, text: string): Promise<number>;
}

async function client(): Promise<ClientApi> {
  const ext = vscode.extensions.getExtension<ClientApi>(CLIENT_ID);
  if (!ext) throw new Error(`${CLIENT_ID} is not loaded in this extension host`);
  return ext.activate();
}

const [major, minor] = vscode.version.split('.').map(Number);
/** the Language Model Chat Provider API is final from VS Code 1.104 */
const providerApi = major > 1 || minor >= 104;

(providerApi ? describe.skip : describe)(`language models on VS Code ${vscode.version} (before the provider API)`, () => {
  it('activates without the provider API and offers no model to vscode.lm', async () => {
    const swarm = await api();
    assert.strictEqual(swarm.languageModelsRegistered, false);
    assert.deepStrictEqual(await (await client()).models(), []);
  });
});

(providerApi ? describe : describe.skip)(`Swarm Compute models through vscode.lm (VS Code ${vscode.version})`, () => {
  let ollama: OllamaStandin;
  let relay: TestRelay;
  let provider: TestProvider;
  const jobsOnRelay = () => relay.received.filter((e) => e.kind === 5050);

  before(async () => {
    ollama = await startOllamaStandin({
      models: {
        'llama3.2': { tokens: ['The ', 'sky ', 'scatters ', 'blue ', 'light.'], tokenDelayMs: 30 },
        slow: { tokens: Array.from({ length: 200 }, (_, i) => `w${i} `), tokenDelayMs: 50 },
        'gpt-oss:120b-cloud': { reply: 'from the cloud', remoteHost: 'https://ollama.com' },
      },
    });
    relay = await startRelay();
    provider = await startTestProvider({ relays: [relay.url], script: { partials: ['Swarm ', 'answers'], result: 'Swarm answers.' } });
    await setSettings({
      mode: 'fallback',
      model: 'llama3.2',
      ollamaHost: ollama.url,
      relays: [relay.url],
      maxPriceMsats: 5000,
      swarmTimeoutSecs: 30,
      localTimeoutSecs: 20,
    });
    assert.strictEqual((await api()).languageModelsRegistered, true);
  });

  after(async () => {
    await (await api()).setLmConsent(CALLER, undefined);
    await resetSettings(KEYS);
    await provider.stop();
    await relay.stop();
    await ollama.stop();
  });

  it('lists the configured and the installed models, named with their route; a cloud model is marked remote', async () => {
    const lm = await client();
    const models = await until('the swarm-compute models', async () => {
      const m = await lm.models();
      return m.length >= 3 ? m : null;
    });
    assert.ok(models.every((m) => m.vendor === 'swarm-compute'));
    const names = models.map((m) => m.name);
    assert.strictEqual(names[0], 'Swarm Compute · llama3.2 (local → swarm)', names.join(' | '));
    assert.ok(names.includes('Swarm Compute · slow:latest (local → swarm)'), names.join(' | '));
    assert.ok(names.includes('Swarm Compute · gpt-oss:120b-cloud (remote ollama.com → swarm)'), names.join(' | '));
    assert.strictEqual(models.filter((m) => m.id === 'llama3.2' || m.id === 'llama3.2:latest').length, 1, 'llama3.2 once');
    // the route follows the mode
    await setSettings({ mode: 'local-only' });
    const local = await until('the names after the mode changed', async () => {
      const m = await lm.models();
      return m.find((x) => x.id === 'llama3.2')?.name === 'Swarm Compute · llama3.2 (local)' ? m : null;
    });
    assert.ok(local.some((m) => m.name === 'Swarm Compute · gpt-oss:120b-cloud (remote ollama.com)'));
    await setSettings({ mode: 'fallback' });
    assert.strictEqual(await lm.countTokens('llama3.2', 'abcdefghij'), 3, 'about 4 characters a token');
  });

  it('answers a conversation from the local model, streamed in parts, with one history row (source vscode-lm, the caller)', async () => {
    const before = ollama.requests.length;
    const r = await (
      await client()
    ).ask('llama3.2', [
      { role: 'user', content: 'What colour is the sky?' },
      { role: 'assistant', content: 'Blue.' },
      { role: 'user', content: 'Why is it blue?' },
    ]);
    assert.strictEqual(r.error, null, JSON.stringify(r.error));
    assert.strictEqual(r.text, 'The sky scatters blue light.');
    assert.ok(r.chunks.length >= 3, `streamed in ${r.chunks.length} part(s)`);
    const sent = ollama.requests.slice(before).find((q) => q.path === '/api/chat');
    assert.ok(sent, 'the conversation went to /api/chat');
    assert.deepStrictEqual((sent!.body as { messages: unknown }).messages, [
      { role: 'user', content: 'What colour is the sky?' },
      { role: 'assistant', content: 'Blue.' },
      { role: 'user', content: 'Why is it blue?' },
    ]);
    const [row] = await (await (await api()).history()).list(1);
    assert.strictEqual(row.source, 'vscode-lm');
    assert.strictEqual(row.caller, CALLER);
    assert.strictEqual(row.prompt, 'Why is it blue?');
    assert.strictEqual(row.lane, 'local');
    assert.strictEqual(row.response, 'The sky scatters blue light.');
    assert.strictEqual(jobsOnRelay().length, 0, 'nothing went to the swarm');
  });

  it('cancelling the request closes the request to Ollama; the row says cancelled', async () => {
    const r = await (await client()).ask('slow:latest', [{ role: 'user', content: 'Tell me a long story' }], { cancelAfterChunks: 3 });
    assert.ok(r.chunks.length >= 3 && r.chunks.length < 200, `${r.chunks.length} part(s) before the cancel; ${JSON.stringify(r.error)}`);
    const req = ollama.requests.filter((q) => q.path === '/api/chat' && q.model === 'slow:latest').at(-1)!;
    await req.settled;
    assert.strictEqual(req.closedEarly, true, 'the HTTP request to Ollama was closed');
    const row = await until('the cancelled row', async () => {
      const [last] = await (await (await api()).history()).list(1);
      return last.state === 'cancelled' ? last : null;
    });
    assert.strictEqual(row.source, 'vscode-lm');
    assert.ok(req.tokensSent < 200);
  });

  it('an image in the request is refused by name, and nothing is sent anywhere', async () => {
    const generations = () => ollama.requests.filter((q) => q.path === '/api/chat' || q.path === '/api/generate').length;
    const before = generations();
    const r = await (await client()).ask('llama3.2', [{ role: 'user', content: 'What is in this picture?', image: true }]);
    assert.ok(r.error, 'refused');
    assert.match(r.error!.message, /message 1 has an image: Swarm Compute models take text only/);
    assert.strictEqual(generations(), before, 'Ollama was not asked');
    assert.strictEqual(jobsOnRelay().length, 0);
  });

  describe('with Ollama down', () => {
    before(async () => setSettings({ ollamaHost: `http://127.0.0.1:${await closedPort()}` }));
    after(async () => setSettings({ ollamaHost: ollama.url }));

    it('without an answer to the modal (none can be shown under test) nothing reaches the relay and the request fails', async () => {
      await (await api()).setLmConsent(CALLER, undefined);
      const before = jobsOnRelay().length;
      const r = await (await client()).ask('llama3.2', [{ role: 'user', content: 'Private question' }]);
      assert.ok(r.error, 'the request failed');
      assert.match(r.error!.message, /declined|not sent/i);
      assert.strictEqual(jobsOnRelay().length, before, 'no job was published');
      const [row] = await (await (await api()).history()).list(1);
      assert.strictEqual(row.state, 'failed');
      assert.strictEqual(row.caller, CALLER);
    });

    it('after "Always Allow" for this caller, the test provider on the relay answers, streamed', async () => {
      const swarm = await api();
      await swarm.setLmConsent(CALLER, { choice: 'always', scope: { maxPriceMsats: 5000, relays: [relay.url], providers: [], encrypt: false } });
      const r = await (await client()).ask('llama3.2', [{ role: 'user', content: 'Say it from the swarm' }]);
      assert.strictEqual(r.error, null, JSON.stringify(r.error));
      assert.strictEqual(r.text, 'Swarm answers.', 'the partials, then the rest of the result');
      assert.deepStrictEqual(r.chunks, ['Swarm ', 'answers', '.']);
      assert.ok(
        provider.jobs.some((j) => j.prompt === 'Say it from the swarm'),
        'the provider got the job',
      );
      const [row] = await (await swarm.history()).list(1);
      assert.strictEqual(row.lane, 'swarm');
      assert.strictEqual(row.source, 'vscode-lm');
      assert.strictEqual(row.caller, CALLER);
      assert.strictEqual(row.provider, provider.pubkey);
    });

    it('a higher price cap than "Always Allow" covered asks again (nothing sent without the answer)', async () => {
      const before = jobsOnRelay().length;
      await setSettings({ maxPriceMsats: 9000 });
      const r = await (await client()).ask('llama3.2', [{ role: 'user', content: 'Costlier now' }]);
      assert.ok(r.error, 'not sent without a new answer');
      assert.strictEqual(jobsOnRelay().length, before);
      await setSettings({ maxPriceMsats: 5000 });
    });

    it('cancelling a swarm answer withdraws the job (kind-5 deletion); its later invoice is not paid', async () => {
      const wallet = await startNwcWallet({ relayUrl: relay.url });
      try {
        assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.connectWallet', wallet.uri), true);
        // a provider that ignores the deletion: it still sends its result with an invoice afterwards
        provider.setScript({ partials: ['one ', 'two '], chunkDelayMs: 50, resultDelayMs: 1500, payAfter: { amountMsats: 2000 }, result: 'one two, paid' });
        const r = await (await client()).ask('llama3.2', [{ role: 'user', content: 'Cancel me in the swarm' }], { cancelAfterChunks: 1 });
        // cancelled after its first piece (a second may already be on its way on a loaded machine), never the paid result
        assert.ok(r.chunks.length >= 1 && !r.text.includes('paid'), r.text);
        assert.strictEqual(r.error?.name, 'Canceled', JSON.stringify(r.error));
        const job = provider.jobs.find((j) => j.prompt === 'Cancel me in the swarm');
        assert.ok(job, 'the job had been published');
        await relay.waitFor({ kinds: [5], '#e': [job!.event.id] }, 15_000);
        const row = await until('the cancelled row', async () => {
          const [last] = await (await (await api()).history()).list(1);
          return last.state === 'cancelled' ? last : null;
        });
        // the provider's result with its invoice reaches the relay after the cancel
        await relay.waitFor({ kinds: [6050], '#e': [job!.event.id] }, 15_000);
        assert.strictEqual(wallet.payments.length, 0, 'nothing paid after the cancel');
        assert.strictEqual(row.costMsats, 0);
        assert.strictEqual(row.source, 'vscode-lm');
      } finally {
        await vscode.commands.executeCommand('swarmCompute.disconnectWallet');
        await wallet.stop();
        provider.setScript({ partials: ['Swarm ', 'answers'], result: 'Swarm answers.' });
      }
    });

    it('"Never" keeps this caller on the local model: nothing is asked or sent', async () => {
      const swarm = await api();
      await swarm.setLmConsent(CALLER, { choice: 'never' });
      const before = jobsOnRelay().length;
      const r = await (await client()).ask('llama3.2', [{ role: 'user', content: 'Stay local' }]);
      assert.ok(r.error, 'Ollama is down, and the swarm is not asked');
      assert.strictEqual(jobsOnRelay().length, before);
      const [row] = await (await swarm.history()).list(1);
      assert.strictEqual(row.swarmStart, null);
      assert.strictEqual(row.swarmOutcome, null);
      assert.strictEqual(swarm.lmConsent(CALLER)?.choice, 'never');
      assert.strictEqual(vscode.workspace.getConfiguration('swarmCompute').get('mode'), 'fallback', "the chat's own mode is not changed");
    });
  });
});
