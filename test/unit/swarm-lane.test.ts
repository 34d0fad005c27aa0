// The swarm lane against a real relay (test/support/relay.ts) and a NIP-90
// provider written from the spec (test/support/test-provider.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { startRelay, type TestRelay } from '../support/relay';
import { forgedResult, makeInvoice, signedResult, startScriptedRelay, startTestProvider, type TestProvider } from '../support/test-provider';
import { Nip90SwarmLane } from '../../src/swarm/nip90-client';
import { NoWalletPayer } from '../../src/wallet/no-wallet-payer';
import type { SwarmOutcome, SwarmRequest } from '../../src/swarm/types';
import type { Payer, PaymentContext, PaymentOffer, PaymentOutcome } from '../../src/wallet/types';
import type { RunEvent } from '../../src/run/events';

// ---- helpers ----------------------------------------------------------

interface RecordingPayer extends Payer {
  calls: { offer: PaymentOffer; ctx: PaymentContext; at: number }[];
}

/** Records every call; by default pays (the amount tag) and tells `onPaid`. */
function recordingPayer(decide?: (offer: PaymentOffer) => PaymentOutcome, onPaid?: (offer: PaymentOffer) => void): RecordingPayer {
  const calls: RecordingPayer['calls'] = [];
  return {
    calls,
    async pay(offer, ctx) {
      calls.push({ offer, ctx, at: Date.now() });
      const outcome: PaymentOutcome = decide?.(offer) ?? {
        ok: true,
        amountMsats: offer.amountTagMsats ?? 0,
        feesMsats: 3,
        preimage: 'ab'.repeat(32),
        paymentHash: 'cd'.repeat(32),
        bolt11: offer.bolt11,
      };
      if (outcome.ok) onPaid?.(offer);
      return outcome;
    },
  };
}

function request(relays: string[], overrides: Partial<SwarmRequest> = {}): SwarmRequest {
  return {
    prompt: 'Write a haiku about relays',
    model: 'llama3',
    maxPriceMsats: 1000,
    relays,
    providers: [],
    encrypt: false,
    timeoutMs: 10_000,
    offerWindowMs: 300,
    ...overrides,
  };
}

interface Run {
  outcome: SwarmOutcome;
  events: RunEvent[];
  jobIds: string[];
  tokens: string[];
  clientPubkey: string;
}

async function run(req: SwarmRequest, opts: { payer?: Payer; signal?: AbortSignal; onEvent?: (e: RunEvent) => void } = {}): Promise<Run> {
  const secretKey = generateSecretKey();
  const events: RunEvent[] = [];
  const jobIds: string[] = [];
  const outcome = await new Nip90SwarmLane().run(
    req,
    {
      secretKey,
      payer: opts.payer ?? recordingPayer(),
      emit: (e) => {
        events.push(e);
        opts.onEvent?.(e);
      },
      onJobId: (id) => jobIds.push(id),
    },
    opts.signal ?? new AbortController().signal,
  );
  const tokens = events.flatMap((e) => (e.type === 'token' ? [e.text] : []));
  return { outcome, events, jobIds, tokens, clientPubkey: getPublicKey(secretKey) };
}

async function cleanup(relays: (TestRelay | { stop(): Promise<void> })[], providers: TestProvider[]): Promise<void> {
  for (const p of providers) await p.stop();
  for (const r of relays) await r.stop();
}

function ok(outcome: SwarmOutcome): Extract<SwarmOutcome, { ok: true }> {
  assert.ok(outcome.ok, `expected success, got ${JSON.stringify(!outcome.ok && outcome.error)}`);
  return outcome;
}

