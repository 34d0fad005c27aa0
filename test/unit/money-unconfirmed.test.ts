// A payment the wallet did not confirm counts as spent: a wallet that pays
// but answers after the pay timeout, and one that holds the payment (never
// answers). Driven through the built CLI with the real relay, the NIP-47 test
// wallet and two test providers offering invoices for one untargeted job.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestRelay } from '../support/relay';
import type { TestProvider } from '../support/test-provider';
import type { NwcTestWallet } from '../support/nwc-wallet';
import { startPaidMarket, type PaidMarket } from '../support/paid-market';
import { runCli } from '../support/cli';

let market: PaidMarket;
let relay: TestRelay, wallet: NwcTestWallet, cheap: TestProvider, dear: TestProvider;

before(async () => {
  market = await startPaidMarket();
  ({ relay, wallet } = market);
  cheap = await market.addProvider({ paymentRequired: { amountMsats: 600 }, result: 'cheap answer' });
  dear = await market.addProvider({ paymentRequired: { amountMsats: 800 }, result: 'dear answer' });
});
after(() => market.stop());

const env = { SWARM_COMPUTE_PAY_TIMEOUT_MS: '1500' };
const submit = (dir: string, extra: string[] = [], timeoutSecs = '12') =>
  runCli(
    [...market.submitArgs('pay me', dir), '--max-price-msats', '2000', '--offer-window-secs', '1', '--swarm-timeout-secs', timeoutSecs, '--json', ...extra],
    { env, timeoutMs: 90_000 },
  );
const payRequests = () => wallet.requests.filter((r) => r.method === 'pay_invoice').length;

test('a wallet that pays but answers late: counted in full as unconfirmed, no second invoice paid, settled by lookup_invoice later', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-unconfirmed-'));
  wallet.setDelay('pay_invoice', 4000);
  const askedBefore = payRequests();
  const paidBefore = wallet.payments.length;
  let r;
  try {
    r = await submit(dir);
  } finally {
    wallet.setDelay('pay_invoice', 0);
  }
  assert.equal(payRequests() - askedBefore, 1, 'after an unconfirmed payment the job pays no other invoice');
  assert.deepEqual(
    wallet.payments.slice(paidBefore).map((p) => p.amountMsats),
    [600],
  );
  const out = JSON.parse(r.stdout);
  assert.equal(out.costMsats, 600, r.stderr);
  assert.equal(out.paymentUnconfirmed, true);
  assert.match(r.stderr, /payment of 600 msats not confirmed/);

  const [row] = JSON.parse((await runCli(['history', '--json', '--data-dir', dir])).stdout);
  assert.equal(row.costMsats, 600);
  assert.equal(row.paymentState, 'unconfirmed');
  const m = JSON.parse((await runCli(['metrics', '--json', '--data-dir', dir])).stdout);
  assert.equal(m.totalCostMsats, 600);
  assert.equal(m.unconfirmedMsats, 600);

  // the next job looks it up first (lookup_invoice: settled), and its budget counts the 600 msats
  const next = await submit(dir, ['--daily-budget-msats', '1000']);
  assert.equal(next.code, 1, next.stderr);
  assert.match(JSON.parse(next.stdout).swarmError, /would pass the daily budget of 1000 msats \(600 msats spent/);
  assert.ok(wallet.requests.some((q) => q.method === 'lookup_invoice'));
  const rows = JSON.parse((await runCli(['history', '--json', '--data-dir', dir])).stdout);
  const settled = rows.find((x: { costMsats: number }) => x.costMsats === 600);
  assert.equal(settled.paymentState, undefined, 'settled to paid: no longer unconfirmed');
  const after = JSON.parse((await runCli(['metrics', '--json', '--data-dir', dir])).stdout);
  assert.equal(after.totalCostMsats, 600);
  assert.equal(after.unconfirmedMsats, undefined);
});

test('a held payment (the wallet never answers) counts against later budgets and stays unconfirmed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-held-'));
  wallet.setMethodSilent('pay_invoice', true);
  const askedBefore = payRequests();
  try {
    const r = await submit(dir, ['--provider', cheap.pubkey], '4');
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.costMsats, 600);
    assert.equal(out.paymentUnconfirmed, true);
    assert.equal(payRequests() - askedBefore, 1);
    const second = await submit(dir, ['--provider', dear.pubkey, '--daily-budget-msats', '1000'], '6');
    assert.equal(second.code, 1);
    assert.match(JSON.parse(second.stdout).swarmError, /would pass the daily budget of 1000 msats \(600 msats spent/);
    assert.equal(payRequests() - askedBefore, 1, 'the budget stopped it before the wallet was asked');
    const rows = JSON.parse((await runCli(['history', '--json', '--data-dir', dir])).stdout);
    assert.deepEqual(
      rows.map((x: { paymentState?: string }) => x.paymentState ?? null),
      [null, 'unconfirmed'],
    );
  } finally {
    wallet.setMethodSilent('pay_invoice', false);
  }
});

test('a wallet slower than the swarm timeout does not hold the job past it: the payment counts as unconfirmed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-slow-wallet-'));
  wallet.setMethodSilent('pay_invoice', true);
  const askedBefore = payRequests();
  try {
    // the wallet is given a minute to answer; the job only 3 s for its result
    const r = await runCli(
      [
        ...market.submitArgs('pay me', dir),
        '--provider',
        cheap.pubkey,
        '--max-price-msats',
        '2000',
        '--offer-window-secs',
        '0',
        '--swarm-timeout-secs',
        '3',
        '--json',
      ],
      { env: { SWARM_COMPUTE_PAY_TIMEOUT_MS: '60000' }, timeoutMs: 90_000 },
    );
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.match(out.swarmError, /within 3 s/);
    assert.equal(out.costMsats, 600, 'the unanswered payment counts in full');
    assert.equal(out.paymentUnconfirmed, true);
    assert.equal(payRequests() - askedBefore, 1);
    // the run ended at its swarm timeout (plus the wallet's short grace), not at the wallet's minute
    assert.ok(out.durationMs < 30_000, `the run took ${out.durationMs} ms`);
    const rows = JSON.parse((await runCli(['history', '--json', '--data-dir', dir])).stdout);
    assert.equal(rows[0].paymentState, 'unconfirmed');
  } finally {
    wallet.setMethodSilent('pay_invoice', false);
  }
});
