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

export type PaymentOutcome =
  | { ok: true; amountMsats: number; feesMsats: number; preimage: string; paymentHash: string; bolt11: string }
  | { ok: false; kind: 'price-too-high' | 'payment-failed'; message: string };

/**
 * Decides and makes payments. Every check (amount, cap, expiry, budget,
 * duplicate) happens inside, so the swarm lane cannot pay around it.
 */
export interface Payer {
  pay(offer: PaymentOffer, ctx: PaymentContext): Promise<PaymentOutcome>;
}
