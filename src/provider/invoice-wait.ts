// Waiting for a served job's invoice to be paid: the wallet is asked every
// invoicePollMs until it reports the invoice settled, expired or failed, the
// deadline passes, or the job is stopped.
import type { InvoiceWallet } from './types';

/** true once the wallet reports the invoice settled; false when it expired, failed, ran out of time or `signal` aborted. */
export async function waitForSettlement(
  wallet: InvoiceWallet,
  paymentHash: string,
  opts: { deadline: number; pollMs: number; signal: AbortSignal; onLookupFailed(err: unknown): void },
): Promise<boolean> {
  const { deadline, pollMs, signal } = opts;
  let warned = false;
  while (!signal.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(pollMs, left), signal);
    if (signal.aborted) break;
    try {
      const tx = await wallet.lookupInvoice({ paymentHash }, { signal, timeoutMs: 10_000 });
      if (tx.settledAt !== null || tx.state === 'settled') return true;
      if (tx.state === 'expired' || tx.state === 'failed') break;
    } catch (err) {
      if (signal.aborted) break;
      // once per job: a wallet that is down would otherwise fill the log
      if (!warned) opts.onLookupFailed(err);
      warned = true;
    }
  }
  return false;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
