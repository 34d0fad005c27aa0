// The offers of one job (src/swarm/job-offers.ts): the one place that says
// whether a provider was refused, and the rules every payment goes through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeInvoice } from '../support/test-provider';
import { JobOffers } from '../../src/swarm/job-offers';
import type { RunEvent } from '../../src/run/events';
import type { Payer, PaymentOffer, PaymentOutcome } from '../../src/wallet/types';

const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);

/** A payer that answers when told to, and records what it was handed. */
function heldPayer() {
  const handed: PaymentOffer[] = [];
  const answers: ((o: PaymentOutcome) => void)[] = [];
  const payer: Payer = {
    pay(offer) {
      handed.push(offer);
      return new Promise((resolve) => answers.push(resolve));
    },
  };
  const paid = (amountMsats: number): PaymentOutcome => ({
    ok: true,
    amountMsats,
    feesMsats: 1,
    preimage: 'p',
    paymentHash: 'h',
    bolt11: handed.at(-1)!.bolt11,
  });
  return { payer, handed, answer: (o: PaymentOutcome) => answers.shift()!(o), paid };
}

function offers(payer: Payer, signal = new AbortController().signal) {
  const events: RunEvent[] = [];
  const book = new JobOffers({ jobId: 'j'.repeat(64), maxPriceMsats: 1000, payer, signal, emit: (e) => events.push(e) });
  return { book, events };
}

const refusedPayments = (events: RunEvent[]) => events.filter((e) => e.type === 'payment' && e.outcome === 'refused');

test('a provider is refused once all its offers are; a new offer makes it a candidate again', async () => {
  const { payer, handed } = heldPayer();
  const { book, events } = offers(payer);
  assert.equal(book.isRefused(ALICE), false, 'no offer yet: not refused');
  assert.equal(book.receive(ALICE, 5000, makeInvoice({ amountMsats: 5000 })), true);
  assert.equal(book.isRefused(ALICE), true, 'its only offer was above the cap');
  assert.equal(book.isRefused(BOB), false);
  assert.equal(refusedPayments(events).length, 1);
  assert.match(book.refusal()!.message, /asks 5000 msats, above the cap of 1000 msats/);

  book.receive(ALICE, 900, makeInvoice({ amountMsats: 900 }));
  assert.equal(book.isRefused(ALICE), false, 'an open offer within the cap');
  void book.settle();
  assert.equal(handed.length, 1);
  assert.equal(book.isRefused(ALICE), false, 'its payment is in flight');
});