function failure(outcome: SwarmOutcome): Extract<SwarmOutcome, { ok: false }> {
  assert.ok(!outcome.ok, `expected a failure, got success: ${JSON.stringify(outcome)}`);
  return outcome;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- success paths ----------------------------------------------------

test('a job is answered: partials stream in order, then the result; sockets are closed after', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({
    relays: [relay.url],
    script: { partials: ['Relays ', 'hum ', 'softly'], result: 'Relays hum softly' },
  });
  try {
    const r = await run(request([relay.url]));
    const outcome = ok(r.outcome);
    assert.equal(outcome.response, 'Relays hum softly');
    assert.deepEqual(r.tokens, ['Relays ', 'hum ', 'softly']);
    assert.equal(outcome.provider, provider.pubkey);
    assert.equal(outcome.costMsats, 0);
    assert.equal(outcome.jobId, r.jobIds[0]);
    assert.ok(outcome.ttftMs !== null && outcome.ttftMs >= 0);

    // `job` comes first and names the relay; then pending
    assert.deepEqual(r.events[0], { type: 'job', jobId: outcome.jobId, relays: [relay.url] });
    assert.equal(r.events[1].type === 'status' && r.events[1].state, 'pending');
    assert.ok(r.events.some((e) => e.type === 'status' && e.state === 'processing'));

    // the job on the relay is a NIP-90 text-generation request
    const job = await relay.waitFor({ ids: [outcome.jobId] });
    assert.equal(job.kind, 5050);
    assert.equal(job.pubkey, r.clientPubkey);
    assert.deepEqual(
      job.tags.find((t) => t[0] === 'i'),
      ['i', 'Write a haiku about relays', 'text'],
    );
    assert.deepEqual(
      job.tags.find((t) => t[0] === 'param'),
      ['param', 'model', 'llama3'],
    );
    assert.deepEqual(
      job.tags.find((t) => t[0] === 'output'),
      ['output', 'text/plain'],
    );
    assert.deepEqual(
      job.tags.find((t) => t[0] === 'bid'),
      ['bid', '1000'],
    );
    assert.deepEqual(
      job.tags.find((t) => t[0] === 'relays'),
      ['relays', relay.url],
    );
    assert.equal(job.tags.filter((t) => t[0] === 'p').length, 0);
    assert.equal(provider.jobs[0].prompt, 'Write a haiku about relays');

    // only the provider's connection is left
    await sleep(200);
    assert.equal(relay.connections(), 1);
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('extra params are sent as param tags', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url] });
  try {
    ok((await run(request([relay.url], { params: { temperature: '0.2', max_tokens: '64' } }))).outcome);
    assert.deepEqual(provider.jobs[0].params, { model: 'llama3', temperature: '0.2', max_tokens: '64' });
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('a targeted job carries the p tag and is answered by that provider', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url], script: { result: 'targeted answer' } });
  try {
    const r = await run(request([relay.url], { providers: [provider.pubkey] }));
    const outcome = ok(r.outcome);
    assert.equal(outcome.response, 'targeted answer');
    assert.equal(outcome.provider, provider.pubkey);
    assert.deepEqual(provider.jobs[0].pTags, [provider.pubkey]);
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('a result from a provider that was not named is ignored', async () => {
  const relay = await startRelay();
  const named = await startTestProvider({ relays: [relay.url], script: { delayMs: 500, result: 'from the named provider' } });
  const stranger = await startTestProvider({
    relays: [relay.url],
    script: { answerJobsForOthers: true, partials: ['stranger text'], result: 'from a stranger' },
  });
  try {
    const r = await run(request([relay.url], { providers: [named.pubkey] }));
    const outcome = ok(r.outcome);
    assert.equal(outcome.response, 'from the named provider');
    assert.equal(outcome.provider, named.pubkey);
    assert.ok(!r.tokens.includes('stranger text'), "the stranger's partial must not be streamed");
    // the stranger did answer first: the lane chose to ignore it
    const strangerResult = stranger.published.find((e) => e.kind === 6050);
    assert.ok(strangerResult, 'the stranger published a result');
    const namedResult = named.published.find((e) => e.kind === 6050)!;
    assert.ok(strangerResult.created_at <= namedResult.created_at);
  } finally {
    await cleanup([relay], [named, stranger]);
  }
});

test('when only a provider that was not named answers, the timeout says so', async () => {
  const relay = await startRelay();
  const named = await startTestProvider({ relays: [relay.url], script: { silent: true } });
  const stranger = await startTestProvider({ relays: [relay.url], script: { answerJobsForOthers: true, result: 'from a stranger' } });
  try {
    const r = await run(request([relay.url], { providers: [named.pubkey], timeoutMs: 1500 }));
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'no-provider');
    assert.match(outcome.error.message, /no named provider answered within 1\.5 s .*\(1 other provider answered but was not among the named ones\)/);
  } finally {
    await cleanup([relay], [named, stranger]);
  }
});

