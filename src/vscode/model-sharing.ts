// "Share My Model": serves this machine's Ollama model to the swarm with the
// ModelProvider of `swarm-compute serve` (src/provider), built from the
// swarmCompute.share.* settings, the relays, the Nostr identity and, for a
// price, the wallet in SecretStorage. Served jobs go into the same history
// (lane 'served'). Sharing lasts as long as this window: deactivate() stops
// it, which withdraws the announcement.
import * as vscode from 'vscode';
import { npubEncode } from 'nostr-tools/nip19';
import type { ModelProvider } from '../provider/model-provider';
import type { ProviderSettings, ProviderStartErrorKind } from '../provider/types';
import type { NwcClient } from '../wallet/nwc-client';
import { loadEngineModule, type WindowEngine } from './window-engine';
import { formatSats } from '../text/format';
import type { SecretsStore } from './secrets';
import { readSettings, SECTION } from './settings';
import { onSettingsChange } from './settings-change';
import { SETTINGS, clampedNumber } from '../settings-schema';

export const SHARING_CONTEXT = 'swarmCompute.sharing';

export interface ShareSettings {
  model: string;
  priceMsats: number;
  maxConcurrent: number;
  /** jobs admitted beyond maxConcurrent (checking, awaiting payment, queued) */
  maxQueued: number;
  relays: string[];
  ollamaHost: string;
}

export function readShareSettings(): ShareSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const engine = readSettings();
  return {
    model: c.get<string>('share.model', SETTINGS['share.model'].default).trim() || engine.model,
    priceMsats: clampedNumber('share.priceMsats', c.get('share.priceMsats'), true),
    maxConcurrent: clampedNumber('share.maxConcurrent', c.get('share.maxConcurrent'), true),
    maxQueued: clampedNumber('share.maxQueued', c.get('share.maxQueued'), true),
    relays: engine.relays,
    ollamaHost: engine.ollamaHost,
  };
}

/** What a failed start offers to do about it (labels of the notification's buttons). */
export type ShareFix = 'Connect Wallet' | 'Pull Model' | 'Start Ollama' | 'Open Settings' | 'Diagnose Connection';

export type ShareOutcome = { ok: true; pubkey: string; relays: string[]; announcedOn: string[] } | { ok: false; message: string; fixes: ShareFix[] };

export interface SharingStatus {
  state: 'off' | 'starting' | 'serving' | 'stopping';
  model: string | null;
  priceMsats: number;
  pubkey: string | null;
  relays: string[];
  /** finished jobs since sharing started */
  completed: number;
  failed: number;
  running: number;
  queued: number;
  awaitingPayment: number;
}

const OFF: SharingStatus = {
  state: 'off',
  model: null,
  priceMsats: 0,
  pubkey: null,
  relays: [],
  completed: 0,
  failed: 0,
  running: 0,
  queued: 0,
  awaitingPayment: 0,
};

