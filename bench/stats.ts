// Figures: min / median / max over repeated runs, ratios taken per run
// between two things measured side by side, and the table they print as.

export interface Summary {
  min: number;
  median: number;
  max: number;
  n: number;
}

export function summarize(values: number[]): Summary {
  if (values.length === 0) return { min: NaN, median: NaN, max: NaN, n: 0 };
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { min: v[0], median, max: v[v.length - 1], n: v.length };
}

export interface Row {
  item: string;
  figure: string;
  unit: string;
  ours: Summary | null;
  /** the same thing done with the raw client, in the same run */
  raw?: Summary | null;
  /** ours / raw, per pair of runs */
  ratio?: Summary | null;
  /** ours − raw, per pair of runs (same unit) */
  delta?: Summary | null;
  target?: string;
  /** whether the target is met (by the median), when there is one */
  met?: boolean | null;
  note?: string;
}

export function pairwise(ours: number[], raw: number[], f: (a: number, b: number) => number): number[] {
  const n = Math.min(ours.length, raw.length);
  return Array.from({ length: n }, (_, i) => f(ours[i], raw[i]));
}

/** ours and raw measured in the same runs: their summaries, and ours / raw and ours − raw taken per pair of runs. */
export function sideBySide(ours: number[], raw: number[]): { ours: Summary; raw: Summary; ratio: Summary; delta: Summary } {
  return {
    ours: summarize(ours),
    raw: summarize(raw),
    ratio: summarize(pairwise(ours, raw, (a, b) => a / b)),
    delta: summarize(pairwise(ours, raw, (a, b) => a - b)),
  };
}

/** A row in ms whose target is a most ours / raw (by the median). */
export function ratioRow(item: string, figure: string, m: { ours: number[]; raw: number[] }, maxRatio: number, note?: string): Row {
  const s = sideBySide(m.ours, m.raw);
  return { item, figure, unit: 'ms', ...s, target: `ratio ≤ ${maxRatio}`, met: s.ratio.median <= maxRatio, note };
}

const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

export function formatSummary(s: Summary | null | undefined, digits = 1): string {
  if (!s || s.n === 0) return '-';
  return `${fmt(s.min, digits)} / ${fmt(s.median, digits)} / ${fmt(s.max, digits)}`;
}

export function renderTable(rows: Row[]): string {
  const header = ['item', 'figure', 'unit', 'ours min/med/max', 'raw min/med/max', 'ratio (med)', 'Δ (med)', 'target', 'met'];
  const body = rows.map((r) => [
    r.item,
    r.figure,
    r.unit,
    formatSummary(r.ours),
    formatSummary(r.raw),
    r.ratio ? fmt(r.ratio.median, 3) : '',
    r.delta ? fmt(r.delta.median, 2) : '',
    r.target ?? '',
    r.met === undefined || r.met === null ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let last = '';
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].item !== last && i > 0) out.push('');
    last = rows[i].item;
    out.push(line(body[i]));
  }
  const notes = rows.filter((r) => r.note).map((r) => `  ${r.item} ${r.figure}: ${r.note}`);
  if (notes.length > 0) out.push('', 'notes:', ...notes);
  return out.join('\n');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Milliseconds since `start` (performance.now()). */
export const since = (start: number) => performance.now() - start;
