// history.keepDays / --keep-days: rows older than that keep their money and
// metrics, and lose their texts (prompt, question, answer, errors). sql.js
// holds the whole file in memory, and the texts are what make it big.

export const DAY_MS = 86_400_000;

/** Rows submitted before this time lose their texts; null: keep everything (0 days). */
export function retentionCutoff(keepDays: number, nowMs: number = Date.now()): number | null {
  if (!Number.isFinite(keepDays) || keepDays <= 0) return null;
  return nowMs - keepDays * DAY_MS;
}