test('answers for another job, delivered by a relay ignoring #e, are ignored', async () => {
  const relay = await startRelay();
  const rogue = await startScriptedRelay({
    onJob: (job) => [forgedResult(job, 'other-job', 'IMPOSTOR: other job'), forgedResult(job, 'mixed-jobs', 'IMPOSTOR: two jobs')],
  });
  const provider = await startTestProvider({ relays: [relay.url], script: { delayMs: 300, result: 'genuine' } });
  try {
    const r = await run(request([relay.url, rogue.url]));
    assert.equal(ok(r.outcome).response, 'genuine');
    assert.equal(rogue.received.filter((e) => e.kind === 5050).length, 1, 'the rogue relay got the job and forged');
  } finally {
    await cleanup([relay, rogue], [provider]);
  }
});

test('a result with a bad signature is ignored', async () => {
  const relay = await startRelay();
  const rogue = await startScriptedRelay({ onJob: (job) => [forgedResult(job, 'bad-signature', 'FORGED')] });
  const provider = await startTestProvider({ relays: [relay.url], script: { delayMs: 300, result: 'genuine' } });
  try {
    const r = await run(request([relay.url, rogue.url]));
    assert.equal(ok(r.outcome).response, 'genuine');
    assert.equal(rogue.received.filter((e) => e.kind === 5050).length, 1);
  } finally {
    await cleanup([relay, rogue], [provider]);
  }
});

test('the same events from two relays count once', async () => {
  const a = await startRelay();
  const b = await startRelay();
  const provider = await startTestProvider({
    relays: [a.url, b.url],
    script: { partials: ['one ', 'two ', 'three'], result: 'one two three' },
  });
  try {
    const r = await run(request([a.url, b.url]));
    const outcome = ok(r.outcome);
    assert.equal(outcome.response, 'one two three');
    assert.deepEqual(r.tokens, ['one ', 'two ', 'three']);
    assert.equal(r.events.filter((e) => e.type === 'status' && e.state === 'processing').length, 1);
    assert.equal(r.events.filter((e) => e.type === 'status' && e.state === 'completed').length, 1);
    assert.deepEqual((r.events[0] as Extract<RunEvent, { type: 'job' }>).relays, [a.url, b.url]);
    // the provider really published to both relays
    for (const relay of [a, b]) await relay.waitFor({ kinds: [6050], '#e': [outcome.jobId] });
  } finally {
    await cleanup([a, b], [provider]);
  }
});

