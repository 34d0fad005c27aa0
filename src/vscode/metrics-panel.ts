// The metrics view: totals, and lanes and spend per day over the last two
// weeks as SVG bar charts. Static HTML (no script at all), refreshed when a
// run finishes while it is open.
import * as vscode from 'vscode';
import type { JobRecord, Metrics } from '../history/types';
import type { WindowEngine } from './window-engine';
import type { ChatSession } from './chat-session';
import { formatDuration, formatSats } from '../text/format';
import { localModelTable } from '../ui-model/local-model-table';
import type { LocalModelStats } from '../history/types';
import { answerCounts, endCounts, questionTitle, rowOutcome } from '../ui-model/job-counts';

const DAYS = 14;
const ROWS = 5000;

export interface DaySummary {
  day: string; // YYYY-MM-DD, local time
  local: number;
  swarm: number;
  failed: number;
  spentMsats: number;
}

function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function summariseDays(records: JobRecord[], now = Date.now(), days = DAYS): DaySummary[] {
  const out: DaySummary[] = [];
  const index = new Map<string, DaySummary>();
  const today = new Date(now);
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() - i);
    const s = { day: dayKey(d.getTime()), local: 0, swarm: 0, failed: 0, spentMsats: 0 };
    out.push(s);
    index.set(s.day, s);
  }
  for (const r of records) {
    if (r.lane === 'served') continue;
    const s = index.get(dayKey(r.submittedAt));
    if (!s) continue;
    if (r.lane === 'local') s.local++;
    else if (r.lane === 'swarm') s.swarm++;
    else if (r.state !== 'cancelled') s.failed++;
    // a stopped run is neither an answer nor a failure
    s.spentMsats += r.costMsats + r.feesMsats;
  }
  return out;
}

export class MetricsPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | null = null;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly engines: WindowEngine,
    session: ChatSession,
  ) {
    this.disposables.push(
      session.onDidFinish(() => {
        if (this.panel) void this.update();
      }),
    );
  }

  async show(): Promise<void> {
    if (this.panel) {
      this.panel.reveal();
    } else {
      this.panel = vscode.window.createWebviewPanel('swarmCompute.metrics', 'Swarm Compute Metrics', vscode.ViewColumn.Active, {
        // The page has no script and its CSP allows none (script-src 'none'); scripts are "enabled" only so
        // the frame is not sandboxed without them, which lets accessibility tools (axe in the UI tests,
        // screen-reader helpers) look inside it.
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')],
      });
      this.panel.onDidDispose(() => (this.panel = null), undefined, this.disposables);
    }
    await this.update();
  }

  private async update(): Promise<void> {
    if (!this.panel) return;
    const webview = this.panel.webview;
    try {
      const history = (await this.engines.get()).history;
      const [metrics, records, today, localStats] = await Promise.all([
        history.metrics(),
        history.list(ROWS),
        history.spentMsatsSince(new Date(new Date().setHours(0, 0, 0, 0)).getTime()),
        history.localModelStats ? history.localModelStats() : Promise.resolve([]),
      ]);
      if (this.panel) webview.html = this.html(webview, metrics, summariseDays(records), records, today, localStats);
    } catch (err) {
      if (this.panel)
        webview.html = this.page(webview, `<p class="error">The history could not be read: ${esc(err instanceof Error ? err.message : String(err))}</p>`);
    }
  }

  private page(webview: vscode.Webview, body: string): string {
    const css = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'metrics.css'));
    const csp = `default-src 'none'; script-src 'none'; style-src ${webview.cspSource}; img-src ${webview.cspSource}`;
    return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${css}" rel="stylesheet"><title>Swarm Compute Metrics</title></head>
