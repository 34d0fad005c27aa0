// One abort scope per call to Ollama. The `ollama` client has no per-request
// signal and its abort() does nothing before the response headers arrive, so
// the scope hands the client a fetch that carries our own signal: it fires on
// the caller's cancel, on the deadline, or on a stalled stream — and the scope
// remembers which, so the error kind never depends on what fetch threw.

export type AbortCause = 'cancelled' | 'timeout' | 'stalled' | 'first-token';

// setTimeout overflows past 2^31-1 ms and fires at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class RequestScope {
  private readonly controller = new AbortController();
  private deadline: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private firstTokenTimer: NodeJS.Timeout | undefined;
  /** with a first-token deadline, the stall watchdog only starts once tokens flow */
  private stallArmed: boolean;
  private readonly onCallerAbort = () => this.abort('cancelled');
  /** why the scope aborted; null while the request runs (or after release) */
  cause: AbortCause | null = null;

  /**
   * @param timeoutMs the whole call's budget; not positive or not finite means no deadline
   * @param stallMs abort when no chunk arrived for this long (see touch()); undefined means off
   * @param firstTokenMs abort when no token arrived this long after the start (see firstToken());
   *   when set, the stall watchdog waits for the first token (a cold load is not a stall)
   */
  constructor(
    private readonly callerSignal: AbortSignal,
    timeoutMs: number,
    private readonly stallMs?: number,
    firstTokenMs?: number,
  ) {
    this.stallArmed = !(firstTokenMs !== undefined && Number.isFinite(firstTokenMs) && firstTokenMs > 0);
    if (callerSignal.aborted) {
      this.abort('cancelled');
      return;
    }
    callerSignal.addEventListener('abort', this.onCallerAbort, { once: true });
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
      this.deadline = setTimeout(() => this.abort('timeout'), Math.min(timeoutMs, MAX_TIMER_MS));
    }
    if (!this.stallArmed) {
      this.firstTokenDue = Date.now() + firstTokenMs!;
      this.firstTokenTimer = setTimeout(() => this.abort('first-token'), Math.min(firstTokenMs!, MAX_TIMER_MS));
    }
    this.touch();
  }

  private firstTokenDue: number | null = null;
  private pausedLeft: number | null = null;

  /** Stop the first-token clock while the user is asked something (consent is not Ollama's time). */
  pauseFirstToken(): void {
    if (this.firstTokenTimer === undefined || this.firstTokenDue === null) return;
    clearTimeout(this.firstTokenTimer);
    this.firstTokenTimer = undefined;
    this.pausedLeft = Math.max(0, this.firstTokenDue - Date.now());
  }

  resumeFirstToken(): void {
    if (this.pausedLeft === null || this.cause) return;
    const left = this.pausedLeft;
    this.pausedLeft = null;
    this.firstTokenDue = Date.now() + left;
    this.firstTokenTimer = setTimeout(() => this.abort('first-token'), Math.min(left, MAX_TIMER_MS));
  }

  /** The first token arrived: the first-token deadline is met and the stall watchdog starts. */
  firstToken(): void {
    if (this.cause) return;
    clearTimeout(this.firstTokenTimer);
    this.firstTokenTimer = undefined;
    this.stallArmed = true;
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A chunk arrived: restart the stall watchdog. */
  touch(): void {
    if (this.stallMs === undefined || !(this.stallMs > 0) || this.cause || !this.stallArmed) return;
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => this.abort('stalled'), Math.min(this.stallMs, MAX_TIMER_MS));
  }

  /** fetch for `new Ollama({ fetch })`: every request made through it ends when this scope aborts. */
  fetch(base: typeof fetch = globalThis.fetch): typeof fetch {
    return async (input, init) => {
      const own = init?.signal;
      const signal = own ? AbortSignal.any([this.controller.signal, own]) : this.controller.signal;
      const response = await base(input, { ...init, signal });
      return withJsonError(response);
    };
  }

  /**
   * Stop the timers and let go of the caller's signal. Also aborts the HTTP
   * request if still open (a finished response is unaffected), without
   * recording a cause.
   */
  release(): void {
    clearTimeout(this.deadline);
    clearTimeout(this.stallTimer);
    clearTimeout(this.firstTokenTimer);
    this.callerSignal.removeEventListener('abort', this.onCallerAbort);
    if (!this.controller.signal.aborted) this.controller.abort(new Error('released'));
  }

  private abort(cause: AbortCause): void {
    if (this.cause || this.controller.signal.aborted) return;
    this.cause = cause;
    clearTimeout(this.deadline);
    clearTimeout(this.stallTimer);
    clearTimeout(this.firstTokenTimer);
    this.controller.abort(new Error(cause));
  }
}

// The client prints to stdout (console.log) when an error body is not JSON,
// which would corrupt the CLI's output; hand it JSON with the same text.
async function withJsonError(response: Response): Promise<Response> {
  if (response.status < 400 || response.headers.get('content-type')?.includes('application/json')) return response;
  const text = (await response.text().catch(() => '')).trim();
  return new Response(JSON.stringify({ error: text || `HTTP ${response.status} ${response.statusText}`.trim() }), {
    status: response.status,
    statusText: response.statusText,
    headers: { 'content-type': 'application/json' },
  });
}
