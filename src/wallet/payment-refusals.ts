// The payer's refusals in words: each names what was asked and the limit it
// would pass, and ends with what happened to the money ("not paid").
import type { ReserveResult } from '../history/payment-ledger';
import type { PaymentOutcome, PaymentRefusalReason } from './types';

export function refusedByLedger(r: Exclude<ReserveResult, { ok: true }>, amount: number, paymentHash: string): PaymentOutcome {
  switch (r.reason) {
    case 'daily-budget':
    case 'monthly-budget': {
      const period = r.reason === 'daily-budget' ? 'daily' : 'monthly';
      const when = period === 'daily' ? 'today' : 'this month';
      return refused(
        'payment-failed',
        r.reason,
        `paying ${amount} msats would pass the ${period} budget of ${r.limitMsats} msats (${r.spentMsats} msats spent or reserved ${when}, UTC): not paid`,
      );
    }
    case 'over-cap':
      return refused(
        'price-too-high',
        'over-cap',
        `the provider asks ${amount} msats, above the max price of ${r.limitMsats} msats (this job already paid or reserved ${r.spentMsats} msats): not paid`,
      );
    case 'already-paid':
      return refused(
        'payment-failed',
        'already-paid',
        `invoice ${paymentHash.slice(0, 8)}… (${amount} msats) was already handed to the wallet (${r.state}); an invoice is paid once: not paid`,
      );
  }
}

export function cancelled(): PaymentOutcome {
  return refused('payment-failed', 'cancelled', 'the job was cancelled before payment: nothing paid');
}

export function refused(kind: 'price-too-high' | 'payment-failed', reason: PaymentRefusalReason, message: string): PaymentOutcome {
  return { ok: false, kind, reason, message };
}

export function errText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim().slice(0, 240);
}
