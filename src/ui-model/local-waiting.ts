// What the chat shows about a local attempt that is slow or stopped: the
// "Ask the swarm too" offer once half the first-token deadline is gone, and
// the note on a half local answer kept visible — marked superseded — while
// the swarm answers in the same entry (engine/finished-run.ts moves it aside). No vscode here.
import type { RunEvent } from '../run/events';
import { wordCount } from '../local/ollama-errors';

export function superseded(text: string, answeredBySwarm: boolean | null): { text: string; note: string } {
  const n = wordCount(text);
  const words = `${n} word${n === 1 ? '' : 's'}`;
  const after = answeredBySwarm === null ? 'asking the swarm' : answeredBySwarm ? 'answered by the swarm' : 'the swarm did not answer';
  return { text, note: `local stopped after ${words} — ${after}` };
}

/** Fires `offer` once after `afterMs`, unless a token or the swarm came first. */
export class SwarmTooOffer {
  private timer: ReturnType<typeof setTimeout> | null;
  private over = false;

  constructor(afterMs: number, offer: () => void) {
    this.timer = afterMs > 0 ? setTimeout(() => !this.over && offer(), afterMs) : null;
  }

  /** true when this event ends the offer (a token, the swarm asked, the run done) */
  seen(event: RunEvent): boolean {
    const ends = event.type === 'token' || event.type === 'done' || (event.type === 'status' && (event.state === 'hedge' || event.state === 'fallback'));
    if (ends && !this.over) {
      this.over = true;
      this.dispose();
    }
    return ends;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