test('a provider answering right after the job, leaving nothing stored, is still heard', async () => {
  const relay = await startRelay();
  // replies are deleted as soon as they are stored: only a subscription open before the job sees them
  const provider = await startTestProvider({
    relays: [relay.url],
    script: { processing: false, result: 'quick answer', deleteAfterPublish: true },
  });
  try {
    const r = await run(request([relay.url], { timeoutMs: 5000 }));
    assert.equal(ok(r.outcome).response, 'quick answer');
    await relay.waitFor({ kinds: [5], authors: [provider.pubkey] });
    assert.equal(relay.stored().filter((e) => e.kind === 6050).length, 0, 'the relay kept no result');
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('an answer pushed before the relay even acknowledges the job is heard (subscribed first)', async () => {
  const dvmKey = generateSecretKey();
  // this relay stores nothing: an answer is only seen by a subscription that existed before the job
  const instant = await startScriptedRelay({ onJob: (job) => [signedResult(job, 'instant answer', dvmKey)], beforeOk: true });
  try {
    const r = await run(request([instant.url], { timeoutMs: 3000 }));
    const outcome = ok(r.outcome);
    assert.equal(outcome.response, 'instant answer');
    assert.equal(outcome.provider, getPublicKey(dvmKey));
  } finally {
    await instant.stop();
  }
});

test('one relay down and one up: the job goes through the live one', async () => {
  const down = await startRelay();
  const downUrl = down.url;
  await down.stop();
  const up = await startRelay();
  const provider = await startTestProvider({ relays: [up.url], script: { result: 'via the live relay' } });
  try {
    const r = await run(request([downUrl, up.url]));
    assert.equal(ok(r.outcome).response, 'via the live relay');
    assert.deepEqual((r.events[0] as Extract<RunEvent, { type: 'job' }>).relays, [up.url]);
    const pending = r.events.find((e) => e.type === 'status' && e.state === 'pending');
    assert.match((pending as { message: string }).message, /connection refused/);
  } finally {
    await cleanup([up], [provider]);
  }
});

test('a relay that drops mid-job is reconnected and the result still arrives', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url], script: { resultDelayMs: 2500, result: 'after the hiccup' } });
  try {
    let processingAt = 0;
    const running = run(request([relay.url], { timeoutMs: 15_000 }), {
      onEvent: (e) => {
        if (e.type === 'status' && e.state === 'processing') processingAt = Date.now();
      },
    });
    while (!processingAt) await sleep(20);
    // the helper relay caches identical filters for 1 s: drop after that so a re-REQ is answered fresh
    await sleep(1200);
    relay.dropConnections();
    const r = await running;
    assert.equal(ok(r.outcome).response, 'after the hiccup');
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('a relay that restarts empty is reconnected and given the job again', async () => {
  const first = await startRelay();
  const port = first.port;
  let restarted: TestRelay | null = null;
  let provider: TestProvider | null = null;
  try {
    let published = false;
    const running = run(request([first.url], { timeoutMs: 15_000 }), {
      onEvent: (e) => {
        if (e.type === 'job') published = true;
      },
    });
    while (!published) await sleep(20);
    await first.stop(); // the job is gone with it
    await sleep(1500); // a few failed reconnect attempts
    restarted = await startRelay({ port });
    provider = await startTestProvider({ relays: [restarted.url], script: { result: 'after the restart' } });
    const r = await running;
    assert.equal(ok(r.outcome).response, 'after the restart');
    assert.equal(provider.jobs[0].event.id, r.jobIds[0]);
  } finally {
    await provider?.stop();
    await restarted?.stop();
  }
});

// ---- failures ---------------------------------------------------------

test("a provider error ends the job with kind error and the provider's reason", async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url], script: { error: 'model llama3 is not loaded here' } });
  try {
    const started = Date.now();
    const r = await run(request([relay.url], { timeoutMs: 20_000 }));
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'error');
    assert.match(outcome.error.message, /model llama3 is not loaded here/);
    assert.equal(outcome.provider, provider.pubkey);
    assert.ok(Date.now() - started < 5000, 'not held until the swarm timeout');
  } finally {
    await cleanup([relay], [provider]);
  }
});

test("untargeted: one provider's error does not end the job while another works", async () => {
  const relay = await startRelay();
  const failing = await startTestProvider({ relays: [relay.url], script: { delayMs: 100, error: 'no GPU free' } });
  const working = await startTestProvider({ relays: [relay.url], script: { resultDelayMs: 800, result: 'answered anyway' } });
  try {
    const r = await run(request([relay.url]));
    const outcome = ok(r.outcome);
    assert.equal(outcome.response, 'answered anyway');
    assert.equal(outcome.provider, working.pubkey);
  } finally {
    await cleanup([relay], [failing, working]);
  }
});

test('nobody answers: no-provider at the swarm timeout', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url], script: { silent: true } });
  try {
    const started = Date.now();
    const r = await run(request([relay.url], { timeoutMs: 1200 }));
    const elapsed = Date.now() - started;
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'no-provider');
    assert.match(outcome.error.message, /1\.2 s/);
    assert.ok(elapsed >= 1150 && elapsed < 5000, `ended after ${elapsed} ms`);
    assert.equal(provider.jobs.length, 1, 'the job did reach the relay');
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('a provider that started but never delivered: timeout', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url], script: { partials: ['half an '], result: null } });
  try {
    const r = await run(request([relay.url], { timeoutMs: 1200 }));
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'timeout');
    assert.equal(outcome.partial, 'half an ');
    assert.equal(outcome.provider, provider.pubkey);
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('all relays down: no-relay at once, naming each relay and why', async () => {
  const a = await startRelay();
  const b = await startRelay();
  const urls = [a.url, b.url];
  await a.stop();
  await b.stop();
  const started = Date.now();
  const r = await run(request(urls, { timeoutMs: 120_000 }));
  const elapsed = Date.now() - started;
  const outcome = failure(r.outcome);
  assert.equal(outcome.error.kind, 'no-relay');
  assert.ok(elapsed < 5000, `took ${elapsed} ms`);
  for (const url of urls) assert.ok(outcome.error.message.includes(`${url} (connection refused)`), outcome.error.message);
  assert.ok(!r.events.some((e) => e.type === 'job'), 'no job event when nothing accepted it');
});

