// The history columns the local lane and hedging fill (schema v5): kept
// apart from recordPatch so the row's other columns stay as they were.
import type { FallbackTrace } from '../fallback/fallback-manager';
import type { HistoryStore, JobRecord } from '../history/types';

export function localRecordFields(trace: FallbackTrace): Partial<JobRecord> {
  const { local, hedge } = trace;
  const stats = local?.ok ? local.stats : undefined;
  return {
    localPartial: local && !local.ok && local.partial ? local.partial : null,
    localTtftMs: local ? local.ttftMs : null,
    localLoadMs: stats?.loadMs ?? null,
    localTokensPerSec: stats?.tokensPerSec ?? null,
    localRemoteHost: local?.ok ? (local.remoteHost ?? null) : null,
    hedged: Boolean(hedge),
    hedgeWinner: hedge?.winner ?? null,
    hedgeLoserOutcome: hedge?.loserOutcome ?? null,
  };
}

/** How long `model` took to load the last time it loaded noticeably, from history; null when unknown. */
export async function lastLoadMs(history: HistoryStore, model: string): Promise<number | null> {
  if (!history.localModelStats) return null;
  const all = await history.localModelStats();
  return all.find((s) => s.model === model)?.lastLoadMs ?? null;
}
