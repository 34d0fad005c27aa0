// Payment offers a job received: deduplicated by invoice, screened against
// the cap before any payer sees them, and ranked cheapest first.
import type { SwarmErrorKind } from '../run/errors';
import type { PaymentOffer } from '../wallet/types';
import { invoiceAmount } from '../wallet/invoice-amount';
import { providerName } from './provider-name';

export interface Offer extends PaymentOffer {
  /** what we would pay: the larger of the invoice amount and the amount tag */
  askedMsats: number | null;
  receivedAt: number;
}

export interface Refusal {
  kind: Extract<SwarmErrorKind, 'price-too-high' | 'payment-failed'>;
  message: string;
}

/** Why an offer must not reach the payer at all, or null when it may. */
export function screenOffer(offer: PaymentOffer, maxPriceMsats: number): { askedMsats: number | null; refusal: Refusal | null } {
  const who = providerName(offer.provider);
  const invoice = offer.bolt11 ? invoiceAmount(offer.bolt11) : null;
  const invoiceMsats = invoice?.ok ? invoice.msats : null;
  const known = [invoiceMsats, offer.amountTagMsats].filter((n): n is number => n !== null);
  const askedMsats = known.length > 0 ? Math.max(...known) : null;
  if (askedMsats !== null && askedMsats > maxPriceMsats) {
    return {
      askedMsats,
      refusal: { kind: 'price-too-high', message: `provider ${who} asks ${askedMsats} msats, above the cap of ${maxPriceMsats} msats` },
    };
  }
  // Every refusal names what was asked and the cap (CLI.md: swarmError names any refused offer).
  const asked = `${askedMsats === null ? 'no amount' : `${askedMsats} msats`}, cap ${maxPriceMsats} msats`;
  if (!offer.bolt11) {
    return {
      askedMsats,
      refusal: { kind: 'payment-failed', message: `provider ${who} asked for payment without a bolt11 invoice (${asked}; zaps are not supported): not paid` },
    };
  }
  if (!invoice?.ok) {
    return { askedMsats, refusal: { kind: 'payment-failed', message: `provider ${who} sent an invoice that does not decode (${asked}): not paid` } };
  }
  if (invoiceMsats === null) {
    return { askedMsats, refusal: { kind: 'payment-failed', message: `provider ${who} sent an invoice without an amount (amount tag: ${asked}): not paid` } };
  }
  return { askedMsats, refusal: null };
}

export class OfferBook {
  private readonly offers: Offer[] = [];
  private readonly keys = new Set<string>();

  /** false when this invoice (or an invoice-less offer of this provider and amount) was already recorded */
  add(offer: Offer): boolean {
    const key = offer.bolt11 ?? `${offer.provider}:${offer.amountTagMsats}`;
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.offers.push(offer);
    return true;
  }

  /** the offers a payer may still be asked about, cheapest first, then the earliest */
  candidates(isAllowed: (offer: Offer) => boolean): Offer[] {
    return this.offers.filter(isAllowed).sort((a, b) => (a.askedMsats ?? Infinity) - (b.askedMsats ?? Infinity) || a.receivedAt - b.receivedAt);
  }
}
