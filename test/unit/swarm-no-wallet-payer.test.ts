import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeInvoice } from '../support/test-provider';
import { NoWalletPayer } from '../../src/wallet/no-wallet-payer';
import type { PaymentOffer } from '../../src/wallet/types';

const ctx = { maxPriceMsats: 1000, signal: new AbortController().signal };

function offer(bolt11: string, amountTagMsats: number | null): PaymentOffer {
  return { jobId: 'a'.repeat(64), provider: 'b'.repeat(64), amountTagMsats, bolt11, flow: 'pay-first' };
}

test('an invoice above the cap: price-too-high naming the amount and the cap', async () => {
  const out = await new NoWalletPayer().pay(offer(makeInvoice({ amountMsats: 2500 }), 2500), ctx);
  assert.deepEqual(out, { ok: false, kind: 'price-too-high', message: 'provider asks 2500 msats, above the cap of 1000 msats' });
});

test('an amount tag above the cap counts even when the invoice is cheaper', async () => {
  const out = await new NoWalletPayer().pay(offer(makeInvoice({ amountMsats: 500 }), 4000), ctx);
  assert.equal(out.ok, false);
  assert.equal(!out.ok && out.kind, 'price-too-high');
  assert.match(!out.ok ? out.message : '', /4000 msats, above the cap of 1000 msats/);
});

test('an invoice above the cap is caught even when the amount tag lies', async () => {
  const out = await new NoWalletPayer().pay(offer(makeInvoice({ amountMsats: 7000 }), 10), ctx);
  assert.equal(!out.ok && out.kind, 'price-too-high');
  assert.match(!out.ok ? out.message : '', /7000 msats/);
});

test('within the cap: payment-failed, no wallet configured, naming the amount', async () => {
  const out = await new NoWalletPayer().pay(offer(makeInvoice({ amountMsats: 900 }), 900), ctx);
  assert.equal(out.ok, false);
  assert.equal(!out.ok && out.kind, 'payment-failed');
  assert.match(!out.ok ? out.message : '', /^payment required, no wallet configured \(.*900 msats/);
});

test('an invoice that does not decode is still never paid', async () => {
  const out = await new NoWalletPayer().pay(offer('lnbc-not-an-invoice', 100), ctx);
  assert.equal(!out.ok && out.kind, 'payment-failed');
});
