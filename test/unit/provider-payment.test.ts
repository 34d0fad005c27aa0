// A paid provider in-process: invoices made through its NWC wallet
// (make_invoice), work only once the wallet reports the invoice settled
// (lookup_invoice), a buyer wallet on the same test ledger paying it for real.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { quietFor } from '../support/quiet';
import { startRelay, type TestRelay } from '../support/relay';
import { startOllamaStandin, type OllamaStandin, promptOf } from '../support/ollama-standin';
import { startNwcWallet, createLedger, type NwcTestWallet } from '../support/nwc-wallet';
import { readInvoice } from '../support/invoices';
import { startCustomer, repliesTo, statusOf, statusExtra, type JobCustomer } from '../support/job-customer';
import { ModelProvider } from '../../src/provider/model-provider';
import type { ProviderSettings, ProviderTuning } from '../../src/provider/types';
import { openHistory } from '../../src/history/sqlite-history';
import type { HistoryStore } from '../../src/history/types';
import { NwcClient } from '../../src/wallet/nwc-client';

let relay: TestRelay;
let ollama: OllamaStandin;
let sellerWallet: NwcTestWallet;
let buyerWallet: NwcTestWallet;
let seller: NwcClient;
let buyer: NwcClient;

before(async () => {
  relay = await startRelay();
  ollama = await startOllamaStandin({ models: { 'llama3.2': { reply: 'worth every sat' }, slow: { reply: 'a b c d e f g h', tokenDelayMs: 200 } } });
  const ledger = createLedger();
  sellerWallet = await startNwcWallet({ relayUrl: relay.url, ledger, balanceMsats: 0 });
  buyerWallet = await startNwcWallet({ relayUrl: relay.url, ledger, balanceMsats: 50_000 });
  seller = new NwcClient(sellerWallet.uri);
  buyer = new NwcClient(buyerWallet.uri);
});
after(async () => {
  seller.close();
  buyer.close();
  await sellerWallet.stop();
  await buyerWallet.stop();
  await ollama.stop();
  await relay.stop();
});

interface Paid {
  provider: ModelProvider;
  pubkey: string;
  customer: JobCustomer;
  history: HistoryStore;
  stop(): Promise<void>;
}

/** The paid test provider's settings: 500 msats a job, one at a time, on the stand-in's llama3.2. */
function paidSettings(over: Partial<ProviderSettings> = {}): ProviderSettings {
  return {
    models: ['llama3.2'],
    ollamaHost: ollama.url,
    relays: [relay.url],
    priceMsats: 500,
    maxConcurrent: 1,
    maxQueued: 10,
    maxPromptChars: 1000,
    paymentTimeoutMs: 10_000,
    jobTimeoutMs: 10_000,
    name: 'paid test provider',
    about: 'costs 500 msats',
    ...over,
  };
}

/** Each test's provider only takes jobs p-tagged to it, so tests on the shared relay stay apart. */
async function paidProvider(settings: Partial<ProviderSettings> = {}, tuning: Partial<ProviderTuning> = {}): Promise<Paid> {
  const secretKey = generateSecretKey();
  const history = await openHistory(join(mkdtempSync(join(tmpdir(), 'sc-paid-')), 'history.sqlite'));
  const provider = new ModelProvider(
    paidSettings(settings),
    { secretKey, wallet: seller, history },
    { invoicePollMs: 50, partialIntervalMs: 50, shutdownGraceMs: 300, ...tuning },
  );
  const started = await provider.start();
  assert.ok(started.ok, started.ok ? '' : started.error.message);
  const customer = await startCustomer([relay.url]);
  return {
    provider,
    pubkey: getPublicKey(secretKey),
    customer,
    history,
    async stop() {
      await provider.stop();
      await customer.close();
      await history.close();
    },
  };
}

