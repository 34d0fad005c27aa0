// Budgets are reservations in the history database: two `submit`s at once on
// one data dir, each allowed 1000 msats a day (or month), a provider asking
// 800 msats of each. Only one may pay; the wallet (the real NIP-47 test
// service) shows 800 msats in all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProvider } from '../support/test-provider';
import { startPaidMarket, type PaidMarket } from '../support/paid-market';
import { runCli } from '../support/cli';

let market: PaidMarket;
let provider: TestProvider;

before(async () => {
  market = await startPaidMarket();
  provider = await market.addProvider({ paymentRequired: { amountMsats: 800 }, result: 'paid answer' });
});
after(() => market.stop());

async function twoAtOnce(budgetFlag: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sc-budget-'));
  const before = market.wallet.payments.length;
  const args = [...market.submitArgs('worth paying for', dir), '--provider', provider.pubkey, '--swarm-timeout-secs', '20', budgetFlag, '1000', '--json'];
  const runs = await Promise.all([runCli(args, { timeoutMs: 90_000 }), runCli(args, { timeoutMs: 90_000 })]);
  const paid = market.wallet.payments.slice(before);
  return { dir, runs, paid };
}

for (const [flag, name] of [
  ['--daily-budget-msats', 'daily'],
  ['--monthly-budget-msats', 'monthly'],
] as const) {
  test(`two submits at once on one data dir cannot together pass the ${name} budget`, async () => {
    const { dir, runs, paid } = await twoAtOnce(flag);
    assert.equal(
      paid.reduce((sum, p) => sum + p.amountMsats, 0),
      800,
      `the wallet paid ${paid.map((p) => p.amountMsats).join(' + ')}`,
    );
    const codes = runs.map((r) => r.code).sort();
    assert.deepEqual(codes, [0, 1], runs.map((r) => r.stderr + r.stdout).join('\n---\n'));
    const failed = JSON.parse(runs.find((r) => r.code === 1)!.stdout);
    assert.match(failed.swarmError, new RegExp(`would pass the ${name} budget of 1000 msats \\(800 msats spent or reserved`));
    assert.equal(failed.costMsats, 0);
    const m = JSON.parse((await runCli(['metrics', '--json', '--data-dir', dir])).stdout);
    assert.equal(m.totalCostMsats, 800);
    const rows = JSON.parse((await runCli(['history', '--json', '--data-dir', dir])).stdout) as { costMsats: number }[];
    assert.deepEqual(rows.map((r) => r.costMsats).sort(), [0, 800]);
  });
}
