// The provider's announcement while it serves: published at start and every
// announceRefreshMs (each copy expires after three missed refreshes and a
// minute), withdrawn at stop. The events themselves: announcement.ts.
import { buildAnnouncement, buildAnnouncementDeletion, SUPPORTED_ENCRYPTION } from './announcement';
import type { RelayWriter } from './relay-writer';
import type { ProviderLog, ProviderSettings } from './types';

export class Announcer {
  /** id of the last announcement a relay took: what withdraw() deletes */
  private last: string | null = null;

  constructor(
    private readonly settings: ProviderSettings,
    private readonly secretKey: Uint8Array,
    private readonly refreshMs: number,
    private readonly log: ProviderLog,
  ) {}

  /** Publishes the announcement; the relays that took it ([] after a warning when none did). */
  async announce(writer: RelayWriter): Promise<string[]> {
    const s = this.settings;
    const event = buildAnnouncement(
      { name: s.name, about: s.about, models: s.models, priceMsats: s.priceMsats, encryption: SUPPORTED_ENCRYPTION },
      this.secretKey,
      (3 * this.refreshMs) / 1000 + 60,
    );
    const report = await writer.publish(event);
    if (report.accepted.length === 0) {
      this.log.warn(`no relay took the announcement: ${report.failed.map((f) => `${f.url} (${f.reason})`).join(', ')}`);
      return [];
    }
    this.last = event.id;
    return report.accepted;
  }

  /** Deletes the announcement on every relay (each bounded by the publish timeout). */
  async withdraw(writer: RelayWriter): Promise<void> {
    const report = await writer.publish(buildAnnouncementDeletion(this.last ? [this.last] : [], this.secretKey));
    if (report.accepted.length === 0) {
      this.log.warn(`no relay took the withdrawal of the announcement: ${report.failed.map((f) => `${f.url} (${f.reason})`).join(', ')}`);
    }
  }
}
