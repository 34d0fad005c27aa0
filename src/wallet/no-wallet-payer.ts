// The payer used when no wallet is configured: it pays nothing, and says
// why in terms a person can act on — the price, when it is above the cap,
// otherwise the missing wallet.
import { invoiceAmount } from './invoice-amount';
import type { Payer, PaymentContext, PaymentOffer, PaymentOutcome } from './types';

function invoiceMsats(bolt11: string): number | null {
  const amount = invoiceAmount(bolt11);
  return amount.ok ? amount.msats : null;
}

export class NoWalletPayer implements Payer {
  async pay(offer: PaymentOffer, ctx: PaymentContext): Promise<PaymentOutcome> {
    const fromInvoice = invoiceMsats(offer.bolt11);
    const cap = ctx.maxPriceMsats;
    const above = [fromInvoice, offer.amountTagMsats].filter((n): n is number => n !== null && n > cap);
    if (above.length > 0) {
      return { ok: false, kind: 'price-too-high', message: `provider asks ${Math.max(...above)} msats, above the cap of ${cap} msats` };
    }
    const asked = fromInvoice ?? offer.amountTagMsats;
    const what = asked === null ? 'an invoice without an amount' : `${asked} msats`;
    return {
      ok: false,
      kind: 'payment-failed',
      message: `payment required, no wallet configured (provider asks ${what}; set a Nostr Wallet Connect URI to pay)`,
    };
  }
}

export function createNoWalletPayer(): Payer {
  return new NoWalletPayer();
}
