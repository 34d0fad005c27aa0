import * as assert from 'node:assert';
import { startRelay, type TestRelay } from '../support/relay';
import { startTestProvider, type TestProvider } from '../support/test-provider';
import { closedPort, startOllamaStandin } from '../support/ollama-standin';
import { api, resetSettings, setSettings } from './helpers';

const KEYS = ['mode', 'model', 'ollamaHost', 'relays', 'maxPriceMsats', 'swarmTimeoutSecs', 'providers'];

describe('fallback to the swarm from inside the extension', () => {
  let relay: TestRelay;
  let provider: TestProvider;

  before(async () => {
    relay = await startRelay();
    provider = await startTestProvider({
      relays: [relay.url],
      script: { partials: ['Swarm ', 'says ', 'hi. '], result: 'Swarm says hi.' },
    });
    await setSettings({
      mode: 'fallback',
      model: 'llama3.2',
      ollamaHost: `http://127.0.0.1:${await closedPort()}`,
      relays: [relay.url],
      maxPriceMsats: 5000,
      swarmTimeoutSecs: 30,
    });
  });

  after(async () => {
    await (await api()).setConsent(undefined);
    await resetSettings(KEYS);
    await provider.stop();
    await relay.stop();
  });

  it('answers from a provider on the test relay when Ollama is down, and records the swarm lane', async () => {
    const swarm = await api();
    await swarm.setConsent('always');
    const outcome = await swarm.ask('Say hi');
    assert.ok(outcome, 'a run happened');
    assert.strictEqual(outcome!.result.lane, 'swarm', JSON.stringify(outcome!.result));
    assert.strictEqual(outcome!.entry.answer, 'Swarm says hi.');
    assert.strictEqual(outcome!.entry.lane, 'swarm');
    assert.ok(outcome!.entry.provider?.startsWith('npub1'), 'the provider is shown as a short npub');
    const job = await provider.waitForJob();
    assert.strictEqual(job.prompt, 'Say hi');
    const row = await (await swarm.history()).get(outcome!.id);
    assert.strictEqual(row!.lane, 'swarm');
    assert.strictEqual(row!.swarmStart, 'fallback');
    assert.strictEqual(row!.localAttempted, true);
    assert.strictEqual(row!.localOutcome, 'failure');
    assert.strictEqual(row!.provider, provider.pubkey);
  });

  it('without consent, a local failure sends nothing to the swarm and offers to ask it', async () => {
    const swarm = await api();
    await swarm.setConsent(undefined);
    const ollama = await startOllamaStandin({ models: { 'llama3.2': { httpError: { status: 500, error: 'llama runner process has terminated' } } } });
    await setSettings({ mode: 'fallback', ollamaHost: ollama.url });
    try {
      const before = relay.received.filter((e) => e.kind === 5050).length;
      const outcome = await swarm.ask('Private question');
      assert.ok(outcome);
      assert.strictEqual(outcome!.result.lane, 'failed');
      assert.strictEqual(relay.received.filter((e) => e.kind === 5050).length, before, 'no job reached the relay');
      assert.ok(outcome!.entry.error?.actions.includes('askSwarm'), JSON.stringify(outcome!.entry.error));
      const row = await (await swarm.history()).get(outcome!.id);
      assert.strictEqual(row!.localOutcome, 'failure');
      assert.strictEqual(row!.swarmOutcome, null);
    } finally {
      await setSettings({ ollamaHost: `http://127.0.0.1:${await closedPort()}` });
      await ollama.stop();
    }
  });

  it('local only: no job reaches the relay, and the error offers to start Ollama', async () => {
    const swarm = await api();
    await setSettings({ mode: 'local-only' });
    const before = relay.received.filter((e) => e.kind === 5050).length;
    const outcome = await swarm.ask('Stay local');
    assert.ok(outcome);
    assert.strictEqual(outcome!.result.lane, 'failed');
    assert.strictEqual(relay.received.filter((e) => e.kind === 5050).length, before, 'no job reached the relay');
    assert.ok(outcome!.entry.error?.actions.includes('startOllama'));
    await setSettings({ mode: 'fallback' });
  });
});
