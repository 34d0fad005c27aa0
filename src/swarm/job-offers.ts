// The offers and the money of one job: each offer is screened against the
// cap (an offer above it never reaches the payer), deduplicated by invoice
// and ranked cheapest first (offer-book.ts); each invoice is handed to the
// payer at most once, at most one payment succeeds, and nothing is handed
// to it after cancel or once the job ended (except the pay-after of the
// result being accepted). Whether a provider was refused is decided here
// alone: all its offers were refused.
import type { RunEvent } from '../run/events';
import type { Payer, PaymentOffer, PaymentOutcome } from '../wallet/types';
import { OfferBook, screenOffer, type Offer, type Refusal } from './offer-book';
import { providerName } from './provider-name';

export interface JobOffersInit {
  jobId: string;
  maxPriceMsats: number;
  payer: Payer;
  /** the job's cancel: nothing is handed to the payer once it is aborted */
  signal: AbortSignal;
  emit(event: RunEvent): void;
}

type OfferState = 'open' | 'paying' | 'paid' | 'refused';

/** How long an ending job waits for a wallet that has not answered a payment yet. */
export const PAYMENT_GRACE_MS = 2000;

interface Paid {
  provider: string;
  amountMsats: number;
  feesMsats: number;
  preimage: string;
  bolt11: string;
}

/** What a job paid, or may have paid (an unconfirmed payment counts in full). */
export interface Money {
  costMsats: number;
  feesMsats: number;
  paymentBolt11: string | null;
  paymentState: 'paid' | 'unconfirmed' | null;
}

/** The part of a result that may ask to be paid after (pay-after). */
export interface AskedAfter {
  provider: string;
  amountTagMsats: number | null;
  bolt11: string | null;
}

export class JobOffers {
  private readonly book = new OfferBook();
  private readonly states = new Map<Offer, OfferState>();
  private readonly refusals: Refusal[] = [];
  /** why each refused invoice was refused: a result that still bills it is not taken for the same reason */
  private readonly refusedInvoices = new Map<string, Refusal>();
  /** invoices handed to the payer or refused before reaching it: never handed to it (again) */
  private readonly closedInvoices = new Set<string>();
  private paid: Paid | null = null;
  /** a payment the wallet did not confirm: counted as paid, and nothing more is paid for this job */
  private unconfirmed: { provider: string; amountMsats: number; bolt11: string } | null = null;
  private inFlight: Promise<boolean> | null = null;
  private inFlightOffer: Offer | null = null;
  private ended = false;

  constructor(private readonly init: JobOffersInit) {}

  /** a payment went out, or may have: nothing more is paid for this job */
  get settled(): boolean {
    return this.paid !== null || this.unconfirmed !== null;
  }

  /** who was (or may have been) paid */
  get payee(): string | null {
    return this.paid?.provider ?? this.unconfirmed?.provider ?? null;
  }

  get preimage(): string | null {
    return this.paid?.preimage ?? null;
  }

  /** the payment in flight: settles when the payer answered */
  get paying(): Promise<boolean> | null {
    return this.inFlight;
  }

