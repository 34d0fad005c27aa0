// nostr-tools' AbstractRelay with every incoming frame screened first
// (frame-screen.ts): garbage is dropped and counted (garbage-report.ts)
// instead of reaching nostr-tools, which would print a stack trace for each.
import { AbstractRelay } from 'nostr-tools/abstract-relay';
import { screenFrame } from './frame-screen';
import { GarbageReport } from './garbage-report';

export class ScreenedRelay extends AbstractRelay {
  private garbage: GarbageReport | null = null;

  override _onmessage(ev: MessageEvent): void {
    const kind = screenFrame(ev?.data);
    if (kind !== null) {
      this.garbage ??= new GarbageReport(this.url);
      this.garbage.drop(kind);
      return;
    }
    super._onmessage(ev);
  }

  override close(): void {
    this.garbage?.flush();
    super.close();
  }
}
