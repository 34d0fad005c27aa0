// The Payer that spends real money: every offer goes through checkInvoice
// (amount, cap, expiry, duplicates, job state, budgets) right before the
// wallet is asked, and the decision and the reservation it implies happen in
// one synchronous step, so concurrent pay() calls cannot both pass a check
// that only one of them may pass.
//
// With a ledger (the history database, payment-ledger.ts) the budgets and
// the per-job cap are also checked and reserved there, under the file lock,
// before the wallet is asked: that is what holds across processes. The
// reservation is released only when the wallet says the payment failed; a
// payment without a clear answer stays counted as 'unconfirmed'.
import type { PaymentLedger, PaymentSettlement, ReserveResult } from '../history/payment-ledger';
import { checkInvoice } from './invoice-check';
import { networkMismatch, walletNetwork } from './invoice-network';
import { WalletError } from './wallet-error';
import { startOfUtcDay, startOfUtcMonth } from './budget-periods';
import { preimageMatches } from './payment-proof';
import { cancelled, errText, refused, refusedByLedger } from './payment-refusals';
import type { PaidInvoice, Payer, PaymentContext, PaymentOffer, PaymentOutcome, PaymentWallet } from './types';

export interface PolicyPayerOptions {
  wallet: PaymentWallet;
  /** msats spent (cost + fees) by jobs since this time (Unix ms), from the history database (used without a ledger) */
  spentMsatsSince(sinceMs: number): Promise<number>;
  /** the shared record of payments: budgets and the cap are reserved there, across processes */
  ledger?: PaymentLedger;
  /**
   * The wallet's network as NIP-47 get_info reports it (null: not said, or
   * get_info failed: mainnet). Given, only invoices of that network are paid.
   */
  walletNetwork?(): Promise<string | null>;
  /** looks up payments left unconfirmed before this payer reserves anything (lookup_invoice) */
  settleUnconfirmed?(): Promise<void>;
  dailyBudgetMsats: number | null;
  monthlyBudgetMsats: number | null;
  now?: () => number;
  /** pay_invoice timeout, ms (60 s) */
  payTimeoutMs?: number;
  /** after a cancel while the wallet is paying, wait this long for its answer, ms (5 s) */
  abortGraceMs?: number;
  /**
   * This payer's own payments count on top of the history's figure until
   * recorded() is called for them, or for this long (ms, default 60 s):
   * counting twice for a while is safe, not counting at all is not.
   */
  recordGraceMs?: number;
}

/** A payment this payer made (or may have made). */
export interface PaymentRecord extends PaidInvoice {
  jobId: string;
  provider: string;
  paidAtMs: number;
  /** false when the preimage did not match the payment hash */
  verified: boolean;
}

interface Pending {
  paymentHash: string;
  msats: number;
  atMs: number;
}

export class PolicyPayer implements Payer {
  private readonly wallet: PaymentWallet;
  private readonly now: () => number;
  /** payment hashes sent to the wallet (or about to be): never sent again */
  private readonly usedHashes = new Set<string>();
  /** msats paid or in flight per job */
  private readonly jobPaid = new Map<string, number>();
  private readonly closedJobs = new Map<string, { state: 'cancelled' } | { state: 'finished'; provider: string }>();
  /** own spending the history may not show yet */
  private pending: Pending[] = [];
  private readonly records: PaymentRecord[] = [];
  private settling: Promise<void> | null = null;
  private network: Promise<string | null> | null = null;

  constructor(private readonly options: PolicyPayerOptions) {
    this.wallet = options.wallet;
    this.now = options.now ?? Date.now;
  }

  cancelJob(jobId: string): void {
    this.closedJobs.set(jobId, { state: 'cancelled' });
  }

  finishJob(jobId: string, provider: string): void {
    if (this.closedJobs.get(jobId)?.state === 'cancelled') return;
    this.closedJobs.set(jobId, { state: 'finished', provider });
  }