export class ModelSharing implements vscode.Disposable {
  private provider: ModelProvider | null = null;
  private wallet: NwcClient | null = null;
  private starting: Promise<ShareOutcome> | null = null;
  /** the settings the running provider was started with */
  private serving: ShareSettings | null = null;
  private stopping: Promise<void> | null = null;
  private current: SharingStatus = OFF;
  private readonly changed = new vscode.EventEmitter<SharingStatus>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed, onSettingsChange(() => this.settingsChanged())];

  constructor(
    private readonly engines: WindowEngine,
    private readonly secrets: SecretsStore,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** while serving, other share settings than the running provider's: offer to restart with them */
  private settingsChanged(): void {
    if (this.current.state !== 'serving' || !this.serving) return;
    if (JSON.stringify(readShareSettings()) !== JSON.stringify(this.serving)) void this.offerRestart();
  }

  /** jobs in flight by id, from the provider's job events: the counters follow each job as it moves (and ends) */
  private readonly inFlight = new Map<string, 'running' | 'queued' | 'awaitingPayment'>();
  private finished = { completed: 0, failed: 0 };

  get status(): SharingStatus {
    if (this.provider && this.current.state === 'serving') {
      const count = (k: string) => [...this.inFlight.values()].filter((v) => v === k).length;
      return { ...this.current, ...this.finished, running: count('running'), queued: count('queued'), awaitingPayment: count('awaitingPayment') };
    }
    return { ...this.current };
  }

  private followJob(jobId: string, state: string): void {
    switch (state) {
      case 'processing':
        this.inFlight.set(jobId, 'running');
        return;
      case 'queued':
        this.inFlight.set(jobId, 'queued');
        return;
      case 'payment-required':
        this.inFlight.set(jobId, 'awaitingPayment');
        return;
      case 'completed':
        this.finished.completed++;
        this.inFlight.delete(jobId);
        return;
      case 'failed':
        this.finished.failed++;
        this.inFlight.delete(jobId);
        return;
      default:
        // refused, cancelled, or any other end: no longer in flight
        this.inFlight.delete(jobId);
    }
  }

  get active(): boolean {
    return this.current.state === 'starting' || this.current.state === 'serving';
  }

  /** Starts sharing (or says how it already is); errors come back as values with what would fix them. */
  start(): Promise<ShareOutcome> {
    if (this.current.state === 'serving' && this.provider) {
      return Promise.resolve({ ok: true, pubkey: this.provider.pubkey, relays: this.current.relays, announcedOn: [] });
    }
    this.starting ??= this.startProvider().finally(() => (this.starting = null));
    return this.starting;
  }

  /** Stops taking jobs, lets running ones finish (briefly), withdraws the announcement. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const provider = this.provider;
    if (!provider) return Promise.resolve();
    this.setState({ ...this.status, state: 'stopping' });
    this.stopping = (async () => {
      try {
        await provider.stop();
        this.log.info('sharing stopped; announcement withdrawn');
      } catch (err) {
        this.log.warn(`sharing did not stop cleanly: ${message(err)}`);
      } finally {
        this.wallet?.close();
        this.wallet = null;
        this.provider = null;
        this.serving = null;
        this.stopping = null;
        this.setState(OFF);
      }
    })();
    return this.stopping;
  }

  private async startProvider(): Promise<ShareOutcome> {
    const s = readShareSettings();
    let released: (() => void) | null = null;
    const fail = (text: string, fixes: ShareFix[]): ShareOutcome => {
      released?.();
      this.wallet?.close();
      this.wallet = null;
      this.provider = null;
      this.setState(OFF);
      this.log.warn(`sharing not started: ${text}`);
      return { ok: false, message: text, fixes };
    };
    if (!s.model) return fail('no model to share: set swarmCompute.share.model or swarmCompute.model.', ['Open Settings']);
    if (s.relays.length === 0) return fail('no relay is configured in swarmCompute.relays, so nobody could send you jobs.', ['Open Settings']);
    this.setState({ ...OFF, state: 'starting', model: s.model, priceMsats: s.priceMsats, relays: s.relays });

    try {
      const module = loadEngineModule();
      if (s.priceMsats > 0) {
        const uri = await this.secrets.nwcUri();
        if (!uri) {
          return fail(
            `sharing for ${formatSats(s.priceMsats)} a job needs a wallet to make invoices: connect one (Nostr Wallet Connect), or set swarmCompute.share.priceMsats to 0 to share for free.`,
            ['Connect Wallet', 'Open Settings'],
          );
        }
        this.wallet = new module.NwcClient(uri, { idleCloseMs: 5000 });
        const check = await module.checkInvoiceWallet(this.wallet);
        if (!check.ok) return fail(`the connected wallet cannot take payments: ${check.message}.`, ['Connect Wallet']);
      }
      const engine = await this.engines.get();
      const settings: ProviderSettings = {
        models: [s.model],
        ollamaHost: s.ollamaHost,
        relays: s.relays,
        priceMsats: s.priceMsats,
        maxConcurrent: s.maxConcurrent,
        maxQueued: s.maxQueued,
        maxPromptChars: 32_000,
        paymentTimeoutMs: 120_000,
        jobTimeoutMs: 300_000,
        name: `Swarm Compute · ${s.model}`,
        about: `Text generation (NIP-90 kind 5050) with ${s.model} on Ollama, shared from VS Code; ${s.priceMsats > 0 ? `${s.priceMsats} msats per job` : 'free'}.`,
      };
      const provider = new module.ModelProvider(settings, {
        secretKey: await this.secrets.nostrSecretKey(),
        wallet: this.wallet,
        history: engine.history,
        log: { info: (m) => this.log.info(`[sharing] ${m}`), warn: (m) => this.log.warn(`[sharing] ${m}`) },
      });
      this.provider = provider;
      // served jobs are written to the history until the provider has stopped (or failed to start)
      this.engines.keepOpenUntil(new Promise<void>((resolve) => (released = resolve)));
      provider.onEvent((e) => e.type === 'stopped' && released?.());
      this.inFlight.clear();
      this.finished = { completed: 0, failed: 0 };
      provider.onEvent((event) => {
        if (event.type === 'job') this.followJob(event.jobId, event.state);
        if (event.type === 'job' || event.type === 'announced') this.changed.fire(this.status);
      });
      const started = await provider.start();
      if (!started.ok) return fail(started.error.message, fixesFor(started.error.kind));
      if (this.provider !== provider) return fail('stopped while starting', []);
      for (const f of started.unreachable) this.log.warn(`[sharing] relay ${f.url} could not be reached (${f.reason}); serving without it`);
      this.serving = s;
      this.setState({ ...this.current, state: 'serving', pubkey: started.pubkey, relays: started.relays });
      this.log.info(
        `sharing ${s.model} as ${npubEncode(started.pubkey)} (${s.priceMsats > 0 ? `${s.priceMsats} msats a job` : 'free'}) on ${started.relays.join(', ')}; announced on ${started.announcedOn.length}`,
      );
      return { ok: true, pubkey: started.pubkey, relays: started.relays, announcedOn: started.announcedOn };
    } catch (err) {
      return fail(message(err), ['Diagnose Connection']);
    }
  }

  private async offerRestart(): Promise<void> {
    const restart = 'Restart Sharing';
    const answer = await vscode.window.showInformationMessage('Swarm Compute: sharing settings changed. Restart sharing to use them.', restart);
    if (answer !== restart) return;
    await this.stop();
    await this.start();
  }

  private setState(status: SharingStatus): void {
    this.current = status;
    void vscode.commands.executeCommand('setContext', SHARING_CONTEXT, this.active);
    this.changed.fire(this.status);
  }

  dispose(): void {
    void this.stop();
    for (const d of this.disposables) d.dispose();
  }
}

function fixesFor(kind: ProviderStartErrorKind): ShareFix[] {
  switch (kind) {
    case 'model-missing':
      return ['Pull Model'];
    case 'ollama-unavailable':
      return ['Start Ollama', 'Diagnose Connection'];
    case 'no-relay':
      return ['Diagnose Connection', 'Open Settings'];
    case 'config':
      return ['Open Settings'];
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