test('the same invoice is offered once, handed to the payer once, and a refused payment moves on to the next offer', async () => {
  const { payer, handed, answer, paid } = heldPayer();
  const { book } = offers(payer);
  const cheap = makeInvoice({ amountMsats: 300 });
  const dear = makeInvoice({ amountMsats: 800 });
  assert.equal(book.receive(ALICE, 300, cheap), true);
  assert.equal(book.receive(ALICE, 300, cheap), false, 'a copy of the same invoice');
  book.receive(BOB, 800, dear);
  const settling = book.settle();
  assert.deepEqual(
    handed.map((o) => o.bolt11),
    [cheap],
    'the cheapest first',
  );
  answer({ ok: false, kind: 'payment-failed', message: 'route not found' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    handed.map((o) => o.bolt11),
    [cheap, dear],
  );
  assert.equal(book.isRefused(ALICE), true);
  answer(paid(800));
  assert.equal(await settling, 'paid');
  assert.equal(book.payee, BOB);
  assert.deepEqual(book.money(), { costMsats: 800, feesMsats: 1, paymentBolt11: dear, paymentState: 'paid' });
  // once paid, neither another offer nor a pay-after reaches the payer
  book.receive(ALICE, 200, makeInvoice({ amountMsats: 200 }));
  assert.equal(await book.settle(), 'stopped');
  await book.payAfter({ provider: ALICE, amountTagMsats: 200, bolt11: makeInvoice({ amountMsats: 200 }) });
  assert.equal(handed.length, 2);
});

test('nothing is handed to the payer after cancel; after the job ended only a pay-after is', async () => {
  const { payer, handed, answer, paid } = heldPayer();
  const controller = new AbortController();
  const { book } = offers(payer, controller.signal);
  book.receive(ALICE, 300, makeInvoice({ amountMsats: 300 }));
  book.endJob();
  assert.equal(await book.settle(), 'stopped');
  assert.equal(handed.length, 0, 'a pay-first offer after the job ended');
  const afterInvoice = makeInvoice({ amountMsats: 400 });
  const after = book.payAfter({ provider: BOB, amountTagMsats: 400, bolt11: afterInvoice });
  assert.deepEqual(
    handed.map((o) => [o.bolt11, o.flow]),
    [[afterInvoice, 'pay-after']],
  );
  answer(paid(400));
  await after;

  const second = heldPayer();
  const cancelled = offers(second.payer, controller.signal);
  controller.abort();
  cancelled.book.receive(ALICE, 300, makeInvoice({ amountMsats: 300 }));
  await cancelled.book.settle();
  await cancelled.book.payAfter({ provider: ALICE, amountTagMsats: 300, bolt11: makeInvoice({ amountMsats: 300 }) });
  assert.equal(second.handed.length, 0);
});

test("which results are taken: one that bills nothing, the payee's; not one above the cap or once refused; another's after a payment is ignored", async () => {
  const { payer, answer, paid } = heldPayer();
  const { book } = offers(payer);
  assert.equal(book.judgeResult({ provider: ALICE, amountTagMsats: null, bolt11: null }), 'take', 'bills nothing');
  const dear = book.judgeResult({ provider: BOB, amountTagMsats: 5000, bolt11: makeInvoice({ amountMsats: 5000 }) });
  assert.ok(typeof dear === 'object' && dear.kind === 'price-too-high', JSON.stringify(dear));
  assert.match(dear.message, /5000 msats, above the cap of 1000 msats; its result was not taken/);
  // an invoice refused as an offer: the result that bills it again is refused for the same reason
  const offered = makeInvoice({ amountMsats: 4000 });
  book.receive(ALICE, 4000, offered);
  const again = book.judgeResult({ provider: ALICE, amountTagMsats: 4000, bolt11: offered });
  assert.ok(typeof again === 'object' && /4000 msats.*its result was not taken/.test(again.message), JSON.stringify(again));
  assert.equal(book.judgeResult({ provider: BOB, amountTagMsats: 300, bolt11: makeInvoice({ amountMsats: 300 }) }), 'take', 'within the cap');

  const mine = makeInvoice({ amountMsats: 600 });
  book.receive(ALICE, 600, mine);
  const settling = book.settle();
  answer(paid(600));
  assert.equal(await settling, 'paid');
  assert.equal(book.judgeResult({ provider: ALICE, amountTagMsats: 600, bolt11: mine }), 'take', "the payee's result");
  assert.equal(book.judgeResult({ provider: BOB, amountTagMsats: 300, bolt11: makeInvoice({ amountMsats: 300 }) }), 'ignore', "another's billing result");
});

test('a payment the wallet made with a wrong preimage counts as spent: nothing else is paid for the job', async () => {
  const { payer, handed, answer } = heldPayer();
  const { book } = offers(payer);
  const first = makeInvoice({ amountMsats: 500 });
  book.receive(ALICE, 500, first);
  book.receive(BOB, 700, makeInvoice({ amountMsats: 700 }));
  const settling = book.settle();
  answer({
    ok: false,
    kind: 'payment-failed',
    message: 'the wallet paid, but its preimage does not match the invoice',
    paid: { amountMsats: 500, feesMsats: 2, preimage: 'x', paymentHash: 'h', bolt11: first },
  });
  await settling;
  assert.equal(handed.length, 1, 'the second offer is not paid');
  assert.equal(book.settled, true);
  assert.equal(book.money().costMsats, 500);
});
