// The payments ledger in the history file: reservations made by separate
// store instances (as separate processes make them) never together pass a
// budget or a job's cap; only a failed payment stops counting; settling
// moves the job row along.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHistory } from '../../src/history/sqlite-history';
import { makeRecord } from '../support/history-writer';

const hash = (n: number) => n.toString(16).padStart(64, '0');
const reservation = (n: number, amountMsats: number, jobId = `job-${n}`) => ({
  paymentHash: hash(n),
  bolt11: `lnbc-test-${n}`,
  jobId,
  provider: 'p'.repeat(64),
  amountMsats,
  reservedAt: 1_800_000_000_000,
});
const daily = (limitMsats: number) => ({ capMsats: 10_000, daily: { limitMsats, sinceMs: 0 }, monthly: null });

test('reservations from two stores on one file never pass a budget together', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'sc-ledger-')), 'history.sqlite');
  const [a, b] = [await openHistory(file), await openHistory(file)];
  try {
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => (i % 2 ? a : b).reservePayment(reservation(i, 300), daily(1000))));
    assert.equal(results.filter((r) => r.ok).length, 3, JSON.stringify(results));
    const refused = results.find((r) => !r.ok);
    assert.deepEqual(refused, { ok: false, reason: 'daily-budget', limitMsats: 1000, spentMsats: 900 });
    assert.equal(await a.spentMsatsSince(0), 900);
    assert.equal(await b.spentMsatsSince(0), 900);
  } finally {
    await a.close();
    await b.close();
  }
});

test('a failed payment is released, an unconfirmed one still counts, a paid one is not paid twice', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'sc-ledger-')), 'history.sqlite');
  const store = await openHistory(file);
  try {
    assert.equal((await store.reservePayment(reservation(1, 600), daily(1000))).ok, true);
    await store.settlePayment(hash(1), { state: 'unconfirmed', feesMsats: 0, preimage: null, settledAt: 1 });
    assert.equal((await store.reservePayment(reservation(2, 600), daily(1000))).ok, false, 'the unconfirmed 600 msats count');
    await store.settlePayment(hash(1), { state: 'failed', feesMsats: 0, preimage: null, settledAt: 2 });
    assert.equal((await store.reservePayment(reservation(2, 600), daily(1000))).ok, true, 'released once the wallet says it failed');
    await store.settlePayment(hash(2), { state: 'paid', feesMsats: 5, preimage: 'ab'.repeat(32), settledAt: 3 });
    assert.equal(await store.spentMsatsSince(0), 605);
    assert.deepEqual(await store.reservePayment(reservation(2, 600), daily(10_000)), { ok: false, reason: 'already-paid', state: 'paid' });
    await store.settlePayment(hash(2), { state: 'failed', feesMsats: 0, preimage: null, settledAt: 4 });
    assert.equal(await store.spentMsatsSince(0), 605, 'a paid payment stays paid');
  } finally {
    await store.close();
  }
});

test("a job's payments stay within its cap across stores", async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'sc-ledger-')), 'history.sqlite');
  const [a, b] = [await openHistory(file), await openHistory(file)];
  const cap = { capMsats: 1000, daily: null, monthly: null };
  try {
    const r = await Promise.all([a.reservePayment(reservation(1, 700, 'same'), cap), b.reservePayment(reservation(2, 700, 'same'), cap)]);
    assert.deepEqual(r.map((x) => x.ok).sort(), [false, true]);
  } finally {
    await a.close();
    await b.close();
  }
});

test('metrics count unconfirmed money in the total and say how much; settling later updates the job row', async () => {
  const file = join(await mkdtemp(join(tmpdir(), 'sc-ledger-')), 'history.sqlite');
  const store = await openHistory(file);
  try {
    await store.reservePayment(reservation(7, 800), daily(5000));
    await store.settlePayment(hash(7), { state: 'unconfirmed', feesMsats: 0, preimage: null, settledAt: 1 });
    await store.insert(makeRecord('row', { lane: 'swarm', costMsats: 800, paymentBolt11: 'lnbc-test-7', paymentState: 'unconfirmed' }));
    let m = await store.metrics();
    assert.equal(m.totalCostMsats, 800);
    assert.equal(m.unconfirmedMsats, 800);
    await store.settlePayment(hash(7), { state: 'failed', feesMsats: 0, preimage: null, settledAt: 2 });
    m = await store.metrics();
    assert.equal(m.totalCostMsats, 0);
    assert.equal(m.unconfirmedMsats, undefined);
    const row = await store.get('row');
    assert.equal(row?.paymentState, 'failed');
    assert.equal(row?.costMsats, 0);
  } finally {
    await store.close();
  }
  // a fresh store reads it all back from the files (journal replay)
  const again = await openHistory(file);
  try {
    assert.equal((await again.get('row'))?.paymentState, 'failed');
    assert.deepEqual(
      (await again.paymentsIn(['failed'])).map((p) => p.paymentHash),
      [hash(7)],
    );
  } finally {
    await again.close();
  }
});