test('a relay answering OK false: no-relay naming the reason', async () => {
  const relay = await startRelay();
  relay.setReject((e) => (e.kind === 5050 ? 'blocked: DVM jobs are not welcome here' : undefined));
  try {
    const started = Date.now();
    const r = await run(request([relay.url], { timeoutMs: 120_000 }));
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'no-relay');
    assert.ok(Date.now() - started < 5000);
    assert.ok(outcome.error.message.includes(`${relay.url} (rejected: blocked: DVM jobs are not welcome here)`), outcome.error.message);
  } finally {
    await relay.stop();
  }
});

test('an encrypted job without exactly one provider fails at once', async () => {
  const r = await run(request(['ws://127.0.0.1:9'], { encrypt: true, providers: [] }));
  const outcome = failure(r.outcome);
  assert.equal(outcome.error.kind, 'error');
  assert.match(outcome.error.message, /exactly one provider/);
  assert.equal(r.jobIds.length, 0);
});

// ---- encryption -------------------------------------------------------

for (const scheme of ['nip44', 'nip04'] as const) {
  test(`encrypted job: nothing readable on the relay; a ${scheme} reply is decrypted`, async () => {
    const relay = await startRelay();
    const secretPrompt = 'the launch code is tangerine-42';
    const provider = await startTestProvider({
      relays: [relay.url],
      script: { replyEncryption: scheme, partials: ['sealed ', 'partial'], result: 'sealed answer about tangerines' },
    });
    try {
      const r = await run(request([relay.url], { prompt: secretPrompt, model: 'secret-model', providers: [provider.pubkey], encrypt: true }));
      const outcome = ok(r.outcome);
      assert.equal(outcome.response, 'sealed answer about tangerines');
      assert.deepEqual(r.tokens, ['sealed ', 'partial']);

      // the provider read the prompt; the relay never saw it, nor the answer, in clear
      assert.equal(provider.jobs[0].prompt, secretPrompt);
      assert.equal(provider.jobs[0].encryption, 'nip44');
      assert.equal(provider.jobs[0].params.model, 'secret-model');
      const onRelay = JSON.stringify(relay.received);
      for (const secret of ['tangerine', 'secret-model', 'sealed']) assert.ok(!onRelay.includes(secret), `"${secret}" leaked`);
      const job = relay.received.find((e) => e.id === outcome.jobId)!;
      assert.ok(job.tags.some((t) => t[0] === 'encrypted'));
      assert.deepEqual(
        job.tags.filter((t) => t[0] === 'p'),
        [['p', provider.pubkey]],
      );
      assert.ok(!job.tags.some((t) => t[0] === 'i' || t[0] === 'param'));
      const result = relay.received.find((e) => e.kind === 6050)!;
      assert.equal(result.content.includes('?iv='), scheme === 'nip04');
    } finally {
      await cleanup([relay], [provider]);
    }
  });
}

// ---- payment ----------------------------------------------------------

