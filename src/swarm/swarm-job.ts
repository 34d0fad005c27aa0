// The life of one published NIP-90 job: feedback, offers and payment,
// results, the swarm timeout and cancel. Events arrive already admitted by
// the JobEventGate (signed, for this job, from an allowed author, once).
// Who works on it is kept in provider-roster.ts, the offers and money in
// job-offers.ts, the streamed text in response-stream.ts, what the timeout
// says in deadline-message.ts; this file decides when the job ends.
//
// Decisions:
// - Untargeted jobs: an `error` from one provider does not end the job while
//   another provider is working; when nobody else is, the job waits one
//   offer window (offerWindowMs) for another provider to speak, then fails
//   with the error. A job targeted at providers ends when all of them erred.
// - Offers: untargeted jobs collect offers for offerWindowMs after the first
//   and pay the cheapest; targeted jobs pay the first acceptable one. When no
//   offer is acceptable, an untargeted job still waits for a result until the
//   swarm timeout (another provider may come); a targeted one fails at once
//   when all its providers were refused. A refused payment moves on to the
//   next acceptable offer.
// - A result is taken only when what it bills may be paid (pay-after, within
//   the cap and budgets; job-offers.ts judges): a result above the cap counts
//   as a refused offer (an untargeted job waits on), one the payer refuses
//   fails the job. Once one provider was paid, another's billing result is
//   ignored. A result that bills nothing is taken.
// - A provider that brings more than the response bound is cut off: the job
//   fails saying so, and ends, so nothing more of it is kept, read or paid.
import type { Event } from 'nostr-tools/pure';
import { swarmError, type SwarmErrorKind } from '../run/errors';
import type { JobState, RunEvent } from '../run/events';
import { DEFAULT_MAX_RESPONSE_BYTES, type SwarmOutcome } from './types';
import type { SwarmJobInit } from './swarm-job-init';
import { readJobMessage, type Decrypt, type JobMessage } from './job-messages';
import { JobOffers, PAYMENT_GRACE_MS } from './job-offers';
import { ProviderRoster } from './provider-roster';
import { ResponseStream } from './response-stream';
import { deadlineFailure } from './deadline-message';
import { providerName } from './provider-name';
import { JobTimers, type Timer } from './job-timers';

type Feedback = Extract<JobMessage, { type: 'feedback' }>;
type Result = Extract<JobMessage, { type: 'result' }>;

export class SwarmJob {
  readonly outcome: Promise<SwarmOutcome>;
  private resolveOutcome!: (outcome: SwarmOutcome) => void;
  private ended = false;

  private readonly offers: JobOffers;
  private readonly roster: ProviderRoster;
  private readonly stream: ResponseStream;
  private readonly errors: string[] = [];
  private offerWindow: 'none' | 'open' | 'closed';
  private lastProvider: string | null = null;
  private readonly timers = new JobTimers();
  private errorGrace: Timer | null = null;
  private readonly onAbort = () => this.cancel();

