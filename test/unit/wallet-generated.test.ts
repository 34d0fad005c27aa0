// Generated cases: random offers against random caps, budgets and spending so
// far, paid through an in-process fake wallet. Every payment the wallet records
// must keep every rule, and (one offer after another) exactly the offers an
// independent statement of the rules allows must be paid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeInvoice, knownInvoice, type TestInvoice } from '../support/invoices';
import { PolicyPayer } from '../../src/wallet/policy-payer';
import { WalletError } from '../../src/wallet/wallet-error';
import type { PaymentOffer, PaymentWallet, WalletCallOptions, WalletPayment } from '../../src/wallet/types';

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

interface Paid {
  bolt11: string;
  paymentHash: string;
  amountMsats: number;
  /** jobs cancelled when the wallet was asked */
  cancelledJobs: Set<string>;
}

/** Pays instantly, records every payment, refuses anything after an abort. */
class FakeWallet implements PaymentWallet {
  readonly paid: Paid[] = [];
  constructor(
    private readonly rng: Rng,
    private readonly feesMsats: number,
    private readonly cancelledJobs: Set<string>,
  ) {}
  async payInvoice(bolt11: string, options: WalletCallOptions = {}): Promise<WalletPayment> {
    if (options.signal?.aborted) throw new WalletError('ABORTED', 'cancelled before the request was sent');
    const inv = [...registry.values()].find((i) => i.bolt11 === bolt11);
    assert.ok(inv, 'the fake wallet was asked to pay an invoice the test did not make');
    this.paid.push({ bolt11, paymentHash: inv.paymentHash, amountMsats: inv.amountMsats!, cancelledJobs: new Set(this.cancelledJobs) });
    if (this.rng.chance(0.5)) await new Promise((r) => setImmediate(r));
    return { preimage: knownInvoice(inv.paymentHash)!.preimage, feesPaidMsats: this.feesMsats };
  }
}
const registry = new Map<string, TestInvoice>();

const DAY = 86_400_000;

interface Scenario {
  now: number;
  cap: number;
  daily: number | null;
  monthly: number | null;
  fees: number;
  history: { atMs: number; msats: number }[];
  offers: { offer: PaymentOffer; invoice: TestInvoice; cancelFirst: boolean }[];
}

function scenario(rng: Rng): Scenario {
  // around UTC day and month boundaries as often as not
  const base = Date.UTC(2025, rng.int(0, 11), rng.pick([1, 1, 2, 15, 28]), 0, 0, 0);
  const now = base + rng.pick([0, 1000, 60_000, DAY / 2, DAY - 1000]);
  const cap = rng.pick([0, 1, 999, 1000, 1001, 5000, 10_000, rng.int(0, 10_000), rng.int(0, 10_000)]);
  const daily = rng.chance(0.5) ? null : rng.pick([0, 1000, 2000, 5000, 10_000, rng.int(0, 12_000), rng.int(0, 12_000)]);
  const monthly = rng.chance(0.5) ? null : rng.pick([0, 3000, 10_000, 20_000, rng.int(0, 30_000), rng.int(0, 30_000)]);
  const history = Array.from({ length: rng.int(0, 4) }, () => ({
    atMs: now - rng.pick([0, 500, 30_000, DAY / 2, DAY, 3 * DAY, 20 * DAY, 40 * DAY]),
    msats: rng.pick([1, 500, 1000, 2500, rng.int(0, 6000)]),
  }));
  const fees = rng.pick([0, 0, 1, 13]);
  const jobs = ['j1', 'j2'];
  const offers: Scenario['offers'] = [];
  const n = rng.int(1, 4);
  for (let i = 0; i < n; i++) {
    let invoice: TestInvoice;
    if (offers.length > 0 && rng.chance(0.25))
      invoice = rng.pick(offers).invoice; // the same invoice again
    else {
      const amount = rng.chance(0.06) ? null : rng.pick([1, 500, 999, 1000, 1001, 2500, 5000, rng.int(1, 3000), rng.int(1, 3000)]);
      const age = rng.chance(0.6) ? rng.int(0, 30) : rng.pick([599, 600, 601, 3599, 3600, 3601, 7200]);
      invoice = makeInvoice({
        amountMsats: amount,
        timestampSecs: Math.floor((now - age * 1000) / 1000),
        expirySecs: rng.chance(0.5) ? undefined : rng.pick([60, 600, 3600, 86_400]),
      });
      registry.set(invoice.paymentHash, invoice);
    }
    const tag = rng.chance(0.7) ? 'same' : rng.pick(['null', 'plus', 'minus', 'random'] as const);
    const a = invoice.amountMsats ?? rng.int(1, 2000);
    const amountTagMsats = tag === 'same' ? invoice.amountMsats : tag === 'null' ? null : tag === 'plus' ? a + 1 : tag === 'minus' ? a - 1 : rng.int(0, 7000);
    offers.push({
      offer: {
        jobId: rng.pick(jobs),
        provider: rng.pick(['a'.repeat(64), 'b'.repeat(64)]),
        amountTagMsats,
        bolt11: invoice.bolt11,
        flow: rng.pick(['pay-first', 'pay-after']),
      },
      invoice,
      cancelFirst: rng.chance(0.07),
    });
  }
  return { now, cap, daily, monthly, fees, history, offers };
}