test('an offer above the cap: price-too-high naming amount and cap, the payer is never asked', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url], script: { paymentRequired: { amountMsats: 5000 } } });
  const payer = recordingPayer();
  try {
    const started = Date.now();
    // untargeted: another provider could still answer, so it waits the swarm timeout
    const r = await run(request([relay.url], { maxPriceMsats: 1000, timeoutMs: 1500 }), { payer });
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'price-too-high');
    assert.match(outcome.error.message, /5000 msats/);
    assert.match(outcome.error.message, /cap of 1000 msats/);
    assert.equal(payer.calls.length, 0);
    assert.equal(outcome.costMsats, 0);
    assert.ok(Date.now() - started >= 1400, 'an untargeted job waits for other providers until the swarm timeout');
    // targeted at that provider alone: nobody else may answer, so it ends at once
    const targetedStart = Date.now();
    const t = await run(request([relay.url], { maxPriceMsats: 1000, timeoutMs: 20_000, providers: [provider.pubkey] }), { payer });
    assert.equal(failure(t.outcome).error.kind, 'price-too-high');
    assert.ok(Date.now() - targetedStart < 5000, 'a targeted job is not held until the swarm timeout');
    const refused = r.events.find((e) => e.type === 'payment');
    assert.deepEqual(refused && { outcome: refused.outcome, amountMsats: refused.amountMsats }, { outcome: 'refused', amountMsats: 5000 });
    assert.ok(r.events.some((e) => e.type === 'status' && e.state === 'payment-required'));
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('an offer above the cap does not stop a free provider that answers later from being heard', async () => {
  const relay = await startRelay();
  const dear = await startTestProvider({ relays: [relay.url], script: { paymentRequired: { amountMsats: 1500 } } });
  const free = await startTestProvider({ relays: [relay.url], script: { delayMs: 1500, processing: false, result: 'free answer' } });
  const payer = recordingPayer();
  try {
    const r = await run(request([relay.url], { maxPriceMsats: 1000, timeoutMs: 8000, offerWindowMs: 200 }), { payer });
    assert.equal(r.outcome.ok, true);
    assert.equal(r.outcome.ok && r.outcome.response, 'free answer');
    assert.equal(r.outcome.ok && r.outcome.provider, free.pubkey);
    assert.equal(payer.calls.length, 0);
  } finally {
    await cleanup([relay], [dear, free]);
  }
});

test('an offer within the cap and no wallet: payment-failed, "no wallet configured"', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url], script: { paymentRequired: { amountMsats: 400 } } });
  try {
    const r = await run(request([relay.url], { providers: [provider.pubkey] }), { payer: new NoWalletPayer() });
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'payment-failed');
    assert.match(outcome.error.message, /no wallet configured/);
    assert.match(outcome.error.message, /400 msats/);
    assert.equal(outcome.costMsats, 0);
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('two offers on an untargeted job: the cheaper one within the cap is paid, once', async () => {
  const relay = await startRelay();
  const invoices = { dear: makeInvoice({ amountMsats: 800 }), cheap: makeInvoice({ amountMsats: 500 }), tooDear: makeInvoice({ amountMsats: 300_000 }) };
  const dear = await startTestProvider({
    relays: [relay.url],
    script: { paymentRequired: { amountMsats: 800, bolt11: invoices.dear }, result: 'dear answer' },
  });
  const cheap = await startTestProvider({
    relays: [relay.url],
    script: { delayMs: 100, paymentRequired: { amountMsats: 500, bolt11: invoices.cheap }, result: 'cheap answer' },
  });
  const tooDear = await startTestProvider({
    relays: [relay.url],
    script: { delayMs: 50, paymentRequired: { amountMsats: 300_000, bolt11: invoices.tooDear }, result: 'too dear answer' },
  });
  const providers = [dear, cheap, tooDear];
  const payer = recordingPayer(undefined, (offer) => providers.forEach((p) => p.settle(offer.bolt11)));
  try {
    const r = await run(request([relay.url], { maxPriceMsats: 1000, offerWindowMs: 600 }), { payer });
    const outcome = ok(r.outcome);
    assert.equal(payer.calls.length, 1);
    assert.equal(payer.calls[0].offer.bolt11, invoices.cheap);
    assert.equal(payer.calls[0].offer.flow, 'pay-first');
    assert.equal(payer.calls[0].offer.jobId, outcome.jobId);
    assert.equal(payer.calls[0].ctx.maxPriceMsats, 1000);
    assert.equal(outcome.provider, cheap.pubkey);
    assert.equal(outcome.response, 'cheap answer');
    assert.equal(outcome.costMsats, 500);
    assert.equal(outcome.feesMsats, 3);
    assert.equal(outcome.paymentBolt11, invoices.cheap);
    const paid = r.events.filter((e) => e.type === 'payment' && e.outcome === 'paid');
    assert.equal(paid.length, 1);
  } finally {
    await cleanup([relay], providers);
  }
});