  /**
   * The job is ending (timeout, failure, cancel): a payment in flight is waited
   * for at most `graceMs`. One the wallet has still not answered then counts as
   * unconfirmed — spent, as it may have gone through — so a slow wallet does not
   * hold the job past its swarm timeout (the payer settles it when the wallet answers).
   */
  async paymentKnown(graceMs: number): Promise<void> {
    const run = this.inFlight;
    const offer = this.inFlightOffer;
    if (!run || !offer) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = await Promise.race([run.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
    clearTimeout(timer);
    if (answered || this.settled) return;
    const amountMsats = offer.askedMsats ?? offer.amountTagMsats ?? 0;
    this.unconfirmed = { provider: offer.provider, amountMsats, bolt11: offer.bolt11 };
    this.states.set(offer, 'paid');
    const message = `the wallet has not answered the payment of ${amountMsats} msats: it counts as spent until the wallet says otherwise`;
    this.init.emit({ type: 'payment', jobId: this.init.jobId, provider: offer.provider, amountMsats, outcome: 'refused', message });
  }

  /** From now on only a pay-after (of the result being accepted) may still be paid. */
  endJob(): void {
    this.ended = true;
  }

  /** false when this invoice (or an invoice-less offer of this provider and amount) was already offered */
  receive(provider: string, amountTagMsats: number | null, bolt11: string | null): boolean {
    const base: PaymentOffer = { jobId: this.init.jobId, provider, amountTagMsats, bolt11: bolt11 ?? '', flow: 'pay-first' };
    const screened = screenOffer(base, this.init.maxPriceMsats);
    const offer: Offer = { ...base, askedMsats: screened.askedMsats, receivedAt: Date.now() };
    if (!this.book.add(offer)) return false;
    this.states.set(offer, 'open');
    const asked = screened.askedMsats === null ? 'payment' : `${screened.askedMsats} msats`;
    this.init.emit({ type: 'status', lane: 'swarm', state: 'payment-required', message: `provider ${providerName(provider)} asks ${asked}` });
    if (screened.refusal) this.refuse(offer, screened.refusal);
    return true;
  }

  /** all of this provider's offers were refused: it waits for a payment that will not come */
  isRefused(provider: string): boolean {
    let refused = false;
    for (const [offer, state] of this.states) {
      if (offer.provider !== provider) continue;
      if (state !== 'refused') return false;
      refused = true;
    }
    return refused;
  }

  /**
   * Pays the cheapest open offer, then the next if the payer refused it;
   * 'none-left' when no open offer remains.
   */
  async settle(): Promise<'paid' | 'none-left' | 'stopped'> {
    while (!this.ended && !this.settled && !this.inFlight) {
      const next = this.book.candidates((o) => this.states.get(o) === 'open' && !this.closedInvoices.has(o.bolt11))[0];
      if (!next) return 'none-left';
      if (await this.pay(next)) {
        const message = `paid ${this.paid!.amountMsats} msats to ${providerName(next.provider)}; waiting for the result`;
        this.init.emit({ type: 'status', lane: 'swarm', state: 'processing', message });
        return 'paid';
      }
      if (this.states.get(next) === 'open') return 'stopped'; // the payer was not asked (cancel, job over)
    }
    return 'stopped';
  }

  /**
   * What to do with a result, decided at once (before the job ends on it):
   * 'take' it (it asks nothing, or what it asks may still be paid: payAfter
   * decides), 'ignore' it (it bills although another provider was paid: that
   * one's answer is awaited), or a refusal (its invoice is above the cap, or
   * was refused already): CLI.md — nothing above the cap is paid, and a result
   * that is not paid for is not taken.
   */
  judgeResult(m: AskedAfter): 'take' | 'ignore' | Refusal {
    if (!m.bolt11) return 'take';
    if (this.settled) return this.payee === m.provider ? 'take' : 'ignore';
    const earlier = this.refusedInvoices.get(m.bolt11);
    if (earlier) return notTaken(earlier);
    if (this.closedInvoices.has(m.bolt11)) return 'take'; // being paid as an offer: payAfter waits for it
    const base: PaymentOffer = { jobId: this.init.jobId, provider: m.provider, amountTagMsats: m.amountTagMsats, bolt11: m.bolt11, flow: 'pay-after' };
    const screened = screenOffer(base, this.init.maxPriceMsats);
    if (!screened.refusal) return 'take';
    const refusal = notTaken(screened.refusal);
    this.refuse({ ...base, askedMsats: screened.askedMsats, receivedAt: Date.now() }, refusal);
    return refusal;
  }

  /**
   * A taken result's own invoice, paid after if nothing else was paid. When
   * the payer refuses it (a budget, no wallet, the wallet), the refusal is
   * returned for the job to fail with: the result is not taken. A result with
   * only an amount (no invoice) is taken: there is nothing to pay.
   */
  async payAfter(m: AskedAfter): Promise<Refusal | null> {
    const { jobId, signal } = this.init;
    const asked = m.amountTagMsats;
    if (!m.bolt11) {
      if (asked && asked > 0 && !this.paid) {
        const message = `provider ${providerName(m.provider)} asked ${asked} msats without an invoice; the result was delivered unpaid`;
        this.init.emit({ type: 'payment', jobId, provider: m.provider, amountMsats: asked, outcome: 'refused', message });
      }
      return null;
    }
    const judged = this.judgeResult(m);
    if (judged !== 'take') return judged === 'ignore' ? null : judged;
    if (this.settled || signal.aborted) return null;
    const offer: Offer = { jobId, provider: m.provider, amountTagMsats: asked, bolt11: m.bolt11, flow: 'pay-after', askedMsats: null, receivedAt: Date.now() };
    offer.askedMsats = screenOffer(offer, this.init.maxPriceMsats).askedMsats;
    if ((await this.pay(offer)) || this.settled) return null;
    const refused = this.refusedInvoices.get(m.bolt11);
    return refused ?? notTaken({ kind: 'payment-failed', message: `the invoice of ${providerName(m.provider)} was not paid` });
  }

  /** every refusal once, for the job's error; payment-failed when any payment failed, else price-too-high */
  refusal(): Refusal | null {
    if (this.refusals.length === 0) return null;
    const kind = this.refusals.some((r) => r.kind === 'payment-failed') ? 'payment-failed' : 'price-too-high';
    return { kind, message: [...new Set(this.refusals.map((r) => r.message))].join('; ') };
  }

  money(): Money {
    if (this.paid) return { costMsats: this.paid.amountMsats, feesMsats: this.paid.feesMsats, paymentBolt11: this.paid.bolt11, paymentState: 'paid' };
    if (this.unconfirmed) return { costMsats: this.unconfirmed.amountMsats, feesMsats: 0, paymentBolt11: this.unconfirmed.bolt11, paymentState: 'unconfirmed' };
    return { costMsats: 0, feesMsats: 0, paymentBolt11: null, paymentState: null };
  }

  private refuse(offer: Offer, refusal: Refusal): void {
    this.states.set(offer, 'refused');
    if (offer.bolt11) {
      this.closedInvoices.add(offer.bolt11);
      this.refusedInvoices.set(offer.bolt11, refusal);
    }
    this.refusals.push(refusal);
    this.init.emit({
      type: 'payment',
      jobId: this.init.jobId,
      provider: offer.provider,
      amountMsats: offer.askedMsats ?? 0,
      outcome: 'refused',
      message: refusal.message,
    });
  }

  /** Hands one offer to the payer, under every rule in the header; true when it was paid. */
  private async pay(offer: Offer): Promise<boolean> {
    const { signal } = this.init;
    if (signal.aborted || this.settled || this.inFlight) return false;
    if (this.ended && offer.flow !== 'pay-after') return false;
    if (!offer.bolt11 || this.closedInvoices.has(offer.bolt11)) return false;
    this.closedInvoices.add(offer.bolt11);
    this.states.set(offer, 'paying');
    const run = this.hand(offer);
    this.inFlight = run;
    this.inFlightOffer = offer;
    try {
      return await run;
    } finally {
      this.inFlight = null;
      this.inFlightOffer = null;
    }
  }

  private async hand(offer: Offer): Promise<boolean> {
    const { payer, maxPriceMsats, signal, jobId } = this.init;
    const payment: PaymentOffer = { jobId, provider: offer.provider, amountTagMsats: offer.amountTagMsats, bolt11: offer.bolt11, flow: offer.flow };
    let outcome: PaymentOutcome;
    try {
      outcome = await payer.pay(payment, { maxPriceMsats, signal });
    } catch (err) {
      outcome = { ok: false, kind: 'payment-failed', message: `payment failed: ${(err as Error)?.message ?? String(err)}` };
    }
    const spent = outcome.ok ? undefined : (outcome.unconfirmed ?? outcome.paid);
    if (!outcome.ok && spent) {
      // It may have been paid (or was, with a wrong preimage): it counts, the provider may still deliver, and no other invoice is paid.
      const amountMsats = spent.amountMsats;
      this.unconfirmed = { provider: offer.provider, amountMsats, bolt11: offer.bolt11 };
      this.states.set(offer, 'paid');
      this.init.emit({ type: 'payment', jobId, provider: offer.provider, amountMsats, outcome: 'refused', message: outcome.message });
      return false;
    }
    if (!outcome.ok) {
      this.refuse(offer, offer.flow === 'pay-after' ? notTaken(outcome) : { kind: outcome.kind, message: outcome.message });
      return false;
    }
    const { amountMsats, feesMsats, preimage, bolt11 } = outcome;
    this.paid = { provider: offer.provider, amountMsats, feesMsats, preimage, bolt11 };
    this.states.set(offer, 'paid');
    this.init.emit({
      type: 'payment',
      jobId,
      provider: offer.provider,
      amountMsats,
      outcome: 'paid',
      message: `paid ${amountMsats} msats (+${feesMsats} msats fees) to ${providerName(offer.provider)}`,
    });
    return true;
  }
}

/** a refusal of the invoice a result came with: that result is not taken */
function notTaken(r: Refusal): Refusal {
  return { kind: r.kind, message: r.message.endsWith('its result was not taken') ? r.message : `${r.message}; its result was not taken` };
}
