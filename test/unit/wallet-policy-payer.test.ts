import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelay, type TestRelay } from '../support/relay';
import { startNwcWallet, type NwcTestWallet } from '../support/nwc-wallet';
import { makeInvoice, type TestInvoice } from '../support/invoices';
import { NwcClient } from '../../src/wallet/nwc-client';
import { PolicyPayer, type PolicyPayerOptions } from '../../src/wallet/policy-payer';
import { startOfUtcDay, startOfUtcMonth } from '../../src/wallet/budget-periods';
import type { PaymentOffer, PaymentOutcome } from '../../src/wallet/types';

// One relay and one NIP-47 wallet for the file; each test counts what it adds.
let relay: TestRelay;
let wallet: NwcTestWallet;
let client: NwcClient;
before(async () => {
  relay = await startRelay();
  wallet = await startNwcWallet({ relayUrl: relay.url, encryption: 'nip44_v2', feesMsats: 2 });
  client = new NwcClient(wallet.uri);
});
after(async () => {
  client.close();
  await wallet.stop();
  await relay.stop();
});

const PROVIDER = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
let jobSeq = 0;
const newJob = () => `job-${++jobSeq}`;

function offer(inv: TestInvoice, over: Partial<PaymentOffer> = {}): PaymentOffer {
  return { jobId: 'job-x', provider: PROVIDER, amountTagMsats: inv.amountMsats, bolt11: inv.bolt11, flow: 'pay-first', ...over };
}

function payer(over: Partial<PolicyPayerOptions> = {}) {
  return new PolicyPayer({ wallet: client, spentMsatsSince: async () => 0, dailyBudgetMsats: null, monthlyBudgetMsats: null, ...over });
}

const ctx = (maxPriceMsats = 1000, signal = new AbortController().signal) => ({ maxPriceMsats, signal });

/** runs `body` and returns the payments and requests the wallet saw meanwhile */
async function watch<T>(body: () => Promise<T>) {
  const p0 = wallet.payments.length;
  const r0 = wallet.requests.filter((r) => r.method === 'pay_invoice').length;
  const result = await body();
  return { result, payments: wallet.payments.slice(p0), payRequests: wallet.requests.filter((r) => r.method === 'pay_invoice').length - r0 };
}

function refusal(o: PaymentOutcome) {
  assert.equal(o.ok, false, 'expected a refusal');
  return o as Extract<PaymentOutcome, { ok: false }>;
}

test('within the cap: paid once over NWC, preimage checked, amount and fees reported', async () => {
  const inv = makeInvoice({ amountMsats: 1000 });
  const p = payer();
  const { result, payments } = await watch(() => p.pay(offer(inv, { jobId: newJob() }), ctx(1000)));
  assert.deepEqual(result, { ok: true, amountMsats: 1000, feesMsats: 2, preimage: inv.preimage, paymentHash: inv.paymentHash, bolt11: inv.bolt11 });
  assert.equal(payments.length, 1);
  assert.equal(payments[0].paymentHash, inv.paymentHash);
  assert.equal(payments[0].amountMsats, 1000);
  assert.equal(p.payments().length, 1);
  assert.equal(p.payments()[0].verified, true);
});

test('refusals send nothing to the wallet: above cap, tag ≠ invoice, amountless, no tag, expired', async () => {
  const p = payer();
  const cases: [PaymentOffer, number, string, RegExp][] = [
    [offer(makeInvoice({ amountMsats: 1001 })), 1000, 'over-cap', /asks 1001 msats, above the max price of 1000 msats/],
    [offer(makeInvoice({ amountMsats: 900 }), { amountTagMsats: 500 }), 1000, 'amount-mismatch', /invoice asks 900 msats but the amount tag says 500 msats/],
    [offer(makeInvoice({ amountMsats: null }), { amountTagMsats: 500 }), 1000, 'no-amount', /no amount/],
    [offer(makeInvoice({ amountMsats: 500 }), { amountTagMsats: null, flow: 'pay-after' }), 1000, 'amount-tag-missing', /500 msats/],
    [offer(makeInvoice({ amountMsats: 500, timestampSecs: Math.floor(Date.now() / 1000) - 120, expirySecs: 60 })), 1000, 'expired', /expired at/],
    [offer(makeInvoice({ amountMsats: 1 })), 0, 'over-cap', /above the max price of 0 msats/],
  ];
  for (const [o, cap, reason, message] of cases) {
    const { result, payments, payRequests } = await watch(() => p.pay({ ...o, jobId: newJob() }, ctx(cap)));
    const r = refusal(result);
    assert.equal(r.reason, reason);
    assert.equal(r.kind, reason === 'over-cap' ? 'price-too-high' : 'payment-failed');
    assert.match(r.message, message);
    assert.equal(payments.length, 0, reason);
    assert.equal(payRequests, 0, `${reason}: a pay_invoice request reached the wallet`);
  }
  assert.equal(p.payments().length, 0);
});

