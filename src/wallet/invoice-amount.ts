// The amount a bolt11 invoice asks for, through the wallet's one decoder.
import { decodeInvoice } from './invoice-check';

export type InvoiceAmount = { ok: true; msats: number | null } | { ok: false };

/** msats encoded in the invoice (null: an "any amount" invoice); ok false when it does not decode. */
export function invoiceAmount(bolt11: string): InvoiceAmount {
  try {
    return { ok: true, msats: decodeInvoice(bolt11).amountMsats };
  } catch {
    return { ok: false };
  }
}