  constructor(private readonly init: SwarmJobInit) {
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve));
    const { jobId, request, deps, signal } = init;
    this.offers = new JobOffers({ jobId, maxPriceMsats: request.maxPriceMsats, payer: deps.payer, signal, emit: (e) => this.emit(e) });
    this.roster = new ProviderRoster((pk) => this.offers.isRefused(pk));
    this.stream = new ResponseStream(request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    // a targeted job pays the first acceptable offer: no window to wait for
    this.offerWindow = this.targeted ? 'closed' : 'none';
  }

  private get targeted(): boolean {
    return this.init.request.providers.length > 0;
  }

  /** Arms the swarm timeout and cancel; call once the job is published. */
  start(): void {
    const { request, startedAt, signal } = this.init;
    this.timers.later(Math.max(0, startedAt + request.timeoutMs - Date.now()), () => this.onDeadline());
    if (signal.aborted) this.cancel();
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  receive(event: Event): void {
    if (this.ended) return;
    const message = readJobMessage(event, this.init.decrypt);
    if (!message) return;
    this.lastProvider = message.provider;
    if (message.type === 'result') this.onResult(message);
    else this.onFeedback(message);
  }

  // ---- feedback -------------------------------------------------------

  private onFeedback(m: Feedback): void {
    const who = providerName(m.provider);
    if (m.status === 'error') return this.onProviderError(m);
    this.engage(m.provider);
    switch (m.status) {
      case 'processing':
        if (this.roster.announce(m.provider)) this.status('processing', `provider ${who} is processing the job`);
        return;
      case 'partial':
        if (this.roster.announce(m.provider)) this.status('processing', `provider ${who} is streaming an answer`);
        if (m.content) this.onPartial(m.provider, m.content);
        return;
      case 'success':
        this.status('processing', `provider ${who} reports success; waiting for the result`);
        return;
      case 'payment-required':
        this.onOffer(m);
        return;
    }
  }

  private onPartial(provider: string, text: string): void {
    const taken = this.stream.add(provider, text);
    if (taken === 'over-bound') this.cutOff(provider, 'streamed');
    else if (taken === 'taken') this.emit({ type: 'token', lane: 'swarm', text });
  }

  /** A provider that brings more than the bound: a pay-after invoice on its result never reaches the payer. */
  private cutOff(provider: string, what: string): void {
    this.roster.markErrored(provider);
    this.fail(
      'error',
      `provider ${providerName(provider)} ${what} more than ${this.stream.maxBytes} bytes (the response bound, --max-response-bytes / swarmCompute.maxResponseBytes); it was cut off and is not paid for its answer`,
    );
  }

  private onProviderError(m: Feedback): void {
    this.roster.markErrored(m.provider);
    const reason = (m.extra || m.content || 'no reason given').trim();
    const message = `provider ${providerName(m.provider)} reported an error: ${reason}`;
    this.errors.push(message);
    if (this.targeted) {
      if (this.roster.allOut(this.init.request.providers, false)) this.fail('error', message);
      else this.status('pending', `${message}; waiting for the other named providers`);
      return;
    }
    if (this.roster.anyActive()) {
      this.status('processing', `${message}; waiting for the other providers`);
      return;
    }
    this.status('pending', `${message}; waiting briefly for another provider`);
    if (this.errorGrace === null) {
      this.errorGrace = this.timers.later(this.init.request.offerWindowMs, () => {
        this.errorGrace = null;
        if (!this.roster.anyActive()) this.fail('error', this.errors.join('; '));
      });
    }
  }

  // ---- offers ---------------------------------------------------------

  private onOffer(m: Feedback): void {
    if (this.offers.settled || this.init.signal.aborted) return; // one payment per job; nothing after cancel
    if (!this.offers.receive(m.provider, m.amountTagMsats, m.bolt11)) return;
    if (this.offerWindow === 'none') {
      this.offerWindow = 'open';
      this.timers.later(this.init.request.offerWindowMs, () => {
        this.offerWindow = 'closed';
        void this.settleOffers();
      });
      return;
    }
    void this.settleOffers();
  }

  /** Pays once the window is closed; gives up when no offer is left and nobody else may answer. */
  private async settleOffers(): Promise<void> {
    if (this.ended || this.offerWindow !== 'closed') return;
    if ((await this.offers.settle()) === 'none-left') this.giveUpIfHopeless();
  }

  /**
   * Only a targeted job can be hopeless before the swarm timeout: once every
   * named provider was refused or erred, nobody else may answer. An
   * untargeted job keeps waiting (CLI.md: the swarm timeout is how long to
   * wait for a result); another, cheaper provider may still come.
   */
  private giveUpIfHopeless(): void {
    const refusal = this.offers.refusal();
    if (this.ended || !refusal || this.roster.anyActive() || !this.targeted) return;
    if (this.roster.allOut(this.init.request.providers, true)) this.fail(refusal.kind, refusal.message);
  }

  // ---- result ---------------------------------------------------------

  private onResult(m: Result): void {
    if (m.content === null) {
      // an answer we cannot read is no answer; count it as that provider's error
      return this.onProviderError({ ...m, type: 'feedback', status: 'error', extra: 'sent an encrypted result this client could not decrypt' });
    }
    const content = m.content;
    if (!this.stream.fits(content)) return this.cutOff(m.provider, 'returned');
    const judged = this.offers.judgeResult(m);
    if (judged === 'ignore') return this.status('processing', `a result from ${providerName(m.provider)} bills, but another provider was paid`);
    if (judged !== 'take') {
      this.engage(m.provider); // now out: refused
      return this.targeted ? this.giveUpIfHopeless() : this.status('pending', `${judged.message}; waiting for another provider`);
    }
    this.end(async () => {
      const firstTokenAt = (this.stream.firstTokenAt ??= Date.now());
      if (this.offers.paying) this.status('processing', `result from ${providerName(m.provider)}; waiting for the payment in flight`);
      await this.offers.paying; // a pay-first payment in flight decides whether anything is still owed
      if (this.init.signal.aborted && !this.offers.settled) return this.withdraw();
      const refused = await this.offers.payAfter(m);
      if (refused)
        return { ...this.failure(refused.kind, refused.message), provider: m.provider, partial: this.stream.provider === m.provider ? '' : this.stream.text };
      this.status('completed', `result from ${providerName(m.provider)}`);
      const response = content === '' && this.stream.provider === m.provider ? this.stream.text : content;
      return {
        ok: true,
        jobId: this.init.jobId,
        provider: m.provider,
        ...this.offers.money(),
        paymentPreimage: this.offers.preimage,
        response,
        ttftMs: firstTokenAt - this.init.startedAt,
        durationMs: Date.now() - this.init.startedAt,
      };
    });
  }

  // ---- ending ---------------------------------------------------------

  private onDeadline(): void {
    if (this.ended) return;
    const { request, relays, ignoredProviders } = this.init;
    const failure = deadlineFailure({
      timeoutMs: request.timeoutMs,
      anyActive: this.roster.anyActive(),
      engaged: this.roster.engaged(),
      refusal: this.offers.refusal(),
      errors: this.errors,
      targeted: this.targeted,
      relays,
      ignored: ignoredProviders?.().size ?? 0,
    });
    this.fail(failure.kind, failure.message);
  }

  private cancel(): void {
    if (this.ended) return;
    this.end(() => this.withdraw());
  }

  /** the job is deleted (kind 5) and ends as cancelled, a payment in flight known first */
  private async withdraw(): Promise<SwarmOutcome> {
    await Promise.all([this.init.cancelJob().catch(() => {}), this.offers.paymentKnown(PAYMENT_GRACE_MS)]);
    return this.failure('cancelled', 'cancelled; the job was withdrawn from the relays (kind-5 deletion)');
  }

  private fail(kind: SwarmErrorKind, message: string): void {
    this.end(async () => {
      await this.offers.paymentKnown(PAYMENT_GRACE_MS); // a payment in flight is known (or counted) before the job reports what it cost
      return this.failure(kind, message);
    });
  }

  private failure(kind: SwarmErrorKind, message: string): SwarmOutcome {
    return {
      ok: false,
      error: swarmError(kind, message),
      jobId: this.init.jobId,
      provider: this.offers.payee ?? this.stream.provider ?? this.lastProvider,
      ...this.offers.money(),
      partial: this.stream.text,
      durationMs: Date.now() - this.init.startedAt,
    };
  }

  /** Ends the job once: timers and the abort listener go at once, the outcome when `produce` settles. */
  private end(produce: () => Promise<SwarmOutcome>): void {
    if (this.ended) return;
    this.ended = true;
    this.offers.endJob();
    this.timers.clearAll();
    this.init.signal.removeEventListener('abort', this.onAbort);
    produce().then(this.resolveOutcome, (err) => this.resolveOutcome(this.failure('error', `swarm lane failed: ${(err as Error)?.message ?? err}`)));
  }

  /** a provider's word that it works on the job ends the wait after another's error */
  private engage(provider: string): void {
    if (this.roster.engage(provider) && this.errorGrace !== null) {
      this.timers.clear(this.errorGrace);
      this.errorGrace = null;
    }
  }

  private status(state: JobState, message: string): void {
    this.emit({ type: 'status', lane: 'swarm', state, message });
  }

  private emit(event: RunEvent): void {
    try {
      this.init.deps.emit(event);
    } catch {
      // a failing view must not break the job
    }
  }
}
