// A job's timers: each one forgotten when it fires or is cleared, all of
// them cleared when the job ends, so an ended job wakes nothing.
export type Timer = ReturnType<typeof setTimeout>;

export class JobTimers {
  private readonly timers = new Set<Timer>();

  later(ms: number, fn: () => void): Timer {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  clear(timer: Timer): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  clearAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
