import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkInvoice, decodeInvoice, type InvoiceCheckInput } from '../../src/wallet/invoice-check';
import { makeInvoice } from '../support/invoices';

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);
const nowSecs = NOW / 1000;

function input(over: Partial<InvoiceCheckInput> & { bolt11: string; tag?: number | null; flow?: 'pay-first' | 'pay-after' }): InvoiceCheckInput {
  return {
    offer: {
      jobId: 'job1',
      provider: 'a'.repeat(64),
      amountTagMsats: over.tag === undefined ? null : over.tag,
      bolt11: over.bolt11,
      flow: over.flow ?? 'pay-first',
    },
    maxPriceMsats: 1000,
    nowMs: NOW,
    isPaymentHashUsed: () => false,
    job: { closed: null, paidMsats: 0 },
    budgets: { daily: null, monthly: null },
    ...over,
  };
}

test('decodeInvoice reads amount, payment hash and expiry of a real signed invoice', () => {
  const inv = makeInvoice({ amountMsats: 1500, expirySecs: 600, timestampSecs: nowSecs });
  const d = decodeInvoice(inv.bolt11);
  assert.equal(d.amountMsats, 1500);
  assert.equal(d.paymentHash, inv.paymentHash);
  assert.equal(d.expiresAtMs, (nowSecs + 600) * 1000);
  const noExpiry = decodeInvoice(makeInvoice({ amountMsats: 1, timestampSecs: nowSecs }).bolt11);
  assert.equal(noExpiry.expirySecs, 3600, 'BOLT-11 default expiry');
  assert.equal(noExpiry.amountMsats, 1);
  assert.equal(decodeInvoice(makeInvoice({ timestampSecs: nowSecs }).bolt11).amountMsats, null);
});

test('an invoice within the cap whose amount equals the tag may be paid, in both flows', () => {
  for (const flow of ['pay-first', 'pay-after'] as const) {
    const inv = makeInvoice({ amountMsats: 1000, timestampSecs: nowSecs });
    const r = checkInvoice(input({ bolt11: inv.bolt11, tag: 1000, flow }));
    assert.deepEqual(r, { ok: true, amountMsats: 1000, paymentHash: inv.paymentHash, expiresAtMs: (nowSecs + 3600) * 1000 });
  }
});

