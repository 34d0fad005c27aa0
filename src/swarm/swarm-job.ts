// The life of one published NIP-90 job: feedback, offers and payment,
// results, the swarm timeout and cancel. Events arrive already admitted by
// the JobEventGate (signed, for this job, from an allowed author, once).
//
// Decisions (see also the report in the commit):
// - Untargeted jobs: an `error` from one provider does not end the job while
//   another provider is working; when nobody else is, the job waits one
//   offer window (offerWindowMs) for another provider to speak, then fails
//   with the error. A job targeted at providers ends when all of them erred.
// - Offers: screened against the cap here (an offer above it never reaches
//   the payer), deduplicated by invoice; untargeted jobs collect offers for
//   offerWindowMs after the first and pay the cheapest; targeted jobs pay the
//   first acceptable one. When no offer is acceptable, an untargeted job
//   still waits for a result until the swarm timeout (another provider may
//   come); a targeted one fails at once when all its providers were refused. A refused payment moves on to the next acceptable
//   offer; each invoice is handed to the payer at most once; at most one
//   payment succeeds per job; nothing is handed to the payer after cancel.
// - A provider whose offer we refused may still send its result: it is
//   accepted (they chose to give it). A result with an invoice we have not
//   paid is paid after (pay-after) if within the cap and nothing else was
//   paid; refused or not, the result is delivered.
// - Partials stream only from the first provider that streams, so two
//   providers' text is never interleaved.
import type { Event } from 'nostr-tools/pure';
import { swarmError, type SwarmErrorKind } from '../fallback/errors';
import type { JobState, RunEvent } from '../fallback/events';
import type { PaymentOffer, PaymentOutcome } from '../wallet/types';
import { DEFAULT_MAX_RESPONSE_BYTES, type SwarmDeps, type SwarmOutcome, type SwarmRequest } from './types';
import { readJobMessage, type Decrypt, type JobMessage } from './job-messages';
import { OfferBook, screenOffer, type Offer, type Refusal } from './offer-book';
import { providerName } from './provider-name';

type Feedback = Extract<JobMessage, { type: 'feedback' }>;
type Result = Extract<JobMessage, { type: 'result' }>;

export interface SwarmJobInit {
  jobId: string;
  request: SwarmRequest;
  deps: SwarmDeps;
  signal: AbortSignal;
  /** when the run began: the swarm timeout and durations count from here */
  startedAt: number;
  /** relays that accepted the job */
  relays: string[];
  decrypt: Decrypt;
  /** publishes the job's kind-5 deletion; resolves once relays answered (bounded) */
  cancelJob(): Promise<void>;
  /** providers whose answers were ignored because the job named others */
  ignoredProviders?(): ReadonlySet<string>;
}

interface ProviderState {
  /** sent processing/partial/success/payment-required */
  engaged: boolean;
  errored: boolean;
  /** its offer was refused: it waits for a payment that will not come */
  refused: boolean;
  announced: boolean;
}

type OfferState = 'open' | 'paying' | 'paid' | 'refused';

interface Paid {
  provider: string;
  amountMsats: number;
  feesMsats: number;
  preimage: string;
  bolt11: string;
}

export class SwarmJob {
  readonly outcome: Promise<SwarmOutcome>;
  private resolveOutcome!: (outcome: SwarmOutcome) => void;
  private ended = false;
  private cancelled = false;

  private readonly providers = new Map<string, ProviderState>();
  private readonly errors: string[] = [];
  private readonly refusals: Refusal[] = [];
  private readonly offers = new OfferBook();
  private readonly offerStates = new Map<Offer, OfferState>();
  /** invoices ever handed to the payer */
  private readonly attempted = new Set<string>();
  /** invoices refused before reaching the payer */
  private readonly screenedOut = new Set<string>();
  private paid: Paid | null = null;
  /** a payment the wallet did not confirm: counted as paid, and nothing more is paid for this job */
  private unconfirmed: { provider: string; amountMsats: number; bolt11: string } | null = null;
  private paying: Promise<boolean> | null = null;