const waitForStatus = async (jobId: string, status: string, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = repliesTo(relay, jobId).find((e) => statusOf(e) === status);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ${status} feedback for ${jobId}; saw ${JSON.stringify(repliesTo(relay, jobId).map(statusOf))}`);
};
const generations = (prompt: string) => ollama.requests.filter((r) => (r.path === '/api/generate' || r.path === '/api/chat') && promptOf(r.body) === prompt);
const invoiceRequests = () => sellerWallet.requests.filter((r) => r.method === 'make_invoice');

test('a paid job: payment-required with the amount and a make_invoice bolt11; no work until the buyer pays; then the result', async () => {
  const p = await paidProvider();
  try {
    const before = invoiceRequests().length;
    const sellerBefore = sellerWallet.balanceMsats();
    const job = await p.customer.submit({ prompt: 'paid question', bidMsats: 1000, providers: [p.pubkey] });
    const offer = await waitForStatus(job.id, 'payment-required');
    const amount = offer.tags.find((t) => t[0] === 'amount')!;
    assert.equal(amount[1], '500');
    assert.equal(readInvoice(amount[2]).amountMsats, 500, 'the invoice asks exactly the price');
    assert.equal(invoiceRequests().length, before + 1, 'made through the wallet');
    assert.equal(invoiceRequests().at(-1)!.params.amount, 500);

    await quietFor(400);
    assert.equal(generations('paid question').length, 0, 'nothing generated before payment');
    assert.ok(
      sellerWallet.requests.some((r) => r.method === 'lookup_invoice'),
      'the provider asks its wallet',
    );

    await buyer.payInvoice(amount[2]);
    const result = await relay.waitFor({ kinds: [6050], '#e': [job.id] });
    assert.equal(result.content, 'worth every sat');
    assert.deepEqual(
      result.tags.find((t) => t[0] === 'amount'),
      ['amount', '500'],
    );
    assert.equal(generations('paid question').length, 1);
    assert.equal(sellerWallet.balanceMsats(), sellerBefore + 500, 'the seller was paid');
    const replies = repliesTo(relay, job.id);
    const order = replies.map((e) => (e.kind === 6050 ? 'result' : statusOf(e)));
    assert.ok(order.indexOf('payment-required') < order.indexOf('processing'), `order: ${order.join(', ')}`);
  } finally {
    await p.stop();
  }
});

test('the served row records the payment', async () => {
  const p = await paidProvider();
  let rows;
  try {
    const job = await p.customer.submit({ prompt: 'record my payment', providers: [p.pubkey] });
    const offer = await waitForStatus(job.id, 'payment-required');
    await buyer.payInvoice(offer.tags.find((t) => t[0] === 'amount')![2]);
    await relay.waitFor({ kinds: [6050], '#e': [job.id] });
    await p.provider.stop();
    rows = await p.history.list(5);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].lane, 'served');
    assert.equal(rows[0].state, 'completed');
    assert.equal(rows[0].costMsats, 500, 'what was earned');
    assert.equal(rows[0].paymentBolt11, offer.tags.find((t) => t[0] === 'amount')![2]);
    assert.equal((await p.history.metrics()).totalCostMsats, 0, 'earnings are not consumer spending');
    assert.equal(await p.history.spentMsatsSince(0), 0, 'and do not count against budgets');
  } finally {
    await p.stop();
  }
});

test('a bid below the price gets an error feedback saying so, and no invoice is made', async () => {
  const p = await paidProvider();
  try {
    const before = invoiceRequests().length;
    const job = await p.customer.submit({ prompt: 'cheap question', bidMsats: 100, providers: [p.pubkey] });
    const error = await waitForStatus(job.id, 'error');
    assert.match(statusExtra(error), /bid of 100 msats is below this provider's price of 500 msats/);
    await quietFor(200);
    assert.equal(invoiceRequests().length, before);
    assert.equal(repliesTo(relay, job.id).length, 1);
    assert.equal(generations('cheap question').length, 0);
  } finally {
    await p.stop();
  }
});

test('an unpaid job expires with an error feedback; nothing is generated', async () => {
  const p = await paidProvider({ paymentTimeoutMs: 700 });
  try {
    const job = await p.customer.submit({ prompt: 'never paid', providers: [p.pubkey] });
    await waitForStatus(job.id, 'payment-required');
    const error = await waitForStatus(job.id, 'error', 5000);
    assert.match(statusExtra(error), /payment of 500 msats was not received within 1 s; the job expired/);
    assert.equal(generations('never paid').length, 0);
    await p.provider.stop();
    const [row] = await p.history.list(1);
    assert.equal(row.state, 'failed');
    assert.match(row.error ?? '', /not received/);
  } finally {
    await p.stop();
  }
});

test('a wallet that cannot make the invoice: an error feedback, nothing to pay', async () => {
  const p = await paidProvider();
  sellerWallet.setError('make_invoice', 'INTERNAL', 'node offline');
  try {
    const job = await p.customer.submit({ prompt: 'no invoice', providers: [p.pubkey] });
    const error = await waitForStatus(job.id, 'error');
    assert.match(statusExtra(error), /could not make an invoice/);
    assert.equal(
      repliesTo(relay, job.id).some((e) => statusOf(e) === 'payment-required'),
      false,
    );
  } finally {
    sellerWallet.setError('make_invoice', null);
    await p.stop();
  }
});

test('stopping while a job waits for payment: an error feedback tells the customer not to pay', async () => {
  const p = await paidProvider();
  try {
    const job = await p.customer.submit({ prompt: 'stop before paying', providers: [p.pubkey] });
    await waitForStatus(job.id, 'payment-required');
    await p.provider.stop();
    const error = await waitForStatus(job.id, 'error', 2000);
    assert.match(statusExtra(error), /do not pay/);
  } finally {
    await p.stop();
  }
});

test('a price without a wallet does not start', async () => {
  const provider = new ModelProvider(
    paidSettings({ priceMsats: 10, maxQueued: 1, maxPromptChars: 10, paymentTimeoutMs: 1000, jobTimeoutMs: 1000, name: 'x', about: 'y' }),
    { secretKey: generateSecretKey(), wallet: null, history: null },
  );
  const started = await provider.start();
  assert.equal(started.ok, false);
  assert.equal(!started.ok && started.error.kind, 'config');
  assert.match(!started.ok ? started.error.message : '', /needs a wallet/);
});