test('the same invoice offered three times (three relays) is paid once — one after another and all at once', async () => {
  for (const budgets of [false, true]) {
    for (const concurrent of [false, true]) {
      const inv = makeInvoice({ amountMsats: 300 });
      const p = payer(budgets ? { dailyBudgetMsats: 100_000, monthlyBudgetMsats: 100_000, spentMsatsSince: async () => 0 } : {});
      const o = offer(inv, { jobId: newJob() });
      const { result, payments } = await watch(async () =>
        concurrent ? Promise.all([p.pay(o, ctx()), p.pay(o, ctx()), p.pay(o, ctx())]) : [await p.pay(o, ctx()), await p.pay(o, ctx()), await p.pay(o, ctx())],
      );
      const label = `budgets=${budgets} concurrent=${concurrent}`;
      assert.equal(payments.length, 1, label);
      assert.equal(result.filter((r) => r.ok).length, 1, label);
      for (const r of result.filter((x) => !x.ok)) assert.equal(refusal(r).reason, 'already-paid', label);
    }
  }
});

test('two different invoices for one job cannot together pass its cap', async () => {
  const p = payer();
  const job = newJob();
  const { result, payments } = await watch(async () => [
    await p.pay(offer(makeInvoice({ amountMsats: 600 }), { jobId: job }), ctx(1000)),
    await p.pay(offer(makeInvoice({ amountMsats: 600 }), { jobId: job }), ctx(1000)),
  ]);
  assert.equal(result[0].ok, true);
  assert.match(refusal(result[1]).message, /asks 600 msats, above the max price of 1000 msats \(this job already paid 600 msats\)/);
  assert.equal(payments.length, 1);
});

test('a wallet error is a clear failure and nothing is recorded', async () => {
  wallet.setError('pay_invoice', 'INSUFFICIENT_BALANCE', 'balance 3 msats');
  try {
    const p = payer();
    const { result, payments } = await watch(() => p.pay(offer(makeInvoice({ amountMsats: 700 }), { jobId: newJob() }), ctx()));
    const r = refusal(result);
    assert.equal(r.kind, 'payment-failed');
    assert.equal(r.reason, 'wallet-error');
    assert.match(r.message, /^payment of 700 msats failed: wallet balance too low .*INSUFFICIENT_BALANCE.*balance 3 msats$/);
    assert.equal(payments.length, 0);
    assert.equal(p.payments().length, 0);
  } finally {
    wallet.setError('pay_invoice', null);
  }
});

test('cancel before payment: nothing is paid (aborted signal, abort during the budget read, cancelJob)', async () => {
  const p = payer();
  const aborted = new AbortController();
  aborted.abort();
  const a = await watch(() => p.pay(offer(makeInvoice({ amountMsats: 10 }), { jobId: newJob() }), ctx(1000, aborted.signal)));
  assert.equal(refusal(a.result).reason, 'cancelled');
  assert.equal(a.payRequests, 0);

  const controller = new AbortController();
  const slow = payer({
    dailyBudgetMsats: 1_000_000,
    monthlyBudgetMsats: null,
    spentMsatsSince: () => new Promise((r) => setTimeout(() => r(0), 200)),
  });
  const b = await watch(async () => {
    const pending = slow.pay(offer(makeInvoice({ amountMsats: 10 }), { jobId: newJob() }), ctx(1000, controller.signal));
    setTimeout(() => controller.abort(), 50);
    return pending;
  });
  assert.equal(refusal(b.result).reason, 'cancelled');
  assert.equal(b.payRequests, 0);

  // the payer checks the signal itself: a wallet that ignores it is never asked
  const careless = {
    calls: 0,
    async payInvoice() {
      careless.calls++;
      return { preimage: '00'.repeat(32), feesPaidMsats: 0 };
    },
  };
  const c2 = new AbortController();
  const own = new PolicyPayer({
    wallet: careless,
    dailyBudgetMsats: 1,
    monthlyBudgetMsats: null,
    spentMsatsSince: async () => {
      c2.abort();
      return 0;
    },
  });
  assert.equal(refusal(await own.pay(offer(makeInvoice({ amountMsats: 1 }), { jobId: newJob() }), ctx(1000, c2.signal))).reason, 'cancelled');
  assert.equal(careless.calls, 0);

  const job = newJob();
  p.cancelJob(job);
  p.finishJob(job, PROVIDER); // a cancel is final
  const c = await watch(() => p.pay(offer(makeInvoice({ amountMsats: 10 }), { jobId: job, flow: 'pay-after' }), ctx()));
  assert.match(refusal(c.result).message, /cancelled; nothing is paid after a cancel/);
  assert.equal(c.payRequests, 0);
});

