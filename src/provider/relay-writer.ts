// Long-lived publishing for a provider: one connection per relay
// (swarm/relay-connection.ts), opened on demand and opened again after a
// drop, each event waiting for the relay's OK. Why not the swarm lane's
// RelayGroup: it keeps every event it published to re-send after a
// reconnect, right for one job, unbounded for a server that publishes for
// hours.
import type { Event } from 'nostr-tools/pure';
import type { AuthSigner } from '../relay/relay-auth';
import { describeRejection, RelayConnection, type RelayFailure, type RelayTimeouts } from '../relay/relay-connection';

export interface RelayWriterTuning extends RelayTimeouts {
  /** after a failed connection, the relay is skipped this long (so a dead relay does not slow every reply) */
  retryAfterMs?: number;
}

interface Entry {
  url: string;
  /** null: not a valid relay URL */
  connection: RelayConnection | null;
  opening: Promise<RelayConnection> | null;
  /** Date.now() before which no new connection is tried */
  retryAt: number;
  lastFailure: string;
}

export interface PublishReport {
  accepted: string[];
  failed: RelayFailure[];
}

export class RelayWriter {
  private readonly entries: Entry[];
  private closed = false;

  constructor(
    urls: readonly string[],
    private readonly tuning: RelayWriterTuning,
    /** answers relays' NIP-42 challenges; null: they are not answered */
    authSigner: AuthSigner | null = null,
  ) {
    this.entries = [...new Set(urls)].map((url) => {
      let connection: RelayConnection | null = null;
      try {
        connection = new RelayConnection(url, tuning, authSigner);
      } catch {
        // said when publishing
      }
      return { url, connection, opening: null, retryAt: 0, lastFailure: '' };
    });
  }

  /** Sends to every relay at once; resolves when each answered OK, refused, or timed out. */
  async publish(event: Event): Promise<PublishReport> {
    const report: PublishReport = { accepted: [], failed: [] };
    await Promise.all(this.entries.map((entry) => this.publishOn(entry, event, report)));
    return report;
  }

  /**
   * Sends to every relay at once; resolves as soon as one relay accepted it
   * (the others go on in the background), or when all have failed. Replies
   * to a job use this, so one slow relay does not hold up the stream.
   */
  publishToAny(event: Event): Promise<PublishReport> {
    const report: PublishReport = { accepted: [], failed: [] };
    return new Promise((resolve) => {
      let pending = this.entries.length;
      if (pending === 0) return resolve(report);
      for (const entry of this.entries) {
        void this.publishOn(entry, event, report).then(() => {
          pending--;
          if (report.accepted.length > 0 || pending === 0) resolve(report);
        });
      }
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.entries) entry.connection?.close();
  }

  private async publishOn(entry: Entry, event: Event, report: PublishReport): Promise<void> {
    let connection: RelayConnection;
    try {
      connection = await this.open(entry);
    } catch (err) {
      report.failed.push({ url: entry.url, reason: (err as Error).message });
      return;
    }
    try {
      await connection.publish(event);
      report.accepted.push(entry.url);
    } catch (err) {
      report.failed.push({ url: entry.url, reason: describeRejection(err, connection) });
    }
  }

  private open(entry: Entry): Promise<RelayConnection> {
    const connection = entry.connection;
    if (!connection) return Promise.reject(new Error('not a valid relay URL'));
    if (this.closed) return Promise.reject(new Error('closed'));
    if (connection.connected) return Promise.resolve(connection);
    if (entry.opening) return entry.opening;
    if (Date.now() < entry.retryAt) return Promise.reject(new Error(`${entry.lastFailure}; not retried yet`));
    entry.opening = connection
      .open()
      .then((failure) => {
        if (failure === null) return connection;
        entry.lastFailure = failure;
        entry.retryAt = Date.now() + (this.tuning.retryAfterMs ?? 5000);
        throw new Error(failure);
      })
      .finally(() => {
        entry.opening = null;
      });
    return entry.opening;
  }
}