<body>${body}</body></html>`;
  }

  private html(webview: vscode.Webview, m: Metrics, days: DaySummary[], records: JobRecord[], todayMsats: number, localStats: LocalModelStats[] = []): string {
    const consumer = records.filter((r) => r.lane !== 'served');
    const done = consumer.filter((r) => r.durationMs !== null && r.state === 'completed');
    const avg = (lane: string) => {
      const xs = done.filter((r) => r.lane === lane).map((r) => r.durationMs!);
      return xs.length ? formatDuration(xs.reduce((a, b) => a + b, 0) / xs.length) : '—';
    };
    const counts = answerCounts(m);
    const ends = endCounts(consumer);
    const cards = [
      ['Spent today', formatSats(todayMsats), 'today'],
      ['Spent in total', formatSats(m.totalCostMsats), 'total'],
      ['Local answers', `${counts.local} (${Math.round(m.localSuccessRate)}% of local tries)`, 'local'],
      ['Swarm answers', `${counts.swarm} of ${m.swarmSuccess + m.swarmFailure} tries`, 'swarm'],
      ['Failed', String(ends.failed), 'failed'],
      ['Stopped', String(ends.stopped), 'stopped'],
      ['Fallback rate', `${Math.round(m.fallbackRate)}%`, 'fallback'],
      ['Average time', `local ${avg('local')} · swarm ${avg('swarm')}`, 'time'],
    ]
      .map(([k, v, key]) => `<div class="card" data-card="${key}"><div class="card-label">${esc(k)}</div><div class="card-value">${esc(v)}</div></div>`)
      .join('');
    const recent = consumer
      .slice(0, 15)
      .map(
        (r) =>
          `<tr><td>${esc(new Date(r.submittedAt).toLocaleString())}</td><td><span class="lane lane-${rowOutcome(r).replace(' ', '-')}">${rowOutcome(r)}</span></td><td>${esc(r.model)}</td><td class="num">${esc(formatSats(r.costMsats + r.feesMsats))}</td><td class="num">${r.durationMs === null ? '—' : esc(formatDuration(r.durationMs))}</td><td class="prompt">${esc(questionTitle(r.prompt))}</td></tr>`,
      )
      .join('');
    return this.page(
      webview,
      `<h1>Swarm Compute metrics</h1>
<section class="cards">${cards}</section>
<section><h2>Answers per day, by lane</h2>${laneChart(days)}
<p class="legend"><span class="swatch local"></span>local <span class="swatch swarm"></span>swarm <span class="swatch failed"></span>failed</p></section>
<section><h2>Spend per day</h2>${spendChart(days)}</section>
<section><h2>Local models</h2>${localModelTable(localStats)}</section>
<section><h2>Recent jobs</h2>
<table><thead><tr><th>When</th><th>Lane</th><th>Model</th><th>Cost</th><th>Time</th><th>Prompt</th></tr></thead><tbody>${recent || '<tr><td colspan="6">No jobs yet.</td></tr>'}</tbody></table></section>`,
    );
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

const W = 560;
const H = 160;
const PAD = 24;

function axisLabels(days: DaySummary[], bw: number): string {
  return days
    .map((d, i) =>
      i % 2 === days.length % 2 ? '' : `<text class="axis" x="${PAD + i * bw + bw / 2}" y="${H - 6}" text-anchor="middle">${d.day.slice(5)}</text>`,
    )
    .join('');
}

export function laneChart(days: DaySummary[]): string {
  const max = Math.max(1, ...days.map((d) => d.local + d.swarm + d.failed));
  const bw = (W - PAD * 2) / days.length;
  const scale = (H - PAD * 2) / max;
  const bars = days
    .map((d, i) => {
      let y = H - PAD;
      const x = PAD + i * bw + 2;
      const seg = (n: number, cls: string) => {
        if (!n) return '';
        const h = n * scale;
        y -= h;
        return `<rect class="${cls}" x="${x}" y="${y}" width="${bw - 4}" height="${h}"><title>${d.day}: ${n} ${cls}</title></rect>`;
      };
      return seg(d.local, 'local') + seg(d.swarm, 'swarm') + seg(d.failed, 'failed');
    })
    .join('');
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Answers per day by lane, last ${days.length} days"><text class="axis" x="2" y="${PAD - 8}">${max}</text><line class="base" x1="${PAD}" x2="${W - PAD}" y1="${H - PAD}" y2="${H - PAD}"/>${bars}${axisLabels(days, bw)}</svg>`;
}

export function spendChart(days: DaySummary[]): string {
  const spent = Math.max(0, ...days.map((d) => d.spentMsats));
  if (spent === 0) return `<p class="empty-chart">Nothing spent in the last ${days.length} days.</p>`;
  const max = spent;
  const bw = (W - PAD * 2) / days.length;
  const scale = (H - PAD * 2) / max;
  const bars = days
    .map((d, i) => {
      if (!d.spentMsats) return '';
      const h = d.spentMsats * scale;
      return `<rect class="spend" x="${PAD + i * bw + 2}" y="${H - PAD - h}" width="${bw - 4}" height="${h}"><title>${d.day}: ${esc(formatSats(d.spentMsats))}</title></rect>`;
    })
    .join('');
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Spend per day, last ${days.length} days"><text class="axis" x="2" y="${PAD - 8}">${esc(formatSats(max))}</text><line class="base" x1="${PAD}" x2="${W - PAD}" y1="${H - PAD}" y2="${H - PAD}"/>${bars}${axisLabels(days, bw)}</svg>`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