test('each broken rule refuses the offer with a message naming the numbers', () => {
  const at = (amountMsats: number | null, extra: Parameters<typeof makeInvoice>[0] = {}) => makeInvoice({ amountMsats, timestampSecs: nowSecs, ...extra });
  const cases: { name: string; in: InvoiceCheckInput; reason: string; kind?: string; words: RegExp[] }[] = [
    { name: 'garbage', in: input({ bolt11: 'lnbc1garbage', tag: 10 }), reason: 'undecodable', words: [/BOLT-11/] },
    { name: 'empty', in: input({ bolt11: '', tag: 10 }), reason: 'undecodable', words: [/BOLT-11/] },
    { name: 'amountless', in: input({ bolt11: at(null).bolt11, tag: 500 }), reason: 'no-amount', words: [/no amount/, /500 msats/] },
    { name: 'no tag (pay-first)', in: input({ bolt11: at(500).bolt11, tag: null }), reason: 'amount-tag-missing', words: [/500 msats/, /amount tag/] },
    { name: 'no tag (pay-after)', in: input({ bolt11: at(500).bolt11, tag: null, flow: 'pay-after' }), reason: 'amount-tag-missing', words: [/500 msats/] },
    { name: 'tag not whole', in: input({ bolt11: at(500).bolt11, tag: 500.5 }), reason: 'amount-tag-missing', words: [/500 msats/] },
    { name: 'tag differs', in: input({ bolt11: at(900).bolt11, tag: 500 }), reason: 'amount-mismatch', words: [/900 msats/, /500 msats/] },
    { name: 'above cap', in: input({ bolt11: at(1001).bolt11, tag: 1001 }), reason: 'over-cap', kind: 'price-too-high', words: [/1001 msats/, /1000 msats/] },
    {
      name: 'cap counts what the job already paid',
      in: input({ bolt11: at(600).bolt11, tag: 600, job: { closed: null, paidMsats: 500 } }),
      reason: 'over-cap',
      kind: 'price-too-high',
      words: [/600 msats/, /1000 msats/, /500 msats/],
    },
    {
      name: 'expired',
      in: input({ bolt11: at(100, { timestampSecs: nowSecs - 700, expirySecs: 600 }).bolt11, tag: 100 }),
      reason: 'expired',
      words: [/100 msats/, /expired at 2025-06-15T11:58:20/],
    },
    {
      name: 'expired by default expiry',
      in: input({ bolt11: at(100, { timestampSecs: nowSecs - 3600 }).bolt11, tag: 100 }),
      reason: 'expired',
      words: [/expired/],
    },
    {
      name: 'already paid',
      in: input({ bolt11: at(100).bolt11, tag: 100, isPaymentHashUsed: () => true }),
      reason: 'already-paid',
      words: [/already paid/, /100 msats/],
    },
    {
      name: 'cancelled',
      in: input({ bolt11: at(100).bolt11, tag: 100, job: { closed: { state: 'cancelled' }, paidMsats: 0 } }),
      reason: 'job-cancelled',
      words: [/cancel/],
    },
    {
      name: 'finished with another provider',
      in: input({ bolt11: at(100).bolt11, tag: 100, job: { closed: { state: 'finished', provider: 'b'.repeat(64) }, paidMsats: 0 } }),
      reason: 'job-finished',
      words: [/bbbbbbbb/, /100 msats/],
    },
    {
      name: 'daily budget',
      in: input({ bolt11: at(300).bolt11, tag: 300, budgets: { daily: { limitMsats: 1000, spentMsats: 800 }, monthly: null } }),
      reason: 'daily-budget',
      words: [/daily budget of 1000 msats/, /800 msats spent today/, /300 msats/],
    },
    {
      name: 'monthly budget',
      in: input({
        bolt11: at(300).bolt11,
        tag: 300,
        budgets: { daily: { limitMsats: 10_000, spentMsats: 0 }, monthly: { limitMsats: 5000, spentMsats: 4701 } },
      }),
      reason: 'monthly-budget',
      words: [/monthly budget of 5000 msats/, /4701 msats spent this month/],
    },
  ];
  for (const c of cases) {
    const r = checkInvoice(c.in);
    assert.equal(r.ok, false, c.name);
    if (r.ok) continue;
    assert.equal(r.reason, c.reason, c.name);
    assert.equal(r.kind, c.kind ?? 'payment-failed', c.name);
    for (const w of c.words) assert.match(r.message, w, `${c.name}: ${r.message}`);
    assert.match(r.message, /not paid$/, c.name);
    assert.ok(!r.message.includes('\n'), c.name);
  }
});

test('edges: exactly the cap, exactly the budget, a job finished with this provider, cap of 0', () => {
  const inv = makeInvoice({ amountMsats: 1000, timestampSecs: nowSecs });
  assert.equal(
    checkInvoice(
      input({ bolt11: inv.bolt11, tag: 1000, budgets: { daily: { limitMsats: 1500, spentMsats: 500 }, monthly: { limitMsats: 1000, spentMsats: 0 } } }),
    ).ok,
    true,
  );
  assert.equal(
    checkInvoice(input({ bolt11: inv.bolt11, tag: 1000, flow: 'pay-after', job: { closed: { state: 'finished', provider: 'a'.repeat(64) }, paidMsats: 0 } }))
      .ok,
    true,
  );
  assert.equal(checkInvoice(input({ bolt11: inv.bolt11, tag: 1000, maxPriceMsats: 0 })).ok, false);
  assert.equal(checkInvoice(input({ bolt11: inv.bolt11, tag: 1000, maxPriceMsats: Number.NaN })).ok, false);
  // one millisecond before expiry is still payable; at expiry it is not
  const exp = makeInvoice({ amountMsats: 5, timestampSecs: nowSecs - 60, expirySecs: 60 });
  assert.equal(checkInvoice(input({ bolt11: exp.bolt11, tag: 5, nowMs: NOW - 1 })).ok, true);
  assert.equal(checkInvoice(input({ bolt11: exp.bolt11, tag: 5, nowMs: NOW })).ok, false);
});
