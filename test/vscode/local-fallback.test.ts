import * as assert from 'node:assert';
import { startRelay, type TestRelay } from '../support/relay';
import { startTestProvider, type TestProvider } from '../support/test-provider';
import { startOllamaStandin, wordTokens, type OllamaStandin } from '../support/ollama-standin';
import { api, resetSettings, setSettings, until } from './helpers';

const KEYS = ['mode', 'model', 'ollamaHost', 'relays', 'maxPriceMsats', 'swarmTimeoutSecs', 'localTimeoutSecs', 'localStallSecs', 'providers'];
// 80 tokens × 40 ms ≈ 3.2 s: far past the 1 s first-token and stall deadlines
const SLOW = Array.from({ length: 80 }, (_, i) => `w${i} `);

describe('local answers that fit real models, in the chat', () => {
  let relay: TestRelay;
  let provider: TestProvider;
  let ollama: OllamaStandin;

  before(async () => {
    relay = await startRelay();
    provider = await startTestProvider({ relays: [relay.url], script: { partials: ['The swarm ', 'took over.'], result: 'The swarm took over.' } });
    ollama = await startOllamaStandin({
      models: {
        slowcpu: { tokens: SLOW, tokenDelayMs: 40 },
        crashy: { tokens: wordTokens('Half of a local answer that then'), tokenDelayMs: 20, crashAfterTokens: 5 },
        loading: { coldLoadMs: 600_000 },
      },
    });
    await setSettings({
      mode: 'fallback',
      ollamaHost: ollama.url,
      relays: [relay.url],
      maxPriceMsats: 5000,
      swarmTimeoutSecs: 30,
      localTimeoutSecs: 1,
      localStallSecs: 1,
    });
  });

  after(async () => {
    await (await api()).setConsent(undefined);
    await resetSettings(KEYS);
    await provider.stop();
    await ollama.stop();
    await relay.stop();
  });

  it('a long slow local answer completes in full, nothing sent to the swarm', async () => {
    const swarm = await api();
    await swarm.setConsent(undefined);
    await setSettings({ model: 'slowcpu' });
    const before = relay.received.length;
    const outcome = await swarm.ask('Write a long answer');
    assert.ok(outcome);
    assert.strictEqual(outcome!.result.lane, 'local', JSON.stringify(outcome!.result));
    assert.strictEqual(outcome!.entry.answer, SLOW.join(''));
    assert.strictEqual(outcome!.entry.state, 'completed');
    assert.ok((outcome!.entry.durationMs ?? 0) > 2000, `took ${outcome!.entry.durationMs} ms, past the 1 s deadlines`);
    assert.strictEqual(relay.received.length, before, 'nothing reached the relay');
  });

  it('a crash mid-answer: the half answer stays, marked superseded; consent is asked; the swarm answers in the same entry', async () => {
    const swarm = await api();
    await swarm.setConsent(undefined);
    await setSettings({ model: 'crashy' });
    const jobs = () => relay.received.filter((e) => e.kind === 5050).length;
    const before = jobs();
    const running = swarm.ask('Explain then crash');
    const card = await until('the consent card', () => swarm.consentRequest());
    assert.match(card.reason, /after 5 words/);
    assert.strictEqual(jobs(), before, 'nothing reached the relay while the card is open');
    const waiting = swarm.entries().at(-1)!;
    assert.deepStrictEqual(waiting.superseded, { text: 'Half of a local answer ', note: 'local stopped after 5 words — asking the swarm' });
    assert.strictEqual(waiting.answer, '');
    assert.ok(swarm.answerConsent('once'));
    const outcome = await running;
    assert.strictEqual(outcome?.result.lane, 'swarm', JSON.stringify(outcome?.result));
    assert.strictEqual(outcome!.entry.id, waiting.id, 'the same entry');
    assert.strictEqual(outcome!.entry.answer, 'The swarm took over.');
    assert.deepStrictEqual(outcome!.entry.superseded, { text: 'Half of a local answer ', note: 'local stopped after 5 words — answered by the swarm' });
    const row = await (await swarm.history()).get(outcome!.id);
    assert.strictEqual(row!.localPartial, 'Half of a local answer ');
    assert.strictEqual(row!.lane, 'swarm');
  });

  it('"Ask the swarm too" is offered on a waiting entry after half the first-token deadline, and starts the swarm (after consent)', async () => {
    const swarm = await api();
    await swarm.setConsent(undefined);
    await setSettings({ model: 'loading', localTimeoutSecs: 6 });
    try {
      const running = swarm.ask('Model still loading');
      const offered = await until('the Ask the swarm too offer', () => swarm.entries().find((e) => e.state === 'running' && e.askSwarmToo), 20_000);
      assert.ok(swarm.askSwarmToo(offered.id));
      const card = await until('the consent card', () => swarm.consentRequest());
      assert.match(card.reason, /slow to start/);
      assert.ok(swarm.answerConsent('once'));
      const outcome = await running;
      assert.strictEqual(outcome?.result.lane, 'swarm', JSON.stringify(outcome?.result));
      assert.strictEqual(outcome!.result.hedged, true);
      assert.strictEqual(outcome!.entry.answer, 'The swarm took over.');
      const chat = ollama.requests.filter((r) => r.path === '/api/chat' && r.model === 'loading').at(-1)!;
      await chat.settled;
      assert.strictEqual(chat.closedEarly, true, 'the waiting local request was aborted');
    } finally {
      await setSettings({ localTimeoutSecs: 1 });
    }
  });
});