test("a job finished with one provider: its pay-after invoice is paid, other providers' offers are not", async () => {
  const p = payer();
  const job = newJob();
  p.finishJob(job, PROVIDER);
  const { result, payments } = await watch(async () => [
    await p.pay(offer(makeInvoice({ amountMsats: 50 }), { jobId: job, provider: OTHER }), ctx()),
    await p.pay(offer(makeInvoice({ amountMsats: 60 }), { jobId: job, provider: PROVIDER, flow: 'pay-after' }), ctx()),
  ]);
  assert.equal(refusal(result[0]).reason, 'job-finished');
  assert.equal(result[1].ok, true);
  assert.deepEqual(
    payments.map((x) => x.amountMsats),
    [60],
  );
});

test('cancel while the wallet is paying: the payment that went through is still reported', async () => {
  const relay2 = await startRelay();
  const slowWallet = await startNwcWallet({ relayUrl: relay2.url, responseDelayMs: 300 });
  const c = new NwcClient(slowWallet.uri);
  try {
    const p = new PolicyPayer({ wallet: c, spentMsatsSince: async () => 0, dailyBudgetMsats: null, monthlyBudgetMsats: null, abortGraceMs: 3000 });
    const controller = new AbortController();
    const inv = makeInvoice({ amountMsats: 80 });
    const pending = p.pay(offer(inv, { jobId: newJob() }), ctx(1000, controller.signal));
    while (slowWallet.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const result = await pending;
    assert.equal(result.ok, true, 'the wallet paid, so the payment must be reported');
    assert.equal(slowWallet.payments.length, 1);
  } finally {
    c.close();
    await slowWallet.stop();
    await relay2.stop();
  }
});

test("budgets: calendar day and month in UTC, from history plus this process's own payments", async () => {
  const now = Date.UTC(2025, 5, 15, 0, 0, 30); // 30 s after midnight UTC
  const history = [
    { atMs: Date.UTC(2025, 4, 31, 23, 0), msats: 50_000 }, // last month
    { atMs: Date.UTC(2025, 5, 14, 23, 59), msats: 4000 }, // yesterday
    { atMs: Date.UTC(2025, 5, 15, 0, 0, 10), msats: 3000 }, // today
  ];
  const asked: number[] = [];
  const spentMsatsSince = async (since: number) => {
    asked.push(since);
    return history.filter((h) => h.atMs >= since).reduce((s, h) => s + h.msats, 0);
  };
  const inv = (amountMsats: number) => makeInvoice({ amountMsats, timestampSecs: now / 1000 - 10, expirySecs: 20 * 365 * 86400 });

  const daily = payer({ now: () => now, spentMsatsSince, dailyBudgetMsats: 5000, monthlyBudgetMsats: null });
  const d = await watch(async () => [
    await daily.pay(offer(inv(2500), { jobId: newJob() }), ctx(10_000)), // 3000 + 2500 > 5000
    await daily.pay(offer(inv(2000), { jobId: newJob() }), ctx(10_000)), // 3000 + 2000 = 5000
    await daily.pay(offer(inv(1), { jobId: newJob() }), ctx(10_000)), // own 2000 (+2 fees) not in history yet
  ]);
  assert.match(refusal(d.result[0]).message, /paying 2500 msats would pass the daily budget of 5000 msats \(3000 msats spent today, UTC\)/);
  assert.equal(refusal(d.result[0]).reason, 'daily-budget');
  assert.equal(d.result[1].ok, true);
  assert.match(refusal(d.result[2]).message, /daily budget of 5000 msats \(5002 msats spent today/);
  assert.deepEqual(
    d.payments.map((x) => x.amountMsats),
    [2000],
  );
  assert.ok(asked.every((s) => s === startOfUtcDay(now)) && startOfUtcDay(now) === Date.UTC(2025, 5, 15));

  asked.length = 0;
  const monthly = payer({ now: () => now, spentMsatsSince, dailyBudgetMsats: null, monthlyBudgetMsats: 10_000 });
  const m = await watch(async () => [
    await monthly.pay(offer(inv(3001), { jobId: newJob() }), ctx(10_000)), // 7000 + 3001 > 10000
    await monthly.pay(offer(inv(3000), { jobId: newJob() }), ctx(10_000)),
  ]);
  assert.match(refusal(m.result[0]).message, /would pass the monthly budget of 10000 msats \(7000 msats spent this month, UTC\)/);
  assert.equal(m.result[1].ok, true);
  assert.deepEqual(
    m.payments.map((x) => x.amountMsats),
    [3000],
  );
  assert.ok(asked.every((s) => s === startOfUtcMonth(now)) && startOfUtcMonth(now) === Date.UTC(2025, 5, 1));

  // after the engine records a payment in history, it is not counted twice
  history.push({ atMs: now, msats: 3002 });
  monthly.recorded(m.result[1].ok ? m.result[1].paymentHash : '');
  const again = await watch(() => monthly.pay(offer(inv(1), { jobId: newJob() }), ctx(10_000)));
  assert.match(refusal(again.result).message, /10002 msats spent this month/);

  // history that cannot be read: no payment
  const broken = payer({ spentMsatsSince: async () => Promise.reject(new Error('database is locked')), dailyBudgetMsats: 1e9, monthlyBudgetMsats: null });
  const b = await watch(() => broken.pay(offer(makeInvoice({ amountMsats: 5 }), { jobId: newJob() }), ctx()));
  assert.match(refusal(b.result).message, /cannot read what was spent so far .*database is locked/);
  assert.equal(b.payRequests, 0);
});

test('a preimage that does not match the payment hash is detected, and the spend is still reported', async () => {
  wallet.setPreimages('random');
  try {
    const p = payer();
    const inv = makeInvoice({ amountMsats: 400 });
    const { result, payments } = await watch(() => p.pay(offer(inv, { jobId: newJob() }), ctx()));
    const r = refusal(result);
    assert.equal(r.kind, 'payment-failed');
    assert.equal(r.reason, 'preimage-mismatch');
    assert.match(r.message, /wallet returned a preimage that does not match/);
    assert.equal(r.paid?.amountMsats, 400);
    assert.equal(r.paid?.paymentHash, inv.paymentHash);
    assert.notEqual(r.paid?.preimage, inv.preimage);
    assert.equal(payments.length, 1);
    assert.equal(p.payments()[0].verified, false);
    // and the invoice is never sent again
    const again = await watch(() => p.pay(offer(inv, { jobId: newJob() }), ctx()));
    assert.equal(refusal(again.result).reason, 'already-paid');
    assert.equal(again.payRequests, 0);
  } finally {
    wallet.setPreimages('true');
  }
});

test('a wallet that does not answer: reported as uncertain, and its amount stays reserved', async () => {
  wallet.setSilent(true);
  try {
    const p = payer({ payTimeoutMs: 600, dailyBudgetMsats: 1000, spentMsatsSince: async () => 0 });
    const job = newJob();
    const first = await p.pay(offer(makeInvoice({ amountMsats: 700 }), { jobId: job }), ctx());
    assert.equal(refusal(first).reason, 'wallet-uncertain');
    assert.match(refusal(first).message, /payment of 700 msats not confirmed: no answer from the wallet within 1 s; it may still carry out the request/);
    wallet.setSilent(false);
    const second = await p.pay(offer(makeInvoice({ amountMsats: 400 }), { jobId: newJob() }), ctx());
    assert.equal(refusal(second).reason, 'daily-budget', 'the 700 msats that may have been paid still count');
  } finally {
    wallet.setSilent(false);
  }
});
