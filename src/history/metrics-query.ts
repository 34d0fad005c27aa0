// Consumer metrics (CLI.md "metrics") and spend, straight from the jobs table.
// Rows with lane 'served' (provider mode) are someone else's jobs: excluded.
// A row whose lane is still NULL (a run in progress) is a consumer row.
import type { Database } from 'sql.js';
import { hasPaymentsTable, paymentTotals, spentSince } from './payment-ledger';
import type { Metrics } from './types';

const CONSUMER = `lane IS NOT 'served'`;

// One row per combination of outcomes (a handful), read from the covering
// index idx_jobs_metrics (schema.ts) in its own order: at 100k jobs this
// reads ~3 MB of index instead of the table, and SQLite does no per-row
// arithmetic beyond counting. The sums are made here.
// totalCostMsats counts cost_msats only: what was paid to providers for
// answers. Routing fees (fees_msats) are not a price of compute; they do
// count against spend budgets (spentMsatsSince).
const METRICS_SQL = `
SELECT lane, local_outcome, swarm_start, swarm_outcome, count(*), COALESCE(SUM(cost_msats), 0)
FROM jobs
GROUP BY lane, local_outcome, swarm_start, swarm_outcome`;

export function queryMetrics(db: Database): Metrics {
  let localSuccess = 0;
  let localFailure = 0;
  let swarmFallback = 0;
  let swarmDirect = 0;
  let swarmSuccess = 0;
  let swarmFailure = 0;
  let totalCostMsats = 0;
  for (const [lane, localOutcome, swarmStart, swarmOutcome, n, cost] of db.exec(METRICS_SQL)[0]?.values ?? []) {
    if (lane === 'served') continue;
    const count = Number(n);
    if (localOutcome === 'success') localSuccess += count;
    if (localOutcome === 'failure') localFailure += count;
    if (swarmStart === 'fallback') swarmFallback += count;
    if (swarmStart === 'direct') swarmDirect += count;
    if (swarmOutcome === 'success') swarmSuccess += count;
    if (swarmOutcome === 'failure') swarmFailure += count;
    totalCostMsats += Number(cost);
  }
  // schema v6: money comes from the payments (unconfirmed ones count in full), older rows from their cost
  let unconfirmedMsats = 0;
  if (hasPaymentsTable(db)) ({ costMsats: totalCostMsats, unconfirmedMsats } = paymentTotals(db));
  const localAttempts = localSuccess + localFailure;
  return {
    localSuccess,
    localFailure,
    swarmFallback,
    swarmDirect,
    swarmSuccess,
    swarmFailure,
    totalCostMsats,
    localSuccessRate: localAttempts === 0 ? 0 : (localSuccess / localAttempts) * 100,
    fallbackRate: localAttempts === 0 ? 0 : (swarmFallback / localAttempts) * 100,
    // only when there is some: the contract's object keeps its shape otherwise
    ...(unconfirmedMsats > 0 ? { unconfirmedMsats } : {}),
  };
}

export function querySpentSince(db: Database, sinceMs: number): number {
  if (hasPaymentsTable(db)) return spentSince(db, sinceMs);
  const stmt = db.prepare(`SELECT COALESCE(SUM(cost_msats + fees_msats), 0) FROM jobs WHERE ${CONSUMER} AND submitted_at >= ?`);
  try {
    stmt.bind([sinceMs]);
    stmt.step();
    return Number(stmt.get()[0]);
  } finally {
    stmt.free();
  }
}