describe('Ollama cloud models in the chat', () => {
  let ollama: OllamaStandin;
  const CLOUD = 'gpt-oss:120b-cloud';
  const HOST = 'https://ollama.com:443';

  before(async () => {
    ollama = await startOllamaStandin({ models: { [CLOUD]: { remoteHost: HOST, reply: 'Answer from the cloud.' }, llama3: {} } });
    await setSettings({ mode: 'local-only', ollamaHost: ollama.url, model: CLOUD });
  });
  after(async () => {
    await resetSettings([...KEYS, 'allowOllamaCloud']);
    await ollama.stop();
  });

  const prompted = () => ollama.requests.filter((r) => r.path === '/api/chat' || r.path === '/api/generate');

  it('without allowOllamaCloud a cloud model is not used, even in Local only, and nothing is sent to it', async () => {
    const swarm = await api();
    await setSettings({ allowOllamaCloud: false });
    const outcome = await swarm.ask('Private code');
    assert.strictEqual(outcome?.result.lane, 'failed', JSON.stringify(outcome?.result));
    assert.strictEqual(outcome!.result.lane === 'failed' && outcome!.result.localErrorKind, 'remote-model');
    assert.match(outcome!.entry.error?.message ?? '', /not a local model: Ollama serves it from https:\/\/ollama\.com:443/);
    assert.deepStrictEqual(prompted(), []);
  });

  it('with allowOllamaCloud it asks first, naming the remote host; allowed once, the answer carries the "Ollama cloud" badge', async () => {
    const swarm = await api();
    await setSettings({ allowOllamaCloud: true });
    const running = swarm.ask('Ask the cloud');
    const card = await until('the cloud consent card', () => swarm.consentRequest());
    assert.strictEqual(card.remoteHost, HOST);
    assert.match(card.reason, /Ollama sends your prompt to https:\/\/ollama\.com:443/);
    assert.deepStrictEqual(prompted(), [], 'nothing sent before the answer');
    assert.ok(swarm.answerConsent('once'));
    const outcome = await running;
    assert.strictEqual(outcome?.result.lane, 'local', JSON.stringify(outcome?.result));
    assert.strictEqual(outcome!.entry.answer, 'Answer from the cloud.');
    assert.strictEqual(outcome!.entry.remoteHost, HOST);
    const row = await (await swarm.history()).get(outcome!.id);
    assert.strictEqual(row!.localRemoteHost, HOST);
  });
});
