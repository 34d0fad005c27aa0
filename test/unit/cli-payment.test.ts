// Paying from the command line: `submit --nwc` against a provider that asks
// to be paid, over a real relay, with a NIP-47 wallet service that records
// every payment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestRelay } from '../support/relay';
import type { NwcTestWallet } from '../support/nwc-wallet';
import { startPaidMarket, type PaidMarket } from '../support/paid-market';
import { makeInvoice } from '../support/invoices';
import { flags, runCli } from '../support/cli';

let market: PaidMarket;
let relay: TestRelay, wallet: NwcTestWallet;

before(async () => {
  market = await startPaidMarket();
  ({ relay, wallet } = market);
});
after(() => market.stop());

/** A provider asking `amountMsats` (its amount tag may say otherwise), paid with an invoice of ours. */
async function paidProvider(amountMsats: number, amountTagMsats = amountMsats) {
  const invoice = makeInvoice({ amountMsats });
  const provider = await market.addProvider({ paymentRequired: { amountMsats, amountTagMsats, bolt11: invoice.bolt11 }, result: 'paid answer' });
  return { provider, invoice };
}

const args = (dir: string, extra: string[] = []) => [
  ...market.submitArgs('worth paying for', dir),
  '--swarm-timeout-secs',
  '10',
  '--offer-window-secs',
  '0.2',
  ...extra,
];

test('a paid provider within the cap: Cost shows what was paid, the wallet paid exactly once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-pay-'));
  const { provider, invoice } = await paidProvider(700);
  try {
    const before = wallet.payments.length;
    const r = await runCli([...args(dir, ['--provider', provider.pubkey])]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /✓ Completed on swarm\n/);
    assert.match(r.stdout, /\nCost: 700 msats \(0 sats\)\n/);
    assert.match(r.stdout, /paid answer\n$/);
    const mine = wallet.payments.slice(before);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].bolt11, invoice.bolt11);
    assert.equal(mine[0].amountMsats, 700);
    const m = JSON.parse((await runCli(['metrics', '--json', '--data-dir', dir])).stdout);
    assert.equal(m.totalCostMsats, 700);
    const [row] = JSON.parse((await runCli(['history', '--json', '--data-dir', dir])).stdout);
    assert.equal(row.costMsats, 700);
  } finally {
    await provider.stop();
  }
});

test('a provider asking above the cap is refused: Failed naming amount and cap, nothing paid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-pay-'));
  const { provider } = await paidProvider(5000);
  try {
    const before = wallet.payments.length;
    const r = await runCli([...args(dir, ['--provider', provider.pubkey, '--max-price-msats', '1000', '--json'])]);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.lane, 'failed');
    assert.match(out.swarmError, /5000 msats/);
    assert.match(out.swarmError, /1000 msats/);
    assert.equal(out.costMsats, 0);
    assert.equal(wallet.payments.length, before);
  } finally {
    await provider.stop();
  }
});

test('an invoice whose amount differs from the amount tag is never paid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-pay-'));
  const { provider } = await paidProvider(900, 100);
  try {
    const before = wallet.payments.length;
    const r = await runCli([...args(dir, ['--provider', provider.pubkey, '--json'])]);
    assert.equal(r.code, 1);
    assert.equal(wallet.payments.length, before);
    assert.match(JSON.parse(r.stdout).swarmError, /900 msats.*100 msats.*cap 1000 msats/);
  } finally {
    await provider.stop();
  }
});

test('a daily budget that the payment would pass stops it, naming the budget', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-pay-'));
  const { provider } = await paidProvider(700);
  try {
    const before = wallet.payments.length;
    const r = await runCli([...args(dir, ['--provider', provider.pubkey, '--daily-budget-msats', '500', '--json'])]);
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).swarmError, /daily budget/i);
    assert.equal(wallet.payments.length, before);
  } finally {
    await provider.stop();
  }
});

test('without a wallet, a paying provider fails with "no wallet configured" and nothing is paid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-pay-'));
  const { provider } = await paidProvider(700);
  try {
    const r = await runCli([
      'submit',
      ...flags({ prompt: 'x', relay: relay.url, 'data-dir': dir, provider: provider.pubkey, 'swarm-timeout-secs': 10, json: true }),
    ]);
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).swarmError, /payment required, no wallet configured/);
  } finally {
    await provider.stop();
  }
});

// A provider that answers first and bills with the result (pay-after): the
// answer is only taken when its invoice may be paid.
for (const { name, extra, words } of [
  { name: 'passes the daily budget', extra: ['--daily-budget-msats', '500'], words: /daily budget of 500 msats/ },
  { name: 'is above the price cap', extra: ['--max-price-msats', '600'], words: /700 msats, above the cap of 600 msats/ },
]) {
  test(`a pay-after invoice that ${name}: not paid, the job fails naming it, no answer printed`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sc-pay-'));
    const provider = await market.addProvider({ result: 'answer first, bill later', payAfter: { amountMsats: 700 } });
    try {
      const before = wallet.payments.length;
      const r = await runCli([...args(dir, ['--provider', provider.pubkey, '--json', ...extra])]);
      assert.equal(r.code, 1, r.stderr + r.stdout);
      const out = JSON.parse(r.stdout);
      assert.equal(out.lane, 'failed');
      assert.match(out.swarmError, words);
      assert.match(out.swarmError, /its result was not taken/);
      assert.equal(out.costMsats, 0);
      assert.equal(wallet.payments.length, before, 'nothing paid');
      const [row] = JSON.parse((await runCli(['history', '--json', '--data-dir', dir])).stdout);
      assert.equal(row.state, 'failed');
      assert.equal(row.costMsats, 0);
    } finally {
      await provider.stop();
    }
  });
}

test('a pay-after invoice within the cap and budget is paid once and the answer is printed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-pay-'));
  const provider = await market.addProvider({ result: 'answer first, bill later', payAfter: { amountMsats: 700 } });
  try {
    const before = wallet.payments.length;
    const r = await runCli([...args(dir, ['--provider', provider.pubkey, '--daily-budget-msats', '5000', '--json'])]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout);
    assert.equal(out.response, 'answer first, bill later');
    assert.equal(out.costMsats, 700);
    assert.equal(wallet.payments.length - before, 1);
  } finally {
    await provider.stop();
  }
});
