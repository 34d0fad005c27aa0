// Before serving for a price: can the wallet make invoices and look them up?
// Asked once at start, so a wallet that cannot do it fails the start instead
// of every job.
import type { NwcClient } from '../wallet/nwc-client';

export const INVOICE_METHODS = ['make_invoice', 'lookup_invoice'];

export type WalletCheck = { ok: true } | { ok: false; kind: 'unsupported' | 'unreachable'; message: string };

export async function checkInvoiceWallet(wallet: Pick<NwcClient, 'walletInfo'>, signal?: AbortSignal): Promise<WalletCheck> {
  try {
    const info = await wallet.walletInfo({ signal, timeoutMs: 10_000 });
    // an info event that lists no methods says nothing either way
    const missing = info.methods.length > 0 ? INVOICE_METHODS.filter((m) => !info.methods.includes(m)) : [];
    if (missing.length > 0) {
      return { ok: false, kind: 'unsupported', message: `the wallet connection does not allow ${missing.join(' and ')}, which a paid provider needs` };
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, kind: 'unreachable', message: `cannot reach the wallet: ${(err as Error)?.message ?? err}` };
  }
}
