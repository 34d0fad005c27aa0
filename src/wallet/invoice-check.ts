// Whether an offer may be paid. Pure: everything it needs is passed in, so
// the rules can be tested exhaustively. The payer calls it right before
// sending the payment.
import { decode } from 'light-bolt11-decoder';
import type { PaymentOffer, PaymentRefusalReason } from './types';

/** BOLT-11: an invoice without an expiry field expires after an hour. */
export const DEFAULT_INVOICE_EXPIRY_SECS = 3600;

export interface DecodedInvoice {
  /** null for an amountless invoice */
  amountMsats: number | null;
  paymentHash: string;
  timestampSecs: number;
  expirySecs: number;
  expiresAtMs: number;
}

/** Decodes the fields the checks need; throws with a short reason when it cannot. */
export function decodeInvoice(bolt11: string): DecodedInvoice {
  if (typeof bolt11 !== 'string' || bolt11.trim() === '') throw new Error('empty invoice');
  const { sections } = decode(bolt11.trim());
  let amountMsats: number | null = null;
  let paymentHash: string | null = null;
  let timestampSecs: number | null = null;
  let expirySecs = DEFAULT_INVOICE_EXPIRY_SECS;
  for (const s of sections) {
    if (s.name === 'amount') {
      // whole msats only: a sub-millisatoshi amount cannot be paid as asked
      if (!/^\d+$/.test(String(s.value))) throw new Error(`amount ${String(s.value)} is not a whole number of msats`);
      amountMsats = Number(s.value);
      if (!Number.isSafeInteger(amountMsats)) throw new Error('amount too large');
    } else if (s.name === 'payment_hash') paymentHash = String(s.value).toLowerCase();
    else if (s.name === 'timestamp') timestampSecs = Number(s.value);
    else if (s.name === 'expiry') expirySecs = Number(s.value);
  }
  if (!paymentHash || !/^[0-9a-f]{64}$/.test(paymentHash)) throw new Error('no payment hash');
  if (timestampSecs === null || !Number.isFinite(timestampSecs)) throw new Error('no timestamp');
  if (!Number.isFinite(expirySecs) || expirySecs < 0) throw new Error('bad expiry');
  return { amountMsats: amountMsats === 0 ? null : amountMsats, paymentHash, timestampSecs, expirySecs, expiresAtMs: (timestampSecs + expirySecs) * 1000 };
}

export interface BudgetState {
  limitMsats: number;
  /** already spent in the period (cost + fees), including payments still in flight */
  spentMsats: number;
}

export interface InvoiceCheckInput {
  offer: Pick<PaymentOffer, 'jobId' | 'provider' | 'amountTagMsats' | 'bolt11' | 'flow'>;
  maxPriceMsats: number;
  nowMs: number;
  /** true when this payment hash was paid, or sent to the wallet, before */
  isPaymentHashUsed(paymentHash: string): boolean;
  job: {
    /** null while the job is open */
    closed: null | { state: 'cancelled' } | { state: 'finished'; provider: string };
    /** msats this job already paid or has in flight (the cap is per job) */
    paidMsats: number;
  };
  budgets: { daily: BudgetState | null; monthly: BudgetState | null };
}

export type InvoiceCheck =
  | { ok: true; amountMsats: number; paymentHash: string; expiresAtMs: number }
  | {
      ok: false;
      kind: 'price-too-high' | 'payment-failed';
      reason: PaymentRefusalReason;
      message: string;
      amountMsats: number | null;
      paymentHash: string | null;
    };