  private offerWindow: 'none' | 'open' | 'closed';
  private streamProvider: string | null = null;
  private partial = '';
  /** UTF-8 bytes in `partial`: bounded by request.maxResponseBytes */
  private partialBytes = 0;
  private firstTokenAt: number | null = null;
  private lastProvider: string | null = null;

  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private errorGrace: ReturnType<typeof setTimeout> | null = null;
  private readonly onAbort = () => this.cancel();

  constructor(private readonly init: SwarmJobInit) {
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve));
    // a targeted job pays the first acceptable offer: no window to wait for
    this.offerWindow = this.targeted ? 'closed' : 'none';
  }

  private get targeted(): boolean {
    return this.init.request.providers.length > 0;
  }

  /** Arms the swarm timeout and cancel; call once the job is published. */
  start(): void {
    const { request, startedAt, signal } = this.init;
    this.later(Math.max(0, startedAt + request.timeoutMs - Date.now()), () => this.onDeadline());
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
    const p = this.provider(m.provider);
    const who = providerName(m.provider);
    switch (m.status) {
      case 'error':
        this.onProviderError(m);
        return;
      case 'processing':
        this.engage(p);
        if (!p.announced) {
          p.announced = true;
          this.status('processing', `provider ${who} is processing the job`);
        }
        return;
      case 'partial':
        this.engage(p);
        if (!p.announced) {
          p.announced = true;
          this.status('processing', `provider ${who} is streaming an answer`);
        }
        if (m.content) this.stream(m.provider, m.content);
        return;
      case 'success':
        this.engage(p);
        this.status('processing', `provider ${who} reports success; waiting for the result`);
        return;
      case 'payment-required':
        this.engage(p);
        this.onOffer(m, p);
        return;
    }
  }

  private get maxBytes(): number {
    return this.init.request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /**
   * A provider that brings more than the bound is cut off: the job fails
   * saying so, and ends, so nothing more of it is kept, read or paid
   * (a pay-after invoice on its result never reaches the payer).
   */
  private cutOff(provider: string, what: string): void {
    const p = this.provider(provider);
    p.errored = true;
    this.fail(
      'error',
      `provider ${providerName(provider)} ${what} more than ${this.maxBytes} bytes (the response bound, --max-response-bytes / swarmCompute.maxResponseBytes); it was cut off and is not paid for its answer`,
    );
  }

  private stream(provider: string, text: string): void {
    if (this.streamProvider === null) this.streamProvider = provider;
    if (this.streamProvider !== provider) return;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (this.partialBytes + bytes > this.maxBytes) return this.cutOff(provider, 'streamed');
    this.partialBytes += bytes;
    if (this.firstTokenAt === null) this.firstTokenAt = Date.now();
    this.partial += text;
    this.emit({ type: 'token', lane: 'swarm', text });
  }

  private onProviderError(m: Feedback): void {
    const p = this.provider(m.provider);
    p.errored = true;
    const reason = (m.extra || m.content || 'no reason given').trim();
    const message = `provider ${providerName(m.provider)} reported an error: ${reason}`;
    this.errors.push(message);
    if (this.targeted) {
      const named = this.init.request.providers;
      if (named.every((pk) => this.providers.get(pk)?.errored)) this.fail('error', message);
      else this.status('pending', `${message}; waiting for the other named providers`);
      return;
    }
    if (this.anyActive()) {
      this.status('processing', `${message}; waiting for the other providers`);
      return;
    }
    this.status('pending', `${message}; waiting briefly for another provider`);
    if (this.errorGrace === null) {
      this.errorGrace = this.later(this.init.request.offerWindowMs, () => {
        this.errorGrace = null;
        if (!this.anyActive()) this.fail('error', this.errors.join('; '));
      });
    }
  }

  // ---- offers and payment ---------------------------------------------

  private onOffer(m: Feedback, p: ProviderState): void {
    if (this.paid || this.unconfirmed || this.cancelled) return; // one payment per job; nothing after cancel
    const { request, jobId } = this.init;
    const base: PaymentOffer = {
      jobId,
      provider: m.provider,
      amountTagMsats: m.amountTagMsats,
      bolt11: m.bolt11 ?? '',
      flow: 'pay-first',
    };
    const screened = screenOffer(base, request.maxPriceMsats);
    const offer: Offer = { ...base, askedMsats: screened.askedMsats, receivedAt: Date.now() };
    if (!this.offers.add(offer)) return;
    p.refused = false;
    this.offerStates.set(offer, 'open');
    const asked = screened.askedMsats === null ? 'payment' : `${screened.askedMsats} msats`;
    this.status('payment-required', `provider ${providerName(m.provider)} asks ${asked}`);
    if (screened.refusal) {
      if (offer.bolt11) this.screenedOut.add(offer.bolt11);
      this.refuse(offer, screened.refusal);
    }
    if (this.offerWindow === 'none') {
      this.offerWindow = 'open';
      this.later(request.offerWindowMs, () => {
        this.offerWindow = 'closed';
        void this.settleOffers();
      });
      return;
    }
    void this.settleOffers();
  }

  private refuse(offer: Offer, refusal: Refusal): void {
    this.offerStates.set(offer, 'refused');
    this.refusals.push(refusal);
    const p = this.providers.get(offer.provider);
    if (p && !this.hasOpenOffer(offer.provider)) p.refused = true;
    this.emit({
      type: 'payment',
      jobId: this.init.jobId,
      provider: offer.provider,
      amountMsats: offer.askedMsats ?? 0,
      outcome: 'refused',
      message: refusal.message,
    });
  }

  private hasOpenOffer(provider: string): boolean {
    for (const [offer, state] of this.offerStates) if (offer.provider === provider && state === 'open') return true;
    return false;
  }

  /** Pays the cheapest open offer once the window is closed; gives up when none is left and nobody else works. */
  private async settleOffers(): Promise<void> {
    while (!this.ended && !this.paid && !this.unconfirmed && !this.paying && this.offerWindow === 'closed') {
      const next = this.offers.candidates((o) => this.offerStates.get(o) === 'open' && !this.attempted.has(o.bolt11))[0];
      if (!next) {
        this.giveUpIfHopeless();
        return;
      }
      const ok = await this.pay(next);
      if (ok) {
        this.status('processing', `paid ${this.paid!.amountMsats} msats to ${providerName(next.provider)}; waiting for the result`);
        return;
      }
      if (this.offerStates.get(next) === 'open') return; // the payer was not asked (cancel, job over)
    }
  }

  /**
   * Only a targeted job can be hopeless before the swarm timeout: once every
   * named provider was refused or erred, nobody else may answer. An
   * untargeted job keeps waiting (CLI.md: the swarm timeout is how long to
   * wait for a result); another, cheaper provider may still come.
   */
  private giveUpIfHopeless(): void {
    if (this.ended || this.refusals.length === 0 || this.anyActive() || !this.targeted) return;
    const named = this.init.request.providers;
    if (!named.every((pk) => this.providers.get(pk)?.refused || this.providers.get(pk)?.errored)) return;
    this.failRefused();
  }

  private failRefused(): void {
    const kind = this.refusals.some((r) => r.kind === 'payment-failed') ? 'payment-failed' : 'price-too-high';
    this.fail(kind, [...new Set(this.refusals.map((r) => r.message))].join('; '));
  }

  /**
   * Hands one offer to the payer. Never twice for one invoice, never after
   * cancel, never once a payment succeeded, never after the job ended
   * (except the pay-after of the result being accepted).
   */
  private async pay(offer: Offer): Promise<boolean> {
    const { deps, request, signal, jobId } = this.init;
    if (signal.aborted || this.cancelled || this.paid || this.unconfirmed || this.paying) return false;
    if (this.ended && offer.flow !== 'pay-after') return false;
    if (!offer.bolt11 || this.attempted.has(offer.bolt11)) return false;
    this.attempted.add(offer.bolt11);
    this.offerStates.set(offer, 'paying');
    const payment: PaymentOffer = {
      jobId,
      provider: offer.provider,
      amountTagMsats: offer.amountTagMsats,
      bolt11: offer.bolt11,
      flow: offer.flow,
    };
    const run = (async (): Promise<boolean> => {
      let outcome: PaymentOutcome;
      try {
        outcome = await deps.payer.pay(payment, { maxPriceMsats: request.maxPriceMsats, signal });
      } catch (err) {
        outcome = { ok: false, kind: 'payment-failed', message: `payment failed: ${(err as Error)?.message ?? String(err)}` };
      }
      if (!outcome.ok && outcome.unconfirmed) {
        // It may have been paid: it counts, the provider may still deliver, and no other invoice is paid.
        this.unconfirmed = { provider: offer.provider, amountMsats: outcome.unconfirmed.amountMsats, bolt11: offer.bolt11 };
        this.offerStates.set(offer, 'paid');
        this.emit({
          type: 'payment',
          jobId,
          provider: offer.provider,
          amountMsats: outcome.unconfirmed.amountMsats,
          outcome: 'refused',
          message: outcome.message,
        });
        return false;
      }
      if (!outcome.ok) {
        const message = offer.flow === 'pay-after' ? `${outcome.message}; the result was delivered unpaid` : outcome.message;
        this.refuse(offer, { kind: outcome.kind, message });
        return false;
      }
      this.paid = {
        provider: offer.provider,
        amountMsats: outcome.amountMsats,
        feesMsats: outcome.feesMsats,
        preimage: outcome.preimage,
        bolt11: outcome.bolt11,
      };
      this.offerStates.set(offer, 'paid');
      this.emit({
        type: 'payment',
        jobId,
        provider: offer.provider,
        amountMsats: outcome.amountMsats,
        outcome: 'paid',
        message: `paid ${outcome.amountMsats} msats (+${outcome.feesMsats} msats fees) to ${providerName(offer.provider)}`,
      });
      return true;
    })();
    this.paying = run;
    try {
      return await run;
    } finally {
      this.paying = null;
    }
  }

  // ---- result ---------------------------------------------------------

  private onResult(m: Result): void {
    if (m.content === null) {
      // an answer we cannot read is no answer; count it as that provider's error
      this.onProviderError({
        ...m,
        type: 'feedback',
        status: 'error',
        extra: 'sent an encrypted result this client could not decrypt',
      });
      return;
    }
    const content = m.content;
    if (Buffer.byteLength(content, 'utf8') > this.maxBytes) return this.cutOff(m.provider, 'returned');
    this.end(async () => {
      const now = Date.now();
      if (this.firstTokenAt === null) this.firstTokenAt = now;
      this.status('completed', `result from ${providerName(m.provider)}`);
      await this.paying; // a pay-first payment in flight decides whether anything is still owed
      await this.payAfter(m);
      const response = content === '' && this.streamProvider === m.provider ? this.partial : content;
      return {
        ok: true,
        jobId: this.init.jobId,
        provider: m.provider,
        ...this.money(),
        paymentPreimage: this.paid?.preimage ?? null,
        response,
        ttftMs: this.firstTokenAt - this.init.startedAt,
        durationMs: Date.now() - this.init.startedAt,
      };
    });
  }

  private async payAfter(m: Result): Promise<void> {
    const asked = m.amountTagMsats;
    if (!m.bolt11) {
      if (asked && asked > 0 && !this.paid) {
        this.emit({
          type: 'payment',
          jobId: this.init.jobId,
          provider: m.provider,
          amountMsats: asked,
          outcome: 'refused',
          message: `provider ${providerName(m.provider)} asked ${asked} msats without an invoice; the result was delivered unpaid`,
        });
      }
      return;
    }
    // an invoice already paid, tried or refused as an offer is not taken up again
    if (this.paid || this.unconfirmed || this.attempted.has(m.bolt11) || this.screenedOut.has(m.bolt11) || this.init.signal.aborted) return;
    const base: PaymentOffer = { jobId: this.init.jobId, provider: m.provider, amountTagMsats: asked, bolt11: m.bolt11, flow: 'pay-after' };
    const screened = screenOffer(base, this.init.request.maxPriceMsats);
    const offer: Offer = { ...base, askedMsats: screened.askedMsats, receivedAt: Date.now() };
    if (screened.refusal) {
      this.refuse(offer, { ...screened.refusal, message: `${screened.refusal.message}; the result was delivered unpaid` });
      return;
    }
    await this.pay(offer);
  }

  // ---- ending ---------------------------------------------------------

  private onDeadline(): void {
    if (this.ended) return;
    const secs = Math.round(this.init.request.timeoutMs / 100) / 10;
    const engaged = [...this.providers.entries()].filter(([, s]) => s.engaged).map(([pk]) => pk);
    const refused = this.refusals.length > 0 ? ` (${[...new Set(this.refusals.map((r) => r.message))].join('; ')})` : '';
    if (this.anyActive()) {
      const who = engaged.map(providerName).join(', ');
      this.fail('timeout', `provider ${who} started but sent no result within ${secs} s${refused}`);
    } else if (this.refusals.length > 0) {
      this.failRefused();
    } else if (engaged.length > 0) {
      const who = engaged.map(providerName).join(', ');
      this.fail('timeout', `provider ${who} started but sent no result within ${secs} s`);
    } else if (this.errors.length > 0) {
      this.fail('error', this.errors.join('; '));
    } else {
      const ignored = this.init.ignoredProviders?.().size ?? 0;
      const others =
        ignored > 0 ? ` (${ignored} other provider${ignored === 1 ? '' : 's'} answered but ${ignored === 1 ? 'was' : 'were'} not among the named ones)` : '';
      const whom = this.targeted ? 'no named provider' : 'no provider';
      this.fail('no-provider', `${whom} answered within ${secs} s on ${this.init.relays.join(', ')}${refused}${others}`);
    }
  }

  private cancel(): void {
    if (this.ended) return;
    this.cancelled = true;
    this.end(async () => {
      await Promise.all([this.init.cancelJob().catch(() => {}), this.paying]);
      return this.failure('cancelled', 'cancelled; the job was withdrawn from the relays (kind-5 deletion)');
    });
  }

  private fail(kind: SwarmErrorKind, message: string): void {
    this.end(async () => {
      await this.paying;
      return this.failure(kind, message);
    });
  }

  private failure(kind: SwarmErrorKind, message: string): SwarmOutcome {
    return {
      ok: false,
      error: swarmError(kind, message),
      jobId: this.init.jobId,
      provider: this.paid?.provider ?? this.unconfirmed?.provider ?? this.streamProvider ?? this.lastProvider,
      ...this.money(),
      partial: this.partial,
      durationMs: Date.now() - this.init.startedAt,
    };
  }

  /** Ends the job once: timers and the abort listener go at once, the outcome when `produce` settles. */
  private end(produce: () => Promise<SwarmOutcome>): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.init.signal.removeEventListener('abort', this.onAbort);
    produce().then(this.resolveOutcome, (err) => this.resolveOutcome(this.failure('error', `swarm lane failed: ${(err as Error)?.message ?? err}`)));
  }

  // ---- helpers --------------------------------------------------------

  /** what this job paid, or may have paid (an unconfirmed payment counts in full) */
  private money(): { costMsats: number; feesMsats: number; paymentBolt11: string | null; paymentState: 'paid' | 'unconfirmed' | null } {
    if (this.paid) return { costMsats: this.paid.amountMsats, feesMsats: this.paid.feesMsats, paymentBolt11: this.paid.bolt11, paymentState: 'paid' };
    if (this.unconfirmed) return { costMsats: this.unconfirmed.amountMsats, feesMsats: 0, paymentBolt11: this.unconfirmed.bolt11, paymentState: 'unconfirmed' };
    return { costMsats: 0, feesMsats: 0, paymentBolt11: null, paymentState: null };
  }

  private provider(pubkey: string): ProviderState {
    let state = this.providers.get(pubkey);
    if (!state) {
      state = { engaged: false, errored: false, refused: false, announced: false };
      this.providers.set(pubkey, state);
    }
    return state;
  }

  private engage(p: ProviderState): void {
    p.engaged = true;
    if (this.errorGrace !== null && !p.errored) {
      clearTimeout(this.errorGrace);
      this.timers.delete(this.errorGrace);
      this.errorGrace = null;
    }
  }

  /** some provider is still working on it (engaged, no error, not waiting on a payment we refused) */
  private anyActive(): boolean {
    for (const s of this.providers.values()) if (s.engaged && !s.errored && !s.refused) return true;
    return false;
  }

  private later(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
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