  /** The history now counts this payment: stop adding it on top. */
  recorded(paymentHash: string): void {
    this.pending = this.pending.filter((p) => p.paymentHash !== paymentHash);
  }

  /** Payments made by this payer, oldest first. */
  payments(): readonly PaymentRecord[] {
    return this.records;
  }

  async pay(offer: PaymentOffer, ctx: PaymentContext): Promise<PaymentOutcome> {
    if (ctx.signal.aborted) return cancelled();
    if (this.options.walletNetwork) {
      // only the wallet's own network: refused by name before anything is reserved or sent
      this.network ??= this.options.walletNetwork().catch(() => null);
      const mismatch = networkMismatch(offer.bolt11, walletNetwork(await this.network));
      if (mismatch) return refused('payment-failed', 'wrong-network', `${mismatch}: not paid`);
      if (ctx.signal.aborted) return cancelled();
    }
    const { dailyBudgetMsats, monthlyBudgetMsats, ledger } = this.options;
    let dailySpent = 0;
    let monthlySpent = 0;
    const nowForPeriods = this.now();
    if (ledger) {
      this.settling ??= (this.options.settleUnconfirmed?.() ?? Promise.resolve()).catch(() => undefined);
      await this.settling;
    } else if (dailyBudgetMsats !== null || monthlyBudgetMsats !== null) {
      try {
        [dailySpent, monthlySpent] = await Promise.all([
          dailyBudgetMsats !== null ? this.options.spentMsatsSince(startOfUtcDay(nowForPeriods)) : 0,
          monthlyBudgetMsats !== null ? this.options.spentMsatsSince(startOfUtcMonth(nowForPeriods)) : 0,
        ]);
      } catch (e) {
        return refused('payment-failed', 'budget-unknown', `cannot read what was spent so far to check the budget (${errText(e)}): not paid`);
      }
    }

    // From here to the wallet call nothing awaits: check and reservation are one step.
    const now = this.now();
    this.prunePending(now);
    const check = checkInvoice({
      offer,
      maxPriceMsats: ctx.maxPriceMsats,
      nowMs: now,
      isPaymentHashUsed: (h) => this.usedHashes.has(h),
      job: { closed: this.closedJobs.get(offer.jobId) ?? null, paidMsats: this.jobPaid.get(offer.jobId) ?? 0 },
      budgets: ledger
        ? { daily: null, monthly: null } // checked in the ledger, under its lock
        : {
            daily:
              dailyBudgetMsats === null ? null : { limitMsats: dailyBudgetMsats, spentMsats: dailySpent + this.pendingSince(startOfUtcDay(nowForPeriods)) },
            monthly:
              monthlyBudgetMsats === null
                ? null
                : { limitMsats: monthlyBudgetMsats, spentMsats: monthlySpent + this.pendingSince(startOfUtcMonth(nowForPeriods)) },
          },
    });
    if (!check.ok) return refused(check.kind, check.reason, check.message);

    const { amountMsats, paymentHash } = check;
    this.usedHashes.add(paymentHash);
    this.jobPaid.set(offer.jobId, (this.jobPaid.get(offer.jobId) ?? 0) + amountMsats);
    const pending: Pending = { paymentHash, msats: amountMsats, atMs: now };
    this.pending.push(pending);
    const release = () => {
      this.jobPaid.set(offer.jobId, (this.jobPaid.get(offer.jobId) ?? 0) - amountMsats);
      this.pending = this.pending.filter((p) => p !== pending);
    };

    let settle = (_s: PaymentSettlement['state'], _fees = 0, _preimage: string | null = null): Promise<void> => Promise.resolve();
    if (ledger) {
      let reserved: ReserveResult;
      try {
        reserved = await ledger.reservePayment(
          { paymentHash, bolt11: offer.bolt11, jobId: offer.jobId, provider: offer.provider, amountMsats, reservedAt: now },
          {
            capMsats: ctx.maxPriceMsats,
            daily: dailyBudgetMsats === null ? null : { limitMsats: dailyBudgetMsats, sinceMs: startOfUtcDay(now) },
            monthly: monthlyBudgetMsats === null ? null : { limitMsats: monthlyBudgetMsats, sinceMs: startOfUtcMonth(now) },
          },
        );
      } catch (e) {
        release();
        this.usedHashes.delete(paymentHash);
        return refused(
          'payment-failed',
          'budget-unknown',
          `cannot reserve ${amountMsats} msats in the history database to check the budgets (${errText(e)}): not paid`,
        );
      }
      if (!reserved.ok) {
        release();
        if (reserved.reason !== 'already-paid') this.usedHashes.delete(paymentHash);
        return refusedByLedger(reserved, amountMsats, paymentHash);
      }
      settle = (state, fees = 0, preimage = null) =>
        ledger.settlePayment(paymentHash, { state, feesMsats: fees, preimage, settledAt: this.now() }).catch(() => undefined);
    }

    // the last moment before money moves: nothing is paid after a cancel
    if (ctx.signal.aborted) {
      release();
      await settle('failed'); // never sent
      this.usedHashes.delete(paymentHash);
      return cancelled();
    }
    let payment;
    try {
      payment = await this.wallet.payInvoice(offer.bolt11, {
        signal: ctx.signal,
        timeoutMs: this.options.payTimeoutMs ?? 60_000,
        abortGraceMs: this.options.abortGraceMs ?? 5_000,
      });
    } catch (e) {
      const uncertain = e instanceof WalletError ? e.mayHaveSucceeded : true;
      if (e instanceof WalletError && e.code === 'ABORTED' && !e.mayHaveSucceeded) {
        release();
        await settle('failed');
        return cancelled(); // the hash stays used: it was handed to the wallet, which refused to send it
      }
      // An uncertain payment keeps its reservation (budget and job cap): it may have gone through.
      const why = errText(e);
      if (!uncertain) {
        release();
        await settle('failed');
        return refused('payment-failed', 'wallet-error', `payment of ${amountMsats} msats failed: ${why}`);
      }
      await settle('unconfirmed');
      return {
        ok: false,
        kind: 'payment-failed',
        reason: 'wallet-uncertain',
        message: `payment of ${amountMsats} msats not confirmed: ${why}; it counts as spent until the wallet says otherwise`,
        unconfirmed: { amountMsats, paymentHash, bolt11: offer.bolt11 },
      };
    }

    const fees = Number.isSafeInteger(payment.feesPaidMsats) && payment.feesPaidMsats > 0 ? payment.feesPaidMsats : 0;
    pending.msats = amountMsats + fees;
    const paid: PaidInvoice = { amountMsats, feesMsats: fees, preimage: payment.preimage, paymentHash, bolt11: offer.bolt11 };
    const verified = preimageMatches(payment.preimage, paymentHash);
    await settle('paid', fees, payment.preimage);
    this.records.push({ ...paid, jobId: offer.jobId, provider: offer.provider, paidAtMs: this.now(), verified });
    if (!verified) {
      return {
        ok: false,
        kind: 'payment-failed',
        reason: 'preimage-mismatch',
        message: `wallet returned a preimage that does not match the invoice's payment hash ${paymentHash.slice(0, 8)}… after paying ${amountMsats} msats; the payment is not proven`,
        paid,
      };
    }
    return { ok: true, ...paid };
  }

  private pendingSince(sinceMs: number): number {
    return this.pending.filter((p) => p.atMs >= sinceMs).reduce((sum, p) => sum + p.msats, 0);
  }

  private prunePending(now: number) {
    const grace = this.options.recordGraceMs ?? 60_000;
    this.pending = this.pending.filter((p) => now - p.atMs < grace || this.inFlight(p));
  }

  private inFlight(p: Pending): boolean {
    return !this.records.some((r) => r.paymentHash === p.paymentHash);
  }
}
