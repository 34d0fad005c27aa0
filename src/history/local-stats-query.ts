// Per-model local stats (schema v5): median time to first token and tokens/s
// over the latest answers, and the latest load that took noticeable time —
// what "loading llama3 — took 12 s last time" and the metrics view show.
// Reads only idx_jobs_local_stats (schema.ts), never prompts or answers.
import type { Database } from 'sql.js';
import type { LocalModelStats } from './types';

/** the latest answers per model that count; older ones describe another machine state */
const RECENT_ROWS = 5000;
/** Ollama reports a few ms of load_duration for a model already in memory: not a load worth telling */
const NOTICEABLE_LOAD_MS = 250;

const SQL = `
SELECT model, local_ttft_ms, local_tokens_per_sec, local_load_ms
FROM jobs INDEXED BY idx_jobs_local_stats
WHERE model > '' AND lane IS NOT 'served' AND (local_ttft_ms IS NOT NULL OR local_load_ms IS NOT NULL)
ORDER BY submitted_at DESC
LIMIT ${RECENT_ROWS}`;

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function queryLocalModelStats(db: Database): LocalModelStats[] {
  const per = new Map<string, { ttft: number[]; tps: number[]; lastLoadMs: number | null }>();
  for (const [model, ttft, tps, load] of db.exec(SQL)[0]?.values ?? []) {
    const name = String(model);
    let m = per.get(name);
    if (!m) per.set(name, (m = { ttft: [], tps: [], lastLoadMs: null }));
    if (ttft !== null) m.ttft.push(Number(ttft));
    if (tps !== null) m.tps.push(Number(tps));
    // rows come newest first: the first noticeable load is the latest
    if (m.lastLoadMs === null && load !== null && Number(load) >= NOTICEABLE_LOAD_MS) m.lastLoadMs = Number(load);
  }
  return [...per].map(([model, m]) => ({
    model,
    answers: m.ttft.length,
    medianTtftMs: median(m.ttft),
    medianTokensPerSec: median(m.tps),
    lastLoadMs: m.lastLoadMs,
  }));
}
