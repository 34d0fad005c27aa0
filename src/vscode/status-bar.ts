// The status-bar cost indicator: which lane is healthy and what the swarm
// cost today, with a Markdown tooltip (Ollama, relays, spend, jobs, fallback
// rate) and theme colours for warnings. A click opens the metrics view.
import * as vscode from 'vscode';
import type { Metrics } from '../history/types';
import type { WindowEngine } from './window-engine';
import type { ChatSession } from './chat-session';
import { formatSats } from '../text/format';
import { probeOllama, type OllamaStatus } from '../probes/ollama-status';
import { probeRelays, type RelayStatus } from '../probes/relay-probe';
import { readSettings, SECTION, usesLocal, usesSwarm } from './settings';
import { MODE_LABELS } from '../ui-model/protocol';
import type { ModelSharing } from './model-sharing';
import { sharingLine } from './sharing-status';
import { gatewayLine, type LocalGateway } from './local-gateway';
import { needsSetup, setupContext, type SetupFacts } from '../ui-model/first-run';
import { findOnPath } from '../local/ollama-cli';
import { countsLine } from '../ui-model/job-counts';
import type { SecretsStore } from './secrets';

const OLLAMA_EVERY_MS = 60_000;
/** while the local model is down or not pulled, look again this often: starting Ollama or a pull shows soon */
const OLLAMA_DOWN_EVERY_MS = 5_000;
const RELAYS_EVERY_MS = 5 * 60_000;
const OLLAMA_REUSE_MS = 2000;

export interface StatusSnapshot {
  text: string;
  tooltip: string;
  todayMsats: number;
  monthMsats: number;
  warning: 'none' | 'warning' | 'error';
  /** nothing configured yet: the item says "set up" and opens the walkthrough */
  setup: boolean;
}

export function startOfLocalDay(now = new Date()): number {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
}

export function startOfLocalMonth(now = new Date()): number {
  return new Date(now.getFullYear(), now.getMonth(), 1).getTime();
}

