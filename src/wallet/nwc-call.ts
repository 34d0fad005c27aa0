// One wallet call's life: its timeout, its abort signal (with the grace
// granted once the request went out) and close() from outside. `state.sent`
// marks the point after which a failure may hide a request the wallet
// carried out: such failures say so (mayHaveSucceeded).
import { WalletError } from './wallet-error';
import type { WalletCallOptions } from './types';

/** Per-call state: whether the request went out, and a way to fail the call from outside. */
export class CallState {
  sent = false;
  private failure: WalletError | null = null;
  private readonly listeners: ((e: WalletError) => void)[] = [];
  private rejectFailed!: (e: WalletError) => void;
  readonly failed = new Promise<never>((_, reject) => {
    this.rejectFailed = reject;
  });
  constructor() {
    this.failed.catch(() => {});
  }
  fail(error: WalletError) {
    if (this.failure) return;
    this.failure = error;
    this.rejectFailed(error);
    for (const l of this.listeners) l(error);
  }
  onFail(listener: (e: WalletError) => void) {
    if (this.failure) listener(this.failure);
    else this.listeners.push(listener);
  }
  /** throws the failure if the call already failed (timeout, abort, close) */
  check() {
    if (this.failure) throw this.failure;
  }
  mayStillSend() {
    return this.failure === null;
  }
}

/**
 * Runs `work` until it settles, the timeout passes, the signal aborts or a
 * closer in `closers` is called (the client's close()).
 */
export async function runCall<T>(
  options: WalletCallOptions,
  timeoutMs: number,
  closers: Set<(error: WalletError) => void>,
  work: (state: CallState) => Promise<T>,
): Promise<T> {
  const signal = options.signal;
  if (signal?.aborted) throw new WalletError('ABORTED', 'cancelled before the request was sent to the wallet');
  const state = new CallState();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    if (!state.sent) return state.fail(new WalletError('ABORTED', 'cancelled before the request was sent to the wallet'));
    const grace = options.abortGraceMs ?? 0;
    const give = () =>
      state.fail(new WalletError('ABORTED', 'cancelled after the request was sent; the wallet may still carry it out, check the wallet', true));
    if (grace > 0) graceTimer = setTimeout(give, grace);
    else give();
  };
  const closer = (error: WalletError) => state.fail(error);
  closers.add(closer);
  try {
    signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => {
      const secs = Math.round(timeoutMs / 1000);
      state.fail(
        state.sent
          ? new WalletError('TIMEOUT', `no answer from the wallet within ${secs} s; it may still carry out the request, check the wallet`, true)
          : new WalletError('TIMEOUT', `could not reach the wallet within ${secs} s`),
      );
    }, timeoutMs);
    const working = work(state);
    working.catch(() => {}); // it may fail after the race is decided (timeout, abort)
    return await Promise.race([working, state.failed]);
  } finally {
    clearTimeout(timer);
    clearTimeout(graceTimer);
    signal?.removeEventListener('abort', onAbort);
    closers.delete(closer);
    state.fail(new WalletError('CLOSED', 'call finished')); // wake anything still waiting on it
  }
}
