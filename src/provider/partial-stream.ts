// Streamed text → `partial` feedback, throttled: the first piece goes out at
// once, later ones at most every intervalMs unless maxChars of new text are
// waiting. One event is in flight at a time, so increments arrive in order
// and text that piles up while a relay is slow goes out as one event.

export interface PartialStreamOptions {
  intervalMs: number;
  maxChars: number;
}

export class PartialStream {
  private buffer = '';
  private lastSentAt = -Infinity;
  private inFlight: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** characters handed to send() so far */
  sentChars = 0;

  constructor(
    private readonly send: (text: string) => Promise<void>,
    private readonly options: PartialStreamOptions,
  ) {}

  push(text: string): void {
    if (this.stopped || text === '') return;
    this.buffer += text;
    this.pump();
  }

  /** Sends what is still waiting, then resolves once nothing is in flight. */
  async finish(): Promise<void> {
    this.clearTimer();
    while (!this.stopped) {
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      if (this.buffer === '') break;
      this.flush();
    }
  }

  /** Drops whatever has not been sent yet (the job ended another way). */
  stop(): void {
    this.stopped = true;
    this.buffer = '';
    this.clearTimer();
  }

  private pump(): void {
    if (this.stopped || this.inFlight || this.buffer === '') return;
    const wait = this.lastSentAt + this.options.intervalMs - Date.now();
    if (wait <= 0 || this.buffer.length >= this.options.maxChars) {
      this.clearTimer();
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
    }
  }

  private flush(): void {
    this.clearTimer();
    const chunk = this.buffer;
    this.buffer = '';
    this.lastSentAt = Date.now();
    this.sentChars += chunk.length;
    this.inFlight = this.send(chunk)
      .catch(() => {}) // a lost partial is not fatal: the result carries the whole text
      .finally(() => {
        this.inFlight = null;
        this.pump();
      });
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