export class CostStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private ollama: OllamaStatus | null = null;
  private relays: RelayStatus[] | null = null;
  private relaysCheckedAt = 0;
  private ollamaCheckedAt = 0;
  private pending: Promise<StatusSnapshot> | null = null;
  private next: Promise<StatusSnapshot> | null = null;
  private last: StatusSnapshot | null = null;
  private readonly timer: NodeJS.Timeout;
  private lastRefreshAt = 0;
  private readonly ollamaChanged = new vscode.EventEmitter<OllamaStatus | null>();
  /** Ollama came up, went away, or its models changed (the chat's model picker listens) */
  readonly onDidChangeOllama = this.ollamaChanged.event;

  constructor(
    private readonly engines: WindowEngine,
    session: ChatSession,
    private readonly log: vscode.LogOutputChannel,
    private readonly sharing: ModelSharing,
    private readonly gateway?: LocalGateway,
    private readonly secrets?: SecretsStore,
  ) {
    this.item = vscode.window.createStatusBarItem('swarmCompute.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Swarm Compute';
    this.item.command = { command: 'swarmCompute.showMetrics', title: 'Show Swarm Compute Metrics' };
    this.item.text = '$(zap) Swarm Compute';
    this.item.tooltip = 'Swarm Compute: starting…';
    this.item.show();
    this.disposables.push(
      this.item,
      session.onDidFinish((e) => {
        if (e.result.lane !== 'local') this.relaysCheckedAt = 0;
        this.ollamaCheckedAt = 0;
        void this.refresh();
      }),
      engines.onDidLoad(() => void this.refresh()),
      sharing.onDidChange(() => void this.refresh()),
      ...(gateway ? [gateway.onDidChange(() => void this.refresh())] : []),
      ...(secrets ? [secrets.onDidChange(() => void this.refresh())] : []),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) {
          this.ollama = null;
          this.relaysCheckedAt = 0;
          void this.refresh();
        }
      }),
    );
    this.disposables.push(this.ollamaChanged);
    this.timer = setInterval(() => {
      const down = this.ollama !== null && (!this.ollama.running || !this.ollama.modelPulled);
      if (down || Date.now() - this.lastRefreshAt >= OLLAMA_EVERY_MS) void this.refresh();
    }, OLLAMA_DOWN_EVERY_MS);
    void this.refresh();
  }

  get snapshot(): StatusSnapshot | null {
    return this.last;
  }

  /** Looks at Ollama again now (the chat became visible, a run ended). */
  refreshLocal(): Promise<StatusSnapshot> {
    this.ollamaCheckedAt = 0;
    return this.refresh();
  }

  /** Recomputes; a call during a pass gets the next pass (which reads settings after the call), shared by all such calls. */
  refresh(): Promise<StatusSnapshot> {
    if (this.pending) {
      this.next ??= this.pending
        .catch(() => undefined)
        .then(() => {
          this.next = null;
          return this.refresh();
        });
      return this.next;
    }
    this.pending = this.compute()
      .then((s) => {
        this.last = s;
        return s;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  private async compute(): Promise<StatusSnapshot> {
    const settings = readSettings();
    const signal = new AbortController().signal;
    const probes: Promise<unknown>[] = [];
    // Sharing reports every job: a burst of refreshes reuses a probe a few seconds old.
    if (usesLocal(settings.mode) && (this.ollama === null || Date.now() - this.ollamaCheckedAt > OLLAMA_REUSE_MS)) {
      this.ollamaCheckedAt = Date.now();
      const before = this.ollama;
      probes.push(
        probeOllama(settings.ollamaHost, settings.model, signal).then((s) => {
          this.ollama = s;
          if (before?.running !== s.running || before?.models.join('\n') !== s.models.join('\n')) this.ollamaChanged.fire(s);
        }),
      );
    } else if (!usesLocal(settings.mode)) this.ollama = null;
    if (usesSwarm(settings.mode) && Date.now() - this.relaysCheckedAt > RELAYS_EVERY_MS) {
      this.relaysCheckedAt = Date.now();
      probes.push(probeRelays(settings.relays, 4000).then((r) => (this.relays = r)));
    } else if (!usesSwarm(settings.mode)) this.relays = null;
    await Promise.all(probes);
    this.lastRefreshAt = Date.now();

    let today = 0;
    let month = 0;
    let metrics: Metrics | null = null;
    if (this.engines.isLoaded) {
      try {
        const history = (await this.engines.get()).history;
        [today, month, metrics] = await Promise.all([
          history.spentMsatsSince(startOfLocalDay()),
          history.spentMsatsSince(startOfLocalMonth()),
          history.metrics(),
        ]);
      } catch (err) {
        this.log.warn(`status bar: history not read: ${err instanceof Error ? err.message : String(err)}`);
      }
    }

    const localDown = this.ollama !== null && (!this.ollama.running || !this.ollama.modelPulled);
    const swarmDown = this.relays !== null && this.relays.length > 0 && this.relays.every((r) => !r.reachable);
    const noLane =
      (settings.mode === 'swarm-only' && swarmDown) ||
      ((settings.mode === 'local-only' || settings.mode === 'local-no-fallback') && localDown) ||
      (settings.mode === 'fallback' && localDown && swarmDown);
    const overBudget =
      (settings.dailyBudgetMsats !== null && today >= settings.dailyBudgetMsats) ||
      (settings.monthlyBudgetMsats !== null && month >= settings.monthlyBudgetMsats);
    const warning: StatusSnapshot['warning'] = noLane || overBudget ? 'error' : localDown || swarmDown ? 'warning' : 'none';

    const laneIcon = settings.mode === 'swarm-only' ? '$(cloud)' : localDown ? '$(warning)' : '$(vm-active)';
    const onlyModelMissing = this.ollama?.running === true && !this.ollama.modelPulled;
    const laneText =
      settings.mode === 'swarm-only'
        ? 'swarm'
        : localDown
          ? settings.mode === 'fallback'
            ? onlyModelMissing
              ? 'model not pulled, swarm next'
              : 'local down, swarm next'
            : onlyModelMissing
              ? 'model not pulled'
              : 'local down'
          : 'local';
    const facts: SetupFacts = {
      ollamaInstalled: findOnPath('ollama') !== null,
      ollama: this.ollama,
      walletConnected: (await this.secrets?.nwcUri().catch(() => null)) != null,
      answers: metrics ? metrics.localSuccess + metrics.swarmSuccess : this.engines.isLoaded ? null : 0,
      sharing: this.sharing.active,
    };
    this.setContext(setupContext(facts));
    const setup = needsSetup(facts) && !overBudget;
    if (setup) {
      // A first start is not an alarm: nothing is broken, nothing is set up yet.
      const text = '$(rocket) Swarm Compute: set up';
      const md = new vscode.MarkdownString(undefined, true);
      md.isTrusted = { enabledCommands: ['swarmCompute.getStarted', 'swarmCompute.openChat'] };
      md.appendMarkdown(
        `**Swarm Compute** is not set up yet: ${facts.ollamaInstalled ? (this.ollama?.running ? `pull ${code(settings.model)} for local answers` : 'start Ollama for local answers') : 'install Ollama for local answers'}, or connect a wallet to use the swarm.

[Get started](command:swarmCompute.getStarted) · [Chat](command:swarmCompute.openChat)`,
      );
      this.item.text = text;
      this.item.tooltip = md;
      this.item.backgroundColor = undefined;
      this.item.command = { command: 'swarmCompute.getStarted', title: 'Set up Swarm Compute' };
      this.item.accessibilityInformation = { label: 'Swarm Compute is not set up yet. Open Get Started.', role: 'button' };
      return { text, tooltip: md.value, todayMsats: today, monthMsats: month, warning: 'none', setup: true };
    }
    this.item.command = { command: 'swarmCompute.showMetrics', title: 'Show Swarm Compute Metrics' };

    const text = `${laneIcon} ${laneText}  $(zap) ${formatSats(today)}`;
    const tooltip = this.tooltip(settings, today, month, metrics);

    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor =
      warning === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : warning === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.accessibilityInformation = {
      label: `Swarm Compute: ${laneText}, spent ${formatSats(today)} today. Open metrics.`,
      role: 'button',
    };
    return { text, tooltip: tooltip.value, todayMsats: today, monthMsats: month, warning, setup: false };
  }

  private contextShown = new Map<string, boolean>();

  private setContext(values: Record<string, boolean>): void {
    for (const [key, value] of Object.entries(values)) {
      if (this.contextShown.get(key) === value) continue;
      this.contextShown.set(key, value);
      void vscode.commands.executeCommand('setContext', key, value);
    }
  }

  private tooltip(settings: ReturnType<typeof readSettings>, today: number, month: number, m: Metrics | null): vscode.MarkdownString {
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: ['swarmCompute.showMetrics', 'swarmCompute.diagnoseConnection', 'swarmCompute.openChat'] };
    md.appendMarkdown(`**Swarm Compute** — ${MODE_LABELS[settings.mode]}\n\n`);
    if (this.ollama) {
      const o = this.ollama;
      const state = !o.running
        ? `$(error) not running (${escapeMd(o.error ?? 'unreachable')})`
        : o.modelPulled
          ? `$(pass) ${escapeMd(o.version ?? '')} · ${code(settings.model)} ready`
          : `$(warning) running, ${code(settings.model)} not pulled`;
      md.appendMarkdown(`Ollama: ${state}\n\n`);
    }
    if (this.relays) {
      const up = this.relays.filter((r) => r.reachable).length;
      md.appendMarkdown(`Relays: ${up}/${this.relays.length} reachable\n\n`);
    }
    md.appendMarkdown(`Spent today: **${formatSats(today)}** · this month: **${formatSats(month)}**`);
    if (settings.dailyBudgetMsats !== null) md.appendMarkdown(` (daily budget ${formatSats(settings.dailyBudgetMsats)})`);
    md.appendMarkdown('\n\n');
    if (m) md.appendMarkdown(`${countsLine(m)}\n\n`);
    const shared = sharingLine(this.sharing.status);
    if (shared) md.appendMarkdown(`${shared}\n\n`);
    const gatewayShown = this.gateway ? gatewayLine(this.gateway.status) : null;
    if (gatewayShown) md.appendMarkdown(`${gatewayShown}\n\n`);
    md.appendMarkdown(
      '[Metrics](command:swarmCompute.showMetrics) · [Diagnose](command:swarmCompute.diagnoseConnection) · [Chat](command:swarmCompute.openChat)',
    );
    return md;
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_[\]|<>]/g, '\\$&');
}

function code(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}
