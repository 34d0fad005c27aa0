// Consumer metrics (CLI.md "metrics") and spend, straight from the jobs table.
// Rows with lane 'served' (provider mode) are someone else's jobs: excluded.
// A row whose lane is still NULL (a run in progress) is a consumer row.
import type { Database } from 'sql.js';
import type { Metrics } from './types';

const CONSUMER = `lane IS NOT 'served'`;
const count = (cond: string) => `COALESCE(SUM(CASE WHEN ${cond} THEN 1 ELSE 0 END), 0)`;

// totalCostMsats counts cost_msats only: what was paid to providers for
// answers. Routing fees (fees_msats) are not a price of compute; they do
// count against spend budgets (spentMsatsSince).
const METRICS_SQL = `
SELECT ${count(`local_outcome = 'success'`)}  AS local_success,
       ${count(`local_outcome = 'failure'`)}  AS local_failure,
       ${count(`swarm_start = 'fallback'`)}   AS swarm_fallback,
       ${count(`swarm_start = 'direct'`)}     AS swarm_direct,
       ${count(`swarm_outcome = 'success'`)}  AS swarm_success,
       ${count(`swarm_outcome = 'failure'`)}  AS swarm_failure,
       COALESCE(SUM(cost_msats), 0)           AS total_cost_msats
FROM jobs WHERE ${CONSUMER}`;

export function queryMetrics(db: Database): Metrics {
  const row = db.exec(METRICS_SQL)[0].values[0].map(Number);
  const [localSuccess, localFailure, swarmFallback, swarmDirect, swarmSuccess, swarmFailure, totalCostMsats] = row;
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
  };
}

export function querySpentSince(db: Database, sinceMs: number): number {
  const stmt = db.prepare(`SELECT COALESCE(SUM(cost_msats + fees_msats), 0) FROM jobs WHERE ${CONSUMER} AND submitted_at >= ?`);
  try {
    stmt.bind([sinceMs]);
    stmt.step();
    return Number(stmt.get()[0]);
  } finally {
    stmt.free();
  }
}
