// Payments the wallet never confirmed (pay_invoice timed out, the invoice is
// held) count as spent. Here they are asked about again with lookup_invoice
// and settled: 'paid' when the wallet shows them settled, 'failed' when it
// says they failed, or when the invoice has expired and the wallet has no
// settled record of it (it can no longer be paid). Anything else stays
// unconfirmed, and counted.
import type { LedgerPayment, PaymentLedger } from '../history/payment-ledger';
import { decodeInvoice } from './invoice-check';
import type { NwcTransaction } from './nwc-results';
import { WalletError } from './wallet-error';

export interface LookupWallet {
  lookupInvoice(params: { paymentHash?: string; invoice?: string }, options?: { timeoutMs?: number }): Promise<NwcTransaction>;
}

export interface SettleOptions {
  now?: () => number;
  /** per lookup, ms (5 s): a slow wallet must not hold up the payment that asked */
  timeoutMs?: number;
  /**
   * A 'reserved' payment older than this belongs to a process that died while
   * paying (ms, default 10 min): it is looked up too.
   */
  staleReservedMs?: number;
  /** at most this many lookups per call (default 20) */
  limit?: number;
}

export async function settleUnconfirmed(ledger: PaymentLedger, wallet: LookupWallet, opts: SettleOptions = {}): Promise<number> {
  const now = opts.now ?? Date.now;
  const stale = opts.staleReservedMs ?? 10 * 60_000;
  const open = (await ledger.paymentsIn(['unconfirmed', 'reserved'])).filter((p) => p.state === 'unconfirmed' || now() - p.reservedAt > stale);
  let settled = 0;
  for (const p of open.slice(0, opts.limit ?? 20)) {
    const verdict = await lookUp(p, wallet, opts.timeoutMs ?? 5_000, now());
    if (!verdict) continue;
    await ledger.settlePayment(p.paymentHash, { ...verdict, settledAt: now() });
    settled++;
  }
  return settled;
}

async function lookUp(
  p: LedgerPayment,
  wallet: LookupWallet,
  timeoutMs: number,
  nowMs: number,
): Promise<{ state: 'paid' | 'failed'; feesMsats: number; preimage: string | null } | null> {
  const expired = invoiceExpired(p.bolt11, nowMs);
  let tx: NwcTransaction;
  try {
    tx = await wallet.lookupInvoice({ paymentHash: p.paymentHash }, { timeoutMs });
  } catch (e) {
    // the wallet has no record of it, and it can no longer be paid
    if (e instanceof WalletError && e.code === 'NOT_FOUND' && expired) return { state: 'failed', feesMsats: 0, preimage: null };
    return null;
  }
  const state = tx.state?.toLowerCase() ?? null;
  if (tx.settledAt !== null || state === 'settled') return { state: 'paid', feesMsats: tx.feesPaidMsats, preimage: tx.preimage };
  if (state === 'failed') return { state: 'failed', feesMsats: 0, preimage: null };
  if (expired && (state === 'expired' || state === 'pending' || state === null)) return { state: 'failed', feesMsats: 0, preimage: null };
  return null;
}

function invoiceExpired(bolt11: string, nowMs: number): boolean {
  try {
    return nowMs >= decodeInvoice(bolt11).expiresAtMs;
  } catch {
    return false;
  }
}