test('one invoice, sent again and again on the result, is handed to the payer once', async () => {
  const relay = await startRelay();
  const invoice = makeInvoice({ amountMsats: 600 });
  const provider = await startTestProvider({
    relays: [relay.url],
    script: { paymentRequired: { amountMsats: 600, bolt11: invoice, remind: true }, result: 'paid once', payAfter: { amountMsats: 600, bolt11: invoice } },
  });
  const payer = recordingPayer(undefined, (offer) => provider.settle(offer.bolt11));
  try {
    const r = await run(request([relay.url], { providers: [provider.pubkey] }), { payer });
    const outcome = ok(r.outcome);
    assert.equal(outcome.response, 'paid once');
    assert.equal(payer.calls.length, 1);
    assert.equal(outcome.costMsats, 600);
    assert.equal(provider.published.filter((e) => e.tags.some((t) => t[0] === 'status' && t[1] === 'payment-required')).length, 2);
    assert.equal(r.events.filter((e) => e.type === 'status' && e.state === 'payment-required').length, 1);
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('pay-after: an invoice on the result is paid within the cap', async () => {
  const relay = await startRelay();
  const invoice = makeInvoice({ amountMsats: 700 });
  const provider = await startTestProvider({ relays: [relay.url], script: { result: 'paid later', payAfter: { amountMsats: 700, bolt11: invoice } } });
  const payer = recordingPayer();
  try {
    const outcome = ok((await run(request([relay.url]), { payer })).outcome);
    assert.equal(outcome.response, 'paid later');
    assert.equal(payer.calls.length, 1);
    assert.equal(payer.calls[0].offer.flow, 'pay-after');
    assert.equal(payer.calls[0].offer.bolt11, invoice);
    assert.equal(outcome.costMsats, 700);
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('pay-after without a wallet: the result is not taken and the job fails naming the amount', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url], script: { result: 'free after all', payAfter: { amountMsats: 600 } } });
  try {
    const r = await run(request([relay.url]), { payer: new NoWalletPayer() });
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'payment-failed');
    assert.match(outcome.error.message, /600 msats/);
    assert.match(outcome.error.message, /no wallet configured/);
    assert.match(outcome.error.message, /its result was not taken/);
    assert.equal(outcome.costMsats, 0);
    assert.ok(!r.events.some((e) => e.type === 'status' && e.state === 'completed'), 'no "completed" status for a result not taken');
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('a pay-after invoice above the cap is not handed to the payer and the job fails naming the cap', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url], script: { result: 'pricey', payAfter: { amountMsats: 9000 } } });
  const payer = recordingPayer();
  try {
    // targeted: nobody else may answer, so the job fails at once (well before its 10 s timeout)
    const r = await run(request([relay.url], { maxPriceMsats: 1000, providers: [provider.pubkey] }), { payer });
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'price-too-high');
    assert.ok(outcome.durationMs < 9000, `ended at once, not at the timeout (${outcome.durationMs} ms)`);
    assert.match(outcome.error.message, /9000 msats, above the cap of 1000 msats/);
    assert.equal(outcome.costMsats, 0);
    assert.equal(payer.calls.length, 0);
  } finally {
    await cleanup([relay], [provider]);
  }
});

test("untargeted: a result billing above the cap is not taken; another provider's answer is", async () => {
  const relay = await startRelay();
  const greedy = await startTestProvider({ relays: [relay.url], script: { result: 'pricey', payAfter: { amountMsats: 9000 } } });
  const payer = recordingPayer();
  // the fair provider starts once the greedy result was refused: it then finds the job on the relay and answers
  const started: { fair?: Promise<TestProvider> } = {};
  try {
    const r = await run(request([relay.url], { maxPriceMsats: 1000 }), {
      payer,
      onEvent: (e) => {
        if (e.type === 'payment' && e.outcome === 'refused' && !started.fair)
          started.fair = startTestProvider({ relays: [relay.url], script: { result: 'fair answer' } });
      },
    });
    const outcome = ok(r.outcome);
    assert.equal(outcome.response, 'fair answer');
    assert.equal(outcome.provider, (await started.fair!).pubkey);
    assert.equal(payer.calls.length, 0, 'the pricey invoice never reached the payer');
    const refused = r.events.find((e) => e.type === 'payment' && e.outcome === 'refused');
    assert.ok(refused?.type === 'payment' && refused.provider === greedy.pubkey, JSON.stringify(refused));
  } finally {
    await cleanup([relay], [greedy, ...(started.fair ? [await started.fair] : [])]);
  }
});