const startOfDay = (ms: number) => Math.floor(ms / DAY) * DAY;
const startOfMonth = (ms: number) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};

/** The rules, stated again independently of src/wallet: may this offer be paid now? */
function allowed(
  s: Scenario,
  o: Scenario['offers'][number],
  state: { paidHashes: Set<string>; jobPaid: Map<string, number>; spent: { atMs: number; msats: number }[]; cancelled: Set<string> },
): boolean {
  const inv = o.invoice;
  if (state.cancelled.has(o.offer.jobId)) return false;
  if (inv.amountMsats === null) return false;
  if (o.offer.amountTagMsats === null || o.offer.amountTagMsats !== inv.amountMsats) return false;
  if ((state.jobPaid.get(o.offer.jobId) ?? 0) + inv.amountMsats > s.cap) return false;
  if (s.now >= (inv.timestampSecs + inv.expirySecs) * 1000) return false;
  if (state.paidHashes.has(inv.paymentHash)) return false;
  const spentSince = (since: number) => state.spent.filter((h) => h.atMs >= since).reduce((x, h) => x + h.msats, 0);
  if (s.daily !== null && spentSince(startOfDay(s.now)) + inv.amountMsats > s.daily) return false;
  if (s.monthly !== null && spentSince(startOfMonth(s.now)) + inv.amountMsats > s.monthly) return false;
  return true;
}

/** Safety: the wallet's payments, taken together, keep every rule. */
function assertNoRuleBroken(s: Scenario, paid: Paid[], label: string) {
  const hashes = new Set<string>();
  const perJob = new Map<string, number>();
  let day = s.history.filter((h) => h.atMs >= startOfDay(s.now)).reduce((x, h) => x + h.msats, 0);
  let month = s.history.filter((h) => h.atMs >= startOfMonth(s.now)).reduce((x, h) => x + h.msats, 0);
  for (const p of paid) {
    assert.ok(!hashes.has(p.paymentHash), `${label}: paid twice`);
    hashes.add(p.paymentHash);
    const inv = registry.get(p.paymentHash)!;
    const offersOfIt = s.offers.filter((o) => o.invoice.paymentHash === p.paymentHash);
    assert.ok(inv.amountMsats !== null, `${label}: paid an amountless invoice`);
    assert.ok(s.now < (inv.timestampSecs + inv.expirySecs) * 1000, `${label}: paid an expired invoice`);
    const ok = offersOfIt.find((o) => o.offer.amountTagMsats === inv.amountMsats && !p.cancelledJobs.has(o.offer.jobId));
    assert.ok(ok, `${label}: paid without a matching amount tag, or for a cancelled job`);
    const job = ok.offer.jobId;
    perJob.set(job, (perJob.get(job) ?? 0) + p.amountMsats);
    assert.ok(perJob.get(job)! <= s.cap, `${label}: job ${job} paid ${perJob.get(job)} > cap ${s.cap}`);
    day += p.amountMsats;
    month += p.amountMsats;
    if (s.daily !== null) assert.ok(day <= s.daily, `${label}: daily budget ${s.daily} passed (${day})`);
    if (s.monthly !== null) assert.ok(month <= s.monthly, `${label}: monthly budget ${s.monthly} passed (${month})`);
    day += s.fees;
    month += s.fees;
  }
}

