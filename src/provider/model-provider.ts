// Provider mode: answers kind-5050 jobs from the local Ollama model.
//
// Decisions:
// - Jobs are read from one RelayGroup subscription (since the start; on a
//   reconnect the relay replays recent jobs and ids already seen are dropped
//   before parsing). Replies and announcements go out through a RelayWriter
//   on the same relays. Customers' withdrawals (kind 5 with k=5050) come on
//   a second subscription.
// - Untargeted jobs and jobs p-tagged to us are taken; jobs p-tagged only to
//   others get no reply at all. A job that is for us but cannot be served
//   (model, size, bid, unreadable, busy) gets an `error` feedback saying why
//   and no history row; an accepted job gets one history row (lane 'served').
// - Which jobs are taken and which refused: admission.ts.
import { getPublicKey, type Event } from 'nostr-tools/pure';
import { loadFastCrypto, verifyEvent } from '../relay/nostr-crypto';
import type { Filter } from 'nostr-tools/filter';
import { listLocalModels } from '../local/ollama-probe';
import { OllamaLane } from '../local/ollama-lane';
import type { LocalLane } from '../local/types';
import { Nip44Keys } from '../swarm/encryption';
import { DEFAULT_RELAY_TUNING, RelayGroup } from '../relay/relay-group';
import { KIND_TEXT_GENERATION } from '../swarm/types';
import { admit, missingModel, settingsProblem } from './admission';
import { KIND_DELETION } from './announcement';
import { Announcer } from './announcer';
import { readJob, type JobEnvelope } from './job-intake';
import { JobReplies } from './job-replies';
import { RelayWriter } from './relay-writer';
import { authSigner } from '../relay/relay-auth';
import { ServedJob } from './served-job';
import type { ProviderDeps, ProviderEvent, ProviderLog, ProviderSettings, ProviderStart, ProviderStatus, ProviderTuning, ServedJobState } from './types';
import { WorkQueue } from './work-queue';

export const DEFAULT_PROVIDER_TUNING: ProviderTuning = {
  partialIntervalMs: 250,
  partialMaxChars: 400,
  invoicePollMs: 1000,
  announceRefreshMs: 10 * 60_000,
  shutdownGraceMs: 4000,
  maxAwaitingPayment: 100,
  maxJobAgeSecs: 600,
  relayRetryMs: 5000,
  relay: DEFAULT_RELAY_TUNING,
};

/** how many job ids are remembered for dedupe (far more than arrive within maxJobAgeSecs) */
const SEEN_LIMIT = 20_000;

const nowSecs = () => Math.floor(Date.now() / 1000);
const quietLog: ProviderLog = { info() {}, warn() {} };

export class ModelProvider {
  readonly pubkey: string;
  private readonly tuning: ProviderTuning;
  private readonly local: LocalLane;
  private readonly log: ProviderLog;
  private readonly listeners = new Set<(event: ProviderEvent) => void>();
  private readonly seen = new Set<string>();
  private readonly active = new Map<string, ServedJob>();
  private readonly queue: WorkQueue;
  private jobs: RelayGroup | null = null;
  private withdrawals: RelayGroup | null = null;
  private writer: RelayWriter | null = null;
  private jobFilter: Filter | null = null;
  private refreshTimer: ReturnType<typeof setInterval> | null = null;
  private readonly announcer: Announcer;
  private state: 'idle' | 'starting' | 'serving' | 'stopping' | 'stopped' = 'idle';
  private stopping: Promise<void> | null = null;
  private completed = 0;
  private failed = 0;

  constructor(
    private readonly settings: ProviderSettings,
    private readonly deps: ProviderDeps,
    tuning: Partial<ProviderTuning> = {},
  ) {
    this.pubkey = getPublicKey(deps.secretKey);
    this.tuning = { ...DEFAULT_PROVIDER_TUNING, ...tuning, relay: { ...DEFAULT_RELAY_TUNING, ...tuning.relay } };
    this.local = deps.local ?? new OllamaLane({ stallTimeoutMs: 120_000 });
    this.log = deps.log ?? quietLog;
    this.queue = new WorkQueue(Math.max(1, settings.maxConcurrent));
    this.announcer = new Announcer(settings, deps.secretKey, this.tuning.announceRefreshMs, this.log);
  }

