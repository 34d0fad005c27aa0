/** An invoice a provider asked us to pay for a job. */
export interface PaymentOffer {
  jobId: string;
  provider: string; // hex pubkey
  /** msats from the `amount` tag; null when the tag was missing or not a number */
  amountTagMsats: number | null;
  bolt11: string;
  /** pay-first: `payment-required` feedback; pay-after: invoice on the result */
  flow: 'pay-first' | 'pay-after';
}

export interface PaymentContext {
  maxPriceMsats: number;
  signal: AbortSignal;
}

/** Why an offer was not paid (finer than `kind`; for logs, tests and the lane's choices). */
export type PaymentRefusalReason =
  | 'undecodable' // not a BOLT-11 invoice we can read
  | 'no-amount' // amountless invoice
  | 'amount-tag-missing' // no valid `amount` tag to check the invoice against
  | 'amount-mismatch' // invoice amount ≠ amount tag
  | 'over-cap' // above maxPriceMsats (counting what this job already paid)
  | 'expired'
  | 'already-paid' // this payment hash was paid (or sent to the wallet) before
  | 'job-cancelled'
  | 'job-finished' // the job finished with another provider
  | 'daily-budget'
  | 'monthly-budget'
  | 'budget-unknown' // the spending so far could not be read
  | 'cancelled' // the signal was aborted before sending
  | 'wallet-error' // the wallet answered with an error: nothing paid
  | 'wallet-uncertain' // no clear answer after the request was sent: it may still be paid
  | 'preimage-mismatch' // the wallet paid but its preimage does not prove it
  | 'wrong-network'; // the invoice is for another Lightning network than the wallet's

/** What a payment cost, as reported by the wallet. */
export interface PaidInvoice {
  amountMsats: number;
  feesMsats: number;
  preimage: string;
  paymentHash: string;
  bolt11: string;
}

export type PaymentOutcome =
  | ({ ok: true } & PaidInvoice)
  | {
      ok: false;
      kind: 'price-too-high' | 'payment-failed';
      message: string;
      reason?: PaymentRefusalReason;
      /**
       * Set when money left the wallet although the outcome is a failure
       * (preimage mismatch): record it as spent.
       */
      paid?: PaidInvoice;
      /**
       * Set when the wallet gave no clear answer (timeout, held invoice): the
       * money may have left. It counts as spent, and the job pays nothing more.
       */
      unconfirmed?: { amountMsats: number; paymentHash: string; bolt11: string };
    };

/**
 * Decides and makes payments. Every check (amount, cap, expiry, budget,
 * duplicate) happens inside, so the swarm lane cannot pay around it.
 */
export interface Payer {
  pay(offer: PaymentOffer, ctx: PaymentContext): Promise<PaymentOutcome>;
  /** The job was cancelled: no offer for it is paid from now on. */
  cancelJob?(jobId: string): void;
  /** The job finished with `provider`: only that provider's offers may still be paid (pay-after). */
  finishJob?(jobId: string, provider: string): void;
}

/** Options every wallet call takes. */
export interface WalletCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /**
   * After the request has been sent, an abort does not stop the wait at once:
   * the answer is awaited this much longer so a payment that did go through is
   * still known. Default 0.
   */
  abortGraceMs?: number;
}

export interface WalletPayment {
  preimage: string;
  feesPaidMsats: number;
}

/** The one wallet operation the payer needs (NwcClient, or a fake in tests). */
export interface PaymentWallet {
  /** Rejects with a WalletError (src/wallet/wallet-error.ts). */
  payInvoice(bolt11: string, options?: WalletCallOptions): Promise<WalletPayment>;
}
