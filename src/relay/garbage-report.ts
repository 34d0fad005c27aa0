// Malformed frames from relays are dropped and counted: the first of each
// kind from a relay is said at once, then one line per kind at most every
// `intervalMs` with how many more came. The lines go to one sink for the
// process (the CLI: standard error; the extension: its log), set once by
// whoever owns the output.
import type { GarbageKind } from './frame-screen';

type Sink = (line: string) => void;

let sink: Sink = (line) => {
  process.stderr.write(`warning: ${line}\n`);
};

/** Where summaries go from now on (engine/serve set it to their logger). */
export function setGarbageSink(next: Sink): void {
  sink = next;
}

interface Tally {
  /** dropped since the last line */
  pending: number;
  lastSaidAt: number;
}

export class GarbageReport {
  private readonly tallies = new Map<string, Tally>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly url: string,
    private readonly intervalMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  drop(kind: GarbageKind): void {
    const tally = this.tallies.get(kind);
    if (!tally) {
      this.tallies.set(kind, { pending: 0, lastSaidAt: this.now() });
      this.say(
        `relay ${this.url} sent a malformed frame (${kind}); dropped — more like it are counted and summarised every ${Math.round(this.intervalMs / 1000)} s`,
      );
      return;
    }
    tally.pending++;
    if (this.now() - tally.lastSaidAt >= this.intervalMs) this.flushKind(kind, tally);
    else this.arm();
  }

  /** Says what is still counted (the connection ends). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [kind, tally] of this.tallies) if (tally.pending > 0) this.flushKind(kind, tally);
  }

  private flushKind(kind: string, tally: Tally): void {
    this.say(`relay ${this.url}: dropped ${tally.pending} more malformed frame${tally.pending === 1 ? '' : 's'} (${kind})`);
    tally.pending = 0;
    tally.lastSaidAt = this.now();
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = this.now();
      for (const [kind, tally] of this.tallies) if (tally.pending > 0 && now - tally.lastSaidAt >= this.intervalMs) this.flushKind(kind, tally);
      if ([...this.tallies.values()].some((t) => t.pending > 0)) this.arm();
    }, this.intervalMs);
    this.timer.unref?.();
  }

  private say(line: string): void {
    try {
      sink(line);
    } catch {
      // a failing log must not break the connection
    }
  }
}
