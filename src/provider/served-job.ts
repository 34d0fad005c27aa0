// The life of one job a provider took: (model check) → (invoice, wait until
// the wallet reports it settled) → a place in the queue → generation with
// throttled `partial` feedback → the kind-6050 result. Every way it can end
// says so to the customer (result or `error` feedback), except a withdrawal
// by the customer, who is no longer listening. One history row (lane
// 'served') follows it from the moment it is accepted.
import type { VerifiedEvent } from 'nostr-tools/pure';
import type { HistoryStore } from '../history/types';
import { hasModel } from '../local/ollama-probe';
import type { LocalError } from '../run/errors';
import type { LocalLane } from '../local/types';
import type { JobInput } from './job-intake';
import type { JobReplies } from './job-replies';
import { waitForSettlement } from './invoice-wait';
import { PartialStream } from './partial-stream';
import { ServedRecord } from './served-record';
import type { InvoiceWallet, ProviderLog, ProviderSettings, ProviderTuning, ServedJobState } from './types';
import type { WorkQueue } from './work-queue';

export type ServedJobPhase = 'checking' | 'payment' | 'queued' | 'running' | 'done';

export interface ServedJobInit {
  job: JobInput;
  /** the offered model name the job resolved to, as Ollama knows it */
  model: string;
  settings: ProviderSettings;
  tuning: ProviderTuning;
  providerPubkey: string;
  replies: JobReplies;
  /** publishes one event on the provider's relays; never rejects */
  send(event: VerifiedEvent): Promise<void>;
  queue: WorkQueue;
  local: LocalLane;
  wallet: InvoiceWallet | null;
  history: HistoryStore | null;
  log: ProviderLog;
  onState(state: ServedJobState, message: string): void;
}

type StopReason = 'shutdown' | 'customer';

/** What the customer is told when the provider shuts down before the job ended, by how far it got. */
const SHUTDOWN_REASONS: Record<ServedJobPhase, string> = {
  checking: 'the provider shut down before starting the job',
  payment: 'the provider shut down; do not pay its invoice',
  queued: 'the provider shut down before starting the job',
  running: 'the provider shut down before the answer was complete',
  done: 'the provider shut down before starting the job',
};

/** What a customer is told when generation fails: no host names or paths of ours. */
function customerReason(error: LocalError, model: string): string {
  switch (error.kind) {
    case 'model-missing':
      return `model "${model}" is not available on this provider`;
    case 'timeout':
      return 'the model took too long to answer';
    case 'unavailable':
      return "the provider's model server is not running";
    default:
      return 'generation failed on the provider';
  }
}

