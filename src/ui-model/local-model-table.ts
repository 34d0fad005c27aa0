// The metrics view's "Local models" table: per model, the median time to
// first token and tokens/s from Ollama's done chunks (history schema v5) and
// how long its last load took. Plain HTML, no vscode.
import type { LocalModelStats } from '../history/types';
import { formatDuration } from '../text/format';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function localModelTable(stats: LocalModelStats[]): string {
  const rows = [...stats]
    .sort((a, b) => b.answers - a.answers || a.model.localeCompare(b.model))
    .map(
      (s) =>
        `<tr><td>${esc(s.model)}</td><td class="num">${s.answers}</td>` +
        `<td class="num">${s.medianTtftMs === null ? '—' : esc(formatDuration(s.medianTtftMs))}</td>` +
        `<td class="num">${s.medianTokensPerSec === null ? '—' : esc(`${s.medianTokensPerSec.toFixed(1)} tokens/s`)}</td>` +
        `<td class="num">${s.lastLoadMs === null ? '—' : esc(formatDuration(s.lastLoadMs))}</td></tr>`,
    )
    .join('');
  return `<table class="local-models"><thead><tr><th>Model</th><th>Answers</th><th>Time to first token (median)</th><th>Speed (median)</th><th>Last load</th></tr></thead><tbody>${
    rows || '<tr><td colspan="5">No local answers measured yet.</td></tr>'
  }</tbody></table>`;
}
