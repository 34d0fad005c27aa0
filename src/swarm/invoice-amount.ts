// The amount a bolt11 invoice asks for, read with light-bolt11-decoder.
import { decode } from 'light-bolt11-decoder';

export type InvoiceAmount = { ok: true; msats: number | null } | { ok: false };

/** msats encoded in the invoice (null: an "any amount" invoice); ok false when it does not decode. */
export function invoiceAmount(bolt11: string): InvoiceAmount {
  try {
    const section = decode(bolt11).sections.find((s) => s.name === 'amount') as { value?: string } | undefined;
    if (!section?.value) return { ok: true, msats: null };
    const msats = Number(section.value);
    return Number.isSafeInteger(msats) ? { ok: true, msats } : { ok: false };
  } catch {
    return { ok: false };
  }
}
