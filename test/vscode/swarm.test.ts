import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { startRelay, type TestRelay } from '../support/relay';
import { startTestProvider, type TestProvider } from '../support/test-provider';
import { closedPort, startOllamaStandin } from '../support/ollama-standin';
import { api, config, resetSettings, setSettings, until } from './helpers';
import { findOnPath } from '../../src/local/ollama-cli';
import type { AskOutcome } from '../../src/vscode/chat-session';
import type { ConsentChoice, ConsentRequest } from '../../src/ui-model/protocol';
import { quietFor } from '../support/quiet';

/** what a down Ollama offers on this machine */
const ollamaFix = () => (findOnPath('ollama') ? 'startOllama' : 'installOllama');

const KEYS = ['mode', 'model', 'ollamaHost', 'relays', 'maxPriceMsats', 'swarmTimeoutSecs', 'providers'];

describe('fallback to the swarm from inside the extension', () => {
  let relay: TestRelay;
  let provider: TestProvider;
  const jobsOnRelay = () => relay.received.filter((e) => e.kind === 5050).length;

  /** Asks, waits for the consent card, checks nothing was sent yet, answers it as a person would. */
  async function askAnswering(prompt: string, choice: ConsentChoice): Promise<{ outcome: AskOutcome | undefined; card: ConsentRequest }> {
    const swarm = await api();
    const before = jobsOnRelay();
    const running = swarm.ask(prompt);
    const card = await until('the consent card', () => swarm.consentRequest());
    assert.strictEqual(jobsOnRelay(), before, 'nothing reached the relay while the card is open');
    assert.ok(swarm.answerConsent(choice));
    return { outcome: await running, card };
  }

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

  // each question here stands alone: not a follow-up of the one before (conversations.test.ts covers those)
  beforeEach(async () => {
    await vscode.commands.executeCommand('swarmCompute.newChat');
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

  it('Ollama down, consent asked after the local failure and granted once: the test provider answers', async () => {
    const swarm = await api();
    await swarm.setConsent(undefined);
    const { outcome, card } = await askAnswering('Consent then hi', 'once');
    assert.strictEqual(card.prompt, 'Consent then hi');
    assert.strictEqual(card.model, 'llama3.2');
    assert.deepStrictEqual(card.relays, [relay.url]);
    assert.deepStrictEqual(card.providers, []);
    assert.strictEqual(card.maxPriceMsats, 5000);
    assert.strictEqual(card.encrypt, false);
    assert.match(card.reason, /local model could not answer/i);
    assert.strictEqual(outcome?.result.lane, 'swarm', JSON.stringify(outcome?.result));
    assert.strictEqual(outcome!.entry.answer, 'Swarm says hi.');
    assert.ok(
      provider.jobs.some((j) => j.prompt === 'Consent then hi'),
      'the provider got the job',
    );
    assert.strictEqual(swarm.consentRequest(), null, 'the card is gone');
    const row = await (await swarm.history()).get(outcome!.id);
    assert.strictEqual(row!.swarmStart, 'fallback');
  });

  it('the time spent on the consent card is not part of the duration shown', async () => {
    const swarm = await api();
    await swarm.setConsent(undefined);
    const running = swarm.ask('Slow to consent');
    await until('the consent card', () => swarm.consentRequest());
    // the user takes 2.5 s to decide: the time under test
    await new Promise((r) => setTimeout(r, 2500));
    assert.ok(swarm.answerConsent('once'));
    const outcome = await running;
    assert.strictEqual(outcome?.result.lane, 'swarm', JSON.stringify(outcome?.result));
    assert.ok(outcome!.entry.durationMs !== null && outcome!.entry.durationMs < 2000, `shown duration ${outcome!.entry.durationMs} ms`);
  });

  it('Ollama down, consent declined: no event on the relay, the run fails as declined and offers the swarm', async () => {
    const swarm = await api();
    const before = relay.received.length;
    const { outcome } = await askAnswering('Keep this private', 'cancel');
    assert.ok(outcome);
    assert.strictEqual(outcome!.result.lane, 'failed');
    assert.strictEqual(outcome!.result.lane === 'failed' && outcome!.result.swarmErrorKind, 'declined');
    assert.strictEqual(outcome!.result.lane === 'failed' && outcome!.result.localErrorKind, 'unavailable');
    await quietFor(300);
    assert.strictEqual(relay.received.length, before, 'no event at all reached the relay');
    assert.ok(!provider.jobs.some((j) => j.prompt === 'Keep this private'));
    const actions = outcome!.entry.error?.actions ?? [];
    assert.ok(actions.includes('askSwarm'), JSON.stringify(actions));
    // Ollama is down: start it when the program is here, else install it (never "start" what is not installed)
    assert.ok(actions.includes(ollamaFix()), JSON.stringify(actions));
    const row = await (await swarm.history()).get(outcome!.id);
    assert.strictEqual(row!.localOutcome, 'failure');
    assert.strictEqual(row!.swarmOutcome, null);
  });

  it('a local failure with Ollama running asks only then; declined, nothing is sent', async () => {
    const swarm = await api();
    await swarm.setConsent(undefined);
    const ollama = await startOllamaStandin({ models: { 'llama3.2': { httpError: { status: 500, error: 'llama runner process has terminated' } } } });
    await setSettings({ mode: 'fallback', ollamaHost: ollama.url });
    try {
      const before = jobsOnRelay();
      const { outcome, card } = await askAnswering('Private question', 'cancel');
      assert.ok(
        ollama.requests.some((r) => r.path === '/api/generate' || r.path === '/api/chat'),
        'local was tried first',
      );
      assert.match(card.reason, /llama runner process has terminated|500/);
      assert.ok(outcome);
      assert.strictEqual(outcome!.result.lane, 'failed');
      assert.strictEqual(jobsOnRelay(), before, 'no job reached the relay');
      assert.ok(outcome!.entry.error?.actions.includes('askSwarm'), JSON.stringify(outcome!.entry.error));
      assert.ok(!outcome!.entry.error?.actions.includes('startOllama'), 'Ollama is running: no "start" action');
    } finally {
      await setSettings({ ollamaHost: `http://127.0.0.1:${await closedPort()}` });
      await ollama.stop();
    }
  });

  it('"Never" sends nothing and switches to local only', async () => {
    const swarm = await api();
    await swarm.setConsent(undefined);
    const before = jobsOnRelay();
    const { outcome } = await askAnswering('Never send this', 'never');
    assert.strictEqual(outcome?.result.lane, 'failed');
    assert.strictEqual(jobsOnRelay(), before, 'no job reached the relay');
    assert.strictEqual(config().get('mode'), 'local-only');
    assert.ok(!outcome!.entry.error?.actions.includes('askSwarm'), 'after "never" the swarm is not offered again');
    await swarm.setConsent(undefined);
    await setSettings({ mode: 'fallback' });
  });

  it('swarm only, "Never": nothing is sent, and the local model answers instead', async () => {
    const swarm = await api();
    await swarm.setConsent(undefined);
    const ollama = await startOllamaStandin({ models: { 'llama3.2': { reply: 'Local after all.' } } });
    await setSettings({ mode: 'swarm-only', ollamaHost: ollama.url });
    try {
      const before = jobsOnRelay();
      const { card, outcome } = await askAnswering('Swarm or not', 'never');
      assert.match(card.reason, /Swarm only/);
      assert.strictEqual(outcome?.result.lane, 'local', JSON.stringify(outcome?.result));
      assert.strictEqual(outcome!.entry.answer, 'Local after all.');
      assert.strictEqual(jobsOnRelay(), before, 'no job reached the relay');
      // the same entry answers: no failed entry for the refused send, no duplicate of the question
      const asked = (await swarm.chatEntries()).filter((e) => e.question === 'Swarm or not');
      assert.deepStrictEqual(
        asked.map((e) => [e.state, e.lane]),
        [['completed', 'local']],
      );
      assert.strictEqual(config().get('mode'), 'local-only');
    } finally {
      await swarm.setConsent(undefined);
      await setSettings({ mode: 'fallback', ollamaHost: `http://127.0.0.1:${await closedPort()}` });
      await ollama.stop();
    }
  });

  it('"Always allow" covers what was shown; a higher cap asks again, and Reset Consent forgets it', async () => {
    const swarm = await api();
    await swarm.setConsent(undefined);
    const first = await askAnswering('Always for this cap', 'always');
    assert.strictEqual(first.outcome?.result.lane, 'swarm', JSON.stringify(first.outcome?.result));
    // the same settings: no card
    const covered = await swarm.ask('Covered by always');
    assert.strictEqual(covered?.result.lane, 'swarm');
    // a lower cap sends less: still covered
    await setSettings({ maxPriceMsats: 4000 });
    assert.strictEqual((await swarm.ask('Lower cap'))?.result.lane, 'swarm');
    // a higher cap than consented: asked again, and the card says why
    await setSettings({ maxPriceMsats: 9000 });
    const raised = await askAnswering('Higher cap', 'once');
    assert.match(raised.card.reason, /price cap rose/);
    assert.strictEqual(raised.outcome?.result.lane, 'swarm');
    // a new relay: asked again
    await setSettings({ maxPriceMsats: 5000, relays: [relay.url, 'ws://127.0.0.1:9/'] });
    const moreRelays = await askAnswering('More relays', 'cancel');
    assert.match(moreRelays.card.reason, /new relay/);
    await setSettings({ relays: [relay.url] });
    // Reset Consent: the next send asks even though nothing changed
    assert.strictEqual(await vscode.commands.executeCommand('swarmCompute.resetConsent'), true);
    const reset = await askAnswering('After reset', 'once');
    assert.ok(reset.card);
    await swarm.setConsent(undefined);
  });

  it('a provider that asks for more than the cap after answering: nothing is paid, its answer is not taken, the error names the amount and the cap', async () => {
    const swarm = await api();
    const greedy = await startTestProvider({ relays: [relay.url], script: { payAfter: { amountMsats: 21_000 }, result: 'Answer first, bill later.' } });
    try {
      await setSettings({ providers: [greedy.pubkey], maxPriceMsats: 5000 });
      await swarm.setConsent('always');
      const outcome = await swarm.ask('Pay me later');
      assert.ok(outcome, 'a run happened');
      assert.strictEqual(outcome!.result.lane, 'failed');
      const message = outcome!.entry.error?.message ?? '';
      assert.match(message, /21000 msats, above the cap of 5000 msats/, JSON.stringify(outcome!.entry));
      assert.match(message, /its result was not taken/);
      assert.ok(!outcome!.entry.answer.includes('bill later'), 'the unpaid answer is not shown');
    } finally {
      await swarm.setConsent(undefined);
      await setSettings({ providers: undefined, maxPriceMsats: 5000 });
      await greedy.stop();
    }
  });

  it('local only: no job reaches the relay, no card, and the error offers to start Ollama', async () => {
    const swarm = await api();
    await setSettings({ mode: 'local-only' });
    const before = jobsOnRelay();
    const outcome = await swarm.ask('Stay local');
    assert.ok(outcome);
    assert.strictEqual(outcome!.result.lane, 'failed');
    assert.strictEqual(jobsOnRelay(), before, 'no job reached the relay');
    assert.ok(outcome!.entry.error?.actions.includes(ollamaFix()), JSON.stringify(outcome!.entry.error));
    assert.ok(!outcome!.entry.error?.actions.includes('askSwarm'));
    await setSettings({ mode: 'fallback' });
  });

  it('no relay can be reached: no card, and every state the chat shows says "Offline", never "declined"', async () => {
    const swarm = await api();
    const dead = [`ws://127.0.0.1:${await closedPort()}`, `ws://127.0.0.1:${await closedPort()}`];
    await setSettings({ relays: dead });
    const shown: string[] = [];
    const watching = swarm.onDidShowEntry((e) => {
      if (e.question === 'Nobody is reachable' && e.state !== 'running') shown.push(e.error?.message ?? `(${e.state}, no error)`);
    });
    try {
      const outcome = await swarm.ask('Nobody is reachable');
      assert.ok(outcome);
      assert.strictEqual(outcome!.result.lane, 'failed');
      assert.strictEqual(swarm.consentRequest(), null, 'no consent card for relays nobody can reach');
      // the chat was sent the finished entry, and only in its final form: no failure flashed before it
      assert.ok(shown.length > 0, 'the finished entry reached the chat');
      for (const message of shown) {
        assert.match(message, /Offline: none of the 2 relays could be reached, so nothing was sent/);
        assert.doesNotMatch(message, /declined/);
      }
      assert.ok(!outcome!.entry.error?.actions.includes('askSwarm'), JSON.stringify(outcome!.entry.error));
    } finally {
      watching.dispose();
      await setSettings({ relays: [relay.url] });
    }
  });
});