test('1,200 generated sequences: exactly the offers the rules allow are paid, and none breaks a rule', async (t) => {
  const rng = prng(0x5eed_2025);
  let paidCount = 0;
  let refusedCount = 0;
  for (let i = 0; i < 1200; i++) {
    const s = scenario(rng);
    const state = { paidHashes: new Set<string>(), jobPaid: new Map<string, number>(), spent: [...s.history], cancelled: new Set<string>() };
    const wallet = new FakeWallet(rng, s.fees, state.cancelled);
    const history = [...s.history];
    const recordInHistory = rng.chance(0.5); // as the engine does, or a payer whose payments history has not seen yet
    const payer = new PolicyPayer({
      wallet,
      now: () => s.now,
      dailyBudgetMsats: s.daily,
      monthlyBudgetMsats: s.monthly,
      spentMsatsSince: async (since) => history.filter((h) => h.atMs >= since).reduce((x, h) => x + h.msats, 0),
    });
    for (const [k, o] of s.offers.entries()) {
      if (o.cancelFirst) {
        payer.cancelJob(o.offer.jobId);
        state.cancelled.add(o.offer.jobId);
      }
      const expected = allowed(s, o, state);
      const outcome = await payer.pay(o.offer, { maxPriceMsats: s.cap, signal: new AbortController().signal });
      const label = `sequence ${i}, offer ${k}: ${JSON.stringify({ cap: s.cap, daily: s.daily, monthly: s.monthly, tag: o.offer.amountTagMsats, amount: o.invoice.amountMsats })}`;
      assert.equal(outcome.ok, expected, `${label}: ${outcome.ok ? 'paid' : outcome.message}`);
      if (outcome.ok) {
        paidCount++;
        assert.equal(outcome.amountMsats, o.invoice.amountMsats);
        assert.equal(outcome.paymentHash, o.invoice.paymentHash);
        state.paidHashes.add(o.invoice.paymentHash);
        state.jobPaid.set(o.offer.jobId, (state.jobPaid.get(o.offer.jobId) ?? 0) + outcome.amountMsats);
        state.spent.push({ atMs: s.now, msats: outcome.amountMsats + outcome.feesMsats });
        if (recordInHistory) {
          history.push({ atMs: s.now, msats: outcome.amountMsats + outcome.feesMsats });
          payer.recorded(outcome.paymentHash);
        }
      } else {
        refusedCount++;
        assert.ok(outcome.message.length > 0 && !outcome.message.includes('\n'));
      }
    }
    assertNoRuleBroken(s, wallet.paid, `sequence ${i}`);
  }
  // the generator must exercise both sides
  t.diagnostic(`sequences: ${paidCount} paid, ${refusedCount} refused`);
  assert.ok(paidCount > 300 && refusedCount > 300, `paid ${paidCount}, refused ${refusedCount}`);
});

test('400 generated bursts of concurrent offers: no payment breaks a rule', async (t) => {
  const rng = prng(0xc0ffee);
  let paidCount = 0;
  for (let i = 0; i < 400; i++) {
    const s = scenario(rng);
    // more duplicates and the same job, to make offers race for the same hash, cap and budget
    for (const o of s.offers)
      if (rng.chance(0.3))
        Object.assign(o, {
          invoice: s.offers[0].invoice,
          offer: { ...o.offer, bolt11: s.offers[0].invoice.bolt11, amountTagMsats: s.offers[0].invoice.amountMsats },
        });
    const cancelled = new Set<string>();
    const wallet = new FakeWallet(rng, s.fees, cancelled);
    const payer = new PolicyPayer({
      wallet,
      now: () => s.now,
      dailyBudgetMsats: s.daily,
      monthlyBudgetMsats: s.monthly,
      spentMsatsSince: async (since) => {
        for (let k = rng.int(0, 3); k > 0; k--) await new Promise((r) => setImmediate(r));
        return s.history.filter((h) => h.atMs >= since).reduce((x, h) => x + h.msats, 0);
      },
    });
    for (const o of s.offers)
      if (o.cancelFirst) {
        payer.cancelJob(o.offer.jobId);
        cancelled.add(o.offer.jobId);
      }
    const outcomes = await Promise.all(s.offers.map((o) => payer.pay(o.offer, { maxPriceMsats: s.cap, signal: new AbortController().signal })));
    paidCount += outcomes.filter((o) => o.ok).length;
    assert.equal(outcomes.filter((o) => o.ok).length, wallet.paid.length);
    assertNoRuleBroken(s, wallet.paid, `burst ${i}`);
  }
  t.diagnostic(`bursts: ${paidCount} paid`);
  assert.ok(paidCount > 100, `paid ${paidCount}`);
});