test('untargeted, nobody else: the job waits its timeout, then fails naming the refused result', async () => {
  const relay = await startRelay();
  const greedy = await startTestProvider({ relays: [relay.url], script: { result: 'pricey', payAfter: { amountMsats: 9000 } } });
  try {
    const r = await run(request([relay.url], { maxPriceMsats: 1000, timeoutMs: 1500 }));
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'price-too-high');
    assert.match(outcome.error.message, /9000 msats, above the cap of 1000 msats; its result was not taken/);
    assert.equal(outcome.costMsats, 0);
  } finally {
    await cleanup([relay], [greedy]);
  }
});

test("a pay-after invoice the payer refuses (a budget) fails the job with the payer's words", async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url], script: { result: 'over budget', payAfter: { amountMsats: 700 } } });
  const payer = recordingPayer(() => ({
    ok: false,
    kind: 'payment-failed',
    message: 'paying 700 msats would pass the daily budget of 1000 msats (500 msats spent or reserved today, UTC): not paid',
  }));
  try {
    const r = await run(request([relay.url]), { payer });
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'payment-failed');
    assert.match(outcome.error.message, /daily budget of 1000 msats/);
    assert.equal(payer.calls.length, 1, 'asked once');
    assert.equal(outcome.costMsats, 0);
  } finally {
    await cleanup([relay], [provider]);
  }
});

// ---- cancel -----------------------------------------------------------

test('cancel while a payment is in flight and the result has come: if the payment fails, the run is cancelled (kind 5), the result not taken', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({
    relays: [relay.url],
    script: { paymentRequired: { amountMsats: 200, then: 'continue' }, result: 'came while paying' },
  });
  const controller = new AbortController();
  let answerPayment!: (o: PaymentOutcome) => void;
  const payer: Payer = { pay: () => new Promise((resolve) => (answerPayment = resolve)) };
  try {
    const r = await run(request([relay.url], { providers: [provider.pubkey] }), {
      payer,
      signal: controller.signal,
      onEvent: (e) => {
        // the result is in while the wallet has not answered: the user cancels, then the wallet refuses
        if (e.type === 'status' && /waiting for the payment in flight/.test(e.message)) {
          controller.abort();
          answerPayment({ ok: false, kind: 'payment-failed', message: 'cancelled before payment' });
        }
      },
    });
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'cancelled');
    assert.equal(outcome.costMsats, 0);
    await relay.waitFor({ kinds: [5], '#e': [r.jobIds[0]] }, 3000);
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('cancel: a kind-5 deletion reaches the relay, the outcome is cancelled, nothing is paid after', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({
    relays: [relay.url],
    script: { paymentRequired: { amountMsats: 200, then: 'continue' }, result: 'too late' },
  });
  const payer = recordingPayer();
  const controller = new AbortController();
  try {
    const r = await run(request([relay.url], { offerWindowMs: 800 }), {
      payer,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'status' && e.state === 'payment-required') controller.abort();
      },
    });
    const outcome = failure(r.outcome);
    assert.equal(outcome.error.kind, 'cancelled');
    assert.equal(outcome.jobId, r.jobIds[0]);
    const deletion = await relay.waitFor({ kinds: [5], '#e': [r.jobIds[0]] }, 3000);
    assert.deepEqual(
      deletion.tags.find((t) => t[0] === 'k'),
      ['k', '5050'],
    );
    assert.equal(deletion.pubkey, r.clientPubkey);
    // well past the offer window: still nothing paid
    await sleep(1200);
    assert.equal(payer.calls.length, 0);
    assert.equal(outcome.costMsats, 0);
  } finally {
    await cleanup([relay], [provider]);
  }
});

test('cancel before anything is sent: cancelled, no job published', async () => {
  const relay = await startRelay();
  const controller = new AbortController();
  controller.abort();
  try {
    const r = await run(request([relay.url]), { signal: controller.signal });
    assert.equal(failure(r.outcome).error.kind, 'cancelled');
    await sleep(100);
    assert.equal(relay.received.length, 0);
  } finally {
    await relay.stop();
  }
});