export function checkInvoice(input: InvoiceCheckInput): InvoiceCheck {
  const { offer, maxPriceMsats, nowMs, job, budgets } = input;
  let amountMsats: number | null = null;
  let paymentHash: string | null = null;
  const refuse = (reason: PaymentRefusalReason, message: string, kind: 'price-too-high' | 'payment-failed' = 'payment-failed'): InvoiceCheck => ({
    ok: false,
    kind,
    reason,
    message: message.endsWith(': not paid') ? message : `${message}: not paid`,
    amountMsats,
    paymentHash,
  });

  if (job.closed?.state === 'cancelled') return refuse('job-cancelled', 'the job was cancelled; nothing is paid after a cancel');

  let invoice: DecodedInvoice;
  try {
    invoice = decodeInvoice(offer.bolt11);
  } catch (e) {
    return refuse('undecodable', `the provider's invoice is not a readable BOLT-11 invoice (${shortReason(e)})`);
  }
  amountMsats = invoice.amountMsats;
  paymentHash = invoice.paymentHash;

  if (job.closed?.state === 'finished' && job.closed.provider !== offer.provider) {
    return refuse(
      'job-finished',
      `the job already finished with provider ${short(job.closed.provider)}; offer of ${fmt(amountMsats)} from ${short(offer.provider)} ignored`,
    );
  }
  if (input.isPaymentHashUsed(invoice.paymentHash)) {
    return refuse('already-paid', `invoice ${short(invoice.paymentHash)} (${fmt(amountMsats)}) was already paid; an invoice is paid once`);
  }
  if (invoice.amountMsats === null) {
    const tag = validTag(offer.amountTagMsats) ? ` (its amount tag says ${offer.amountTagMsats} msats)` : '';
    return refuse('no-amount', `the provider's invoice has no amount${tag} (cap ${fmtCap(maxPriceMsats)}): not paid`);
  }
  const amount = invoice.amountMsats;
  // Both flows carry the bolt11 inside the `amount` tag (NIP-90), so a
  // missing or malformed tag means the price was not stated: refuse in both.
  if (!validTag(offer.amountTagMsats)) {
    return refuse(
      'amount-tag-missing',
      `the provider's invoice asks ${amount} msats (cap ${fmtCap(maxPriceMsats)}) but the offer has no valid amount tag to check it against: not paid`,
    );
  }
  if (offer.amountTagMsats !== amount) {
    return refuse(
      'amount-mismatch',
      `the invoice asks ${amount} msats but the amount tag says ${offer.amountTagMsats} msats (cap ${fmtCap(maxPriceMsats)}): not paid`,
    );
  }
  if (!validLimit(maxPriceMsats)) {
    return refuse('over-cap', `the max price (${String(maxPriceMsats)}) is not a whole number of msats ≥ 0`, 'price-too-high');
  }
  if (job.paidMsats + amount > maxPriceMsats) {
    const already = job.paidMsats > 0 ? ` (this job already paid ${job.paidMsats} msats)` : '';
    return refuse('over-cap', `the provider asks ${amount} msats, above the max price of ${maxPriceMsats} msats${already}`, 'price-too-high');
  }
  if (nowMs >= invoice.expiresAtMs) {
    return refuse('expired', `the invoice for ${amount} msats expired at ${iso(invoice.expiresAtMs)} (now ${iso(nowMs)})`);
  }
  for (const [period, budget, reason] of [
    ['daily', budgets.daily, 'daily-budget'],
    ['monthly', budgets.monthly, 'monthly-budget'],
  ] as const) {
    if (!budget) continue;
    const when = period === 'daily' ? 'today' : 'this month';
    if (!validLimit(budget.limitMsats) || !Number.isFinite(budget.spentMsats)) {
      return refuse(reason, `the ${period} budget (${String(budget.limitMsats)} msats) or the spending ${when} cannot be used`);
    }
    if (budget.spentMsats + amount > budget.limitMsats) {
      return refuse(
        reason,
        `paying ${amount} msats would pass the ${period} budget of ${budget.limitMsats} msats (${budget.spentMsats} msats spent ${when}, UTC)`,
      );
    }
  }
  return { ok: true, amountMsats: amount, paymentHash: invoice.paymentHash, expiresAtMs: invoice.expiresAtMs };
}

function fmtCap(maxPriceMsats: number): string {
  return `${String(maxPriceMsats)} msats`;
}

function validTag(v: number | null): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function validLimit(v: number): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function fmt(msats: number | null): string {
  return msats === null ? 'no amount' : `${msats} msats`;
}

function short(hex: string): string {
  return hex.length > 12 ? `${hex.slice(0, 8)}…` : hex;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function shortReason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/\s+/g, ' ').slice(0, 80);
}