export class ServedJob {
  phase: ServedJobPhase = 'checking';
  readonly receivedAt = Date.now();
  private readonly controller = new AbortController();
  private stopReason: StopReason | null = null;
  private graceTimer: ReturnType<typeof setTimeout> | null = null;
  /** replies go out one after another, in order */
  private outbox: Promise<void> = Promise.resolve();
  /** the job's history row, from the model check on */
  private readonly row: ServedRecord;
  private paidMsats = 0;
  private bolt11: string | null = null;
  /** resolves when the job has ended and its replies and history are written */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(private readonly init: ServedJobInit) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.row = new ServedRecord(init.history, init.job.id, init.log);
  }

  get id(): string {
    return this.init.job.id;
  }

  get customer(): string {
    return this.init.job.customer;
  }

  /** Never rejects. */
  async run(): Promise<void> {
    try {
      await this.lifecycle();
    } catch (err) {
      this.init.log.warn(`job ${this.id.slice(0, 12)}: ${(err as Error)?.message ?? err}`);
      if (this.phase !== 'done') await this.fail('the provider failed while handling the job');
    } finally {
      this.phase = 'done';
      if (this.graceTimer) clearTimeout(this.graceTimer);
      await this.outbox;
      await this.row.written();
      this.resolveDone();
    }
  }

  /** The customer deleted the job (kind 5): stop at once, say nothing more. */
  cancelByCustomer(): void {
    this.stop('customer');
  }

  /**
   * The provider stops: a job not generating yet ends now; a generating one
   * may finish within graceMs, then it is cut off. Either way the customer
   * gets a result or an error feedback.
   */
  shutdown(graceMs: number): void {
    if (this.phase === 'running') {
      this.graceTimer ??= setTimeout(() => this.stop('shutdown'), graceMs);
    } else this.stop('shutdown');
  }

  private stop(reason: StopReason): void {
    if (this.phase === 'done' || this.controller.signal.aborted) return;
    this.stopReason = reason;
    this.controller.abort();
  }

  private get signal(): AbortSignal {
    return this.controller.signal;
  }

  private async lifecycle(): Promise<void> {
    const { settings, job, model } = this.init;
    // ---- the model must really be there (it may have been removed since start)
    const present = await hasModel(settings.ollamaHost, model, this.signal);
    if (this.signal.aborted) return this.endStopped();
    if (!present.ok || !present.value) {
      const reason = present.ok ? `model "${model}" is not available on this provider` : "the provider's model server is not running";
      if (!present.ok) this.init.log.warn(`Ollama: ${present.error.message}`);
      void this.post(this.init.replies.error(reason, present.ok));
      this.phase = 'done';
      this.init.onState('refused', reason);
      return;
    }

    this.row.insert({ model, prompt: job.prompt, provider: this.init.providerPubkey, receivedAt: this.receivedAt });

    if (settings.priceMsats > 0) {
      this.phase = 'payment';
      if (!(await this.collectPayment())) return;
    }

    // ---- wait for a slot
    this.phase = 'queued';
    const { queue } = this.init;
    if (queue.full) {
      const ahead = queue.running + queue.queued;
      const message = `queued behind ${ahead} job(s)`;
      void this.post(this.init.replies.feedback('processing', { extra: message }));
      this.init.onState('queued', message);
    }
    let release: () => void;
    try {
      release = await queue.acquire(this.signal);
    } catch {
      return this.endStopped();
    }
    try {
      await this.generate();
    } finally {
      release();
    }
  }

  /** true once the invoice is settled; false when the job ended instead (already reported). */
  private async collectPayment(): Promise<boolean> {
    const { settings, tuning, wallet, replies } = this.init;
    const price = settings.priceMsats;
    const expirySecs = Math.max(1, Math.ceil(settings.paymentTimeoutMs / 1000));
    let invoice: { bolt11: string; paymentHash: string };
    try {
      const tx = await wallet!.makeInvoice({ amountMsats: price, description: `swarm-compute job ${this.id}`, expirySecs }, { signal: this.signal });
      invoice = { bolt11: tx.invoice!, paymentHash: tx.paymentHash };
    } catch (err) {
      if (this.signal.aborted) {
        await this.endStopped();
        return false;
      }
      this.init.log.warn(`job ${this.id.slice(0, 12)}: the wallet could not make an invoice: ${(err as Error)?.message ?? err}`);
      await this.fail('the provider could not make an invoice; nothing to pay');
      return false;
    }
    this.bolt11 = invoice.bolt11;
    void this.post(replies.feedback('payment-required', { extra: `pay ${price} msats to start the job`, amount: { msats: price, bolt11: invoice.bolt11 } }));
    this.row.update({ state: 'payment-required', paymentBolt11: invoice.bolt11 });
    this.init.onState('payment-required', `asked ${price} msats`);

    const settled = await waitForSettlement(wallet!, invoice.paymentHash, {
      deadline: this.receivedAt + settings.paymentTimeoutMs,
      pollMs: tuning.invoicePollMs,
      signal: this.signal,
      onLookupFailed: (err) => this.init.log.warn(`job ${this.id.slice(0, 12)}: lookup_invoice failed: ${(err as Error)?.message ?? err}`),
    });
    if (settled) {
      this.paidMsats = price;
      this.row.update({ costMsats: price });
      this.init.onState('processing', `paid ${price} msats`);
      return true;
    }
    if (this.signal.aborted) {
      await this.endStopped();
      return false;
    }
    await this.fail(`payment of ${price} msats was not received within ${expirySecs} s; the job expired`);
    return false;
  }

  private async generate(): Promise<void> {
    const { job, model, settings, tuning, replies, local } = this.init;
    this.phase = 'running';
    this.row.update({ state: 'processing' });
    void this.post(replies.feedback('processing'));
    this.init.onState('processing', `generating with ${model}`);
    const started = Date.now();
    const stream = new PartialStream((text) => this.post(replies.feedback('partial', { content: text })), {
      intervalMs: tuning.partialIntervalMs,
      maxChars: tuning.partialMaxChars,
    });
    const outcome = await local.run(
      { prompt: job.prompt, model, host: settings.ollamaHost, timeoutMs: settings.jobTimeoutMs, ...(job.messages ? { messages: job.messages } : {}) },
      this.signal,
      (text) => stream.push(text),
    );
    // a complete answer is delivered even if the shutdown grace ran out meanwhile
    if (outcome.ok && this.stopReason !== 'customer') {
      await stream.finish();
      void this.post(replies.result(job, outcome.response, this.paidMsats || settings.priceMsats));
      await this.outbox;
      this.phase = 'done';
      this.row.update({
        state: 'completed',
        response: outcome.response,
        ttftMs: outcome.ttftMs,
        durationMs: Date.now() - this.receivedAt,
        completedAt: Date.now(),
      });
      this.init.onState('completed', `answered in ${Date.now() - started} ms (${outcome.response.length} characters)`);
      return;
    }
    stream.stop();
    if (this.signal.aborted) return this.endStopped();
    if (!outcome.ok) this.init.log.warn(`job ${this.id.slice(0, 12)}: ${outcome.error.message}`);
    await this.fail(
      outcome.ok ? 'generation failed on the provider' : customerReason(outcome.error, model),
      !outcome.ok && outcome.error.kind === 'model-missing',
    );
  }

  /** The job was stopped (shutdown or customer): end it the way the reason asks. */
  private async endStopped(): Promise<void> {
    if (this.stopReason === 'customer') {
      this.phase = 'done';
      this.row.update({ state: 'cancelled', error: 'withdrawn by the customer', completedAt: Date.now(), durationMs: Date.now() - this.receivedAt });
      this.init.onState('cancelled', 'the customer withdrew the job');
      return;
    }
    await this.fail(SHUTDOWN_REASONS[this.phase]);
  }

  private async fail(reason: string, revealsInput = false): Promise<void> {
    this.phase = 'done';
    void this.post(this.init.replies.error(reason, revealsInput));
    await this.outbox;
    this.row.update({ state: 'failed', error: reason, completedAt: Date.now(), durationMs: Date.now() - this.receivedAt });
    this.init.onState('failed', reason);
  }

  private post(event: VerifiedEvent): Promise<void> {
    // once the customer withdrew the job, nothing queued for it goes out any more
    this.outbox = this.outbox.then(() => (this.stopReason === 'customer' ? undefined : this.init.send(event)));
    return this.outbox;
  }
}