  onEvent(listener: (event: ProviderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): ProviderStatus {
    let awaitingPayment = 0;
    for (const job of this.active.values()) if (job.phase === 'payment') awaitingPayment++;
    return {
      serving: this.state === 'serving',
      running: this.queue.running,
      queued: this.queue.queued,
      awaitingPayment,
      completed: this.completed,
      failed: this.failed,
    };
  }

  /** Checks Ollama and the relays, subscribes, announces. Errors are values; call once. */
  async start(): Promise<ProviderStart> {
    if (this.state !== 'idle') return { ok: false, error: { kind: 'config', message: 'this provider was already started' } };
    this.state = 'starting';
    await loadFastCrypto();
    const fail = (kind: 'config' | 'model-missing' | 'ollama-unavailable' | 'no-relay', message: string): ProviderStart => {
      this.state = 'stopped';
      this.closeConnections();
      return { ok: false, error: { kind, message } };
    };
    const s = this.settings;
    const problem = settingsProblem(s, Boolean(this.deps.wallet));
    if (problem) return fail(problem.kind, problem.message);

    const installed = await listLocalModels(s.ollamaHost, new AbortController().signal);
    if (!installed.ok) return fail('ollama-unavailable', `cannot ask Ollama which models it has: ${installed.error.message}`);
    const missing = missingModel(s, installed.value);
    if (missing) return fail('model-missing', missing);

    // NIP-42: relays that ask are answered with the provider's own key
    const auth = authSigner(this.deps.secretKey);
    this.jobs = new RelayGroup(s.relays, this.tuning.relay, auth);
    const connection = await this.jobs.connect();
    if (this.state !== 'starting') return fail('config', 'stopped while starting');
    if (connection.connected.length === 0) {
      return fail('no-relay', `no relay could be reached: ${connection.failed.map((f) => `${f.url} (${f.reason})`).join(', ')}`);
    }
    const since = nowSecs();
    // kept by reference: RelayGroup re-sends this filter after a reconnect, and refresh() moves `since` forward
    this.jobFilter = { kinds: [KIND_TEXT_GENERATION], since };
    this.writer = new RelayWriter(s.relays, { ...this.tuning.relay, retryAfterMs: this.tuning.relayRetryMs }, auth);
    this.withdrawals = new RelayGroup(connection.connected, this.tuning.relay, auth);
    await Promise.all([
      this.jobs.subscribe(this.jobFilter, {
        alreadyHave: (id) => this.seen.has(id),
        onevent: (event, url) => this.onJob(event, url),
      }),
      this.withdrawals
        .connect()
        .then(() =>
          this.withdrawals!.subscribe(
            { kinds: [KIND_DELETION], '#k': [String(KIND_TEXT_GENERATION)], since },
            { alreadyHave: () => false, onevent: (event) => this.onWithdrawal(event) },
          ),
        ),
    ]);
    if (this.state !== 'starting') return fail('config', 'stopped while starting');
    this.state = 'serving';
    const announcedOn = await this.announce();
    this.refreshTimer = setInterval(() => void this.refresh(), this.tuning.announceRefreshMs);
    return { ok: true, pubkey: this.pubkey, relays: connection.connected, unreachable: connection.failed, announcedOn };
  }

  /**
   * Takes no new job, ends every job (a result, or an `error` feedback once
   * the grace has passed), withdraws the announcement, closes connections.
   */
  stop(): Promise<void> {
    if (!this.stopping) this.stopping = this.shutdown();
    return this.stopping;
  }

  // ---- jobs ------------------------------------------------------------

  private onJob(event: Event, url: string): void {
    if (this.state !== 'serving' || typeof event?.id !== 'string' || this.seen.has(event.id)) return;
    if (typeof event.created_at === 'number' && event.created_at < nowSecs() - this.tuning.maxJobAgeSecs) return;
    const keys = new Nip44Keys(this.deps.secretKey);
    const intake = readJob(event, url, this.pubkey, this.deps.secretKey, keys);
    // a forged copy must not shadow the genuine event: only remember ids of signed events
    if (intake.kind !== 'ignore' || intake.why !== 'bad signature') this.remember(event.id);
    if (intake.kind === 'ignore') return;
    if (intake.kind === 'refuse') return this.refuse(intake.job, intake.reason, keys);

    const job = intake.job;
    const admission = admit(job, this.settings, {
      admitted: this.active.size,
      awaitingPayment: this.status().awaitingPayment,
      maxAwaitingPayment: this.tuning.maxAwaitingPayment,
    });
    if (!admission.ok) return this.refuse(job, admission.reason, keys, admission.revealsInput);

    const served = new ServedJob({
      job,
      model: admission.model,
      settings: this.settings,
      tuning: this.tuning,
      providerPubkey: this.pubkey,
      replies: new JobReplies(job, this.deps.secretKey, keys),
      send: (e) => this.send(e),
      queue: this.queue,
      local: this.local,
      wallet: this.deps.wallet,
      history: this.deps.history,
      log: this.log,
      onState: (state, message) => this.jobState(job.id, job.customer, state, message),
    });
    this.active.set(job.id, served);
    void served.run().finally(() => this.active.delete(job.id));
  }

  /** `revealsInput`: the reason repeats what the job asked, so it is sealed for an encrypted job */
  private refuse(job: JobEnvelope, reason: string, keys: Nip44Keys, revealsInput = false): void {
    void this.send(new JobReplies(job, this.deps.secretKey, keys).error(reason, revealsInput));
    this.jobState(job.id, job.customer, 'refused', reason);
  }

  private onWithdrawal(event: Event): void {
    if (event?.kind !== KIND_DELETION || !Array.isArray(event.tags)) return;
    const targets = event.tags.filter((t) => t[0] === 'e').map((t) => this.active.get(t[1]));
    const mine = targets.filter((job): job is ServedJob => job !== undefined && job.customer === event.pubkey);
    if (mine.length === 0 || !verifyEvent(event)) return;
    for (const job of mine) job.cancelByCustomer();
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  private jobState(jobId: string, customer: string, state: ServedJobState, message: string): void {
    if (state === 'completed') this.completed++;
    if (state === 'failed') this.failed++;
    this.log.info(`job ${jobId.slice(0, 12)}… from ${customer.slice(0, 12)}…: ${state}: ${message}`);
    this.emit({ type: 'job', jobId, customer, state, message });
  }

  /** Never rejects: a reply that reaches no relay is logged. Resolves once one relay took it. */
  private async send(event: Event): Promise<void> {
    const writer = this.writer;
    if (!writer) return;
    const report = await writer.publishToAny(event);
    if (report.accepted.length === 0) {
      this.log.warn(`no relay took our kind-${event.kind} reply: ${report.failed.map((f) => `${f.url} (${f.reason})`).join(', ')}`);
    }
  }

  // ---- announcement ----------------------------------------------------

  private async announce(): Promise<string[]> {
    const accepted = await this.announcer.announce(this.writer!);
    if (accepted.length > 0) this.emit({ type: 'announced', relays: accepted });
    return accepted;
  }

  private async refresh(): Promise<void> {
    if (this.state !== 'serving') return;
    if (this.jobFilter) this.jobFilter.since = Math.max(this.jobFilter.since ?? 0, nowSecs() - this.tuning.maxJobAgeSecs);
    await this.announce();
  }

  // ---- stopping --------------------------------------------------------

  private async shutdown(): Promise<void> {
    const wasServing = this.state === 'serving';
    this.state = 'stopping';
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
    // no new jobs from here on
    this.jobs?.close();
    this.withdrawals?.close();
    const withdrawn = wasServing ? this.announcer.withdraw(this.writer!) : Promise.resolve();
    const jobs = [...this.active.values()];
    for (const job of jobs) job.shutdown(this.tuning.shutdownGraceMs);
    await Promise.all([withdrawn, ...jobs.map((job) => job.done)]);
    this.closeConnections();
    this.state = 'stopped';
    this.emit({ type: 'stopped' });
  }

  private closeConnections(): void {
    this.jobs?.close();
    this.withdrawals?.close();
    this.writer?.close();
  }

  private emit(event: ProviderEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a failing view must not break the provider
      }
    }
  }
}
