// Long-lived publishing for a provider: one connection per relay, opened on
// demand and opened again after a drop, each event waiting for the relay's
// OK. Why not the swarm lane's RelayGroup: it keeps every event it published
// to re-send after a reconnect, right for one job, unbounded for a server
// that publishes for hours. Why not SimplePool: its relays print NOTICEs on
// stdout (console.debug) before we could silence them.
import { recordingSocketClass } from '../swarm/recording-socket';
import { publishWithAuth, RelayAuth, type AuthSigner } from '../swarm/relay-auth';
import WebSocket from 'ws';
import type { AbstractRelay } from 'nostr-tools/abstract-relay';
import { ScreenedRelay } from '../swarm/screened-relay';
import type { Event } from 'nostr-tools/pure';
import type { RelayFailure } from '../swarm/relay-group';

export interface RelayWriterTuning {
  connectTimeoutMs: number;
  publishTimeoutMs: number;
  /** after a failed connection, the relay is skipped this long (so a dead relay does not slow every reply) */
  retryAfterMs?: number;
}

interface Entry {
  url: string;
  relay: AbstractRelay | null;
  socket: WebSocket | null;
  lastError: Error | null;
  opening: Promise<AbstractRelay> | null;
  /** Date.now() before which no new connection is tried */
  retryAt: number;
  lastFailure: string;
  /** NIP-42, when the writer has an identity to answer challenges with */
  auth: RelayAuth | null;
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
    this.entries = [...new Set(urls)].map((url) => ({
      url,
      relay: null,
      socket: null,
      lastError: null,
      opening: null,
      retryAt: 0,
      lastFailure: '',
      auth: authSigner ? new RelayAuth(authSigner, tuning.publishTimeoutMs) : null,
    }));
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

  private async publishOn(entry: Entry, event: Event, report: PublishReport): Promise<void> {
    try {
      const relay = await this.open(entry);
      await publishWithAuth(relay, entry.auth, event);
      report.accepted.push(entry.url);
    } catch (err) {
      report.failed.push({ url: entry.url, reason: reasonOf(err, entry) });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.entries) {
      entry.relay?.close();
      const socket = entry.socket;
      if (socket && socket.readyState !== WebSocket.CLOSED) {
        // a relay that never completes the close handshake must not keep the process alive
        const timer = setTimeout(() => socket.terminate(), 1000);
        timer.unref();
        socket.once('close', () => clearTimeout(timer));
      }
    }
  }

  private open(entry: Entry): Promise<AbstractRelay> {
    if (this.closed) return Promise.reject(new Error('closed'));
    if (entry.relay?.connected) return Promise.resolve(entry.relay);
    if (entry.opening) return entry.opening;
    if (Date.now() < entry.retryAt) return Promise.reject(new Error(`${entry.lastFailure}; not retried yet`));
    entry.lastError = null;
    const relay = new ScreenedRelay(entry.url, { verifyEvent: () => true, websocketImplementation: recordingSocketClass(entry) });
    relay.onnotice = () => {}; // nostr-tools prints notices with console.debug, i.e. on stdout
    relay.publishTimeout = this.tuning.publishTimeoutMs;
    if (entry.auth) entry.auth.relay = relay;
    entry.opening = relay
      .connect({ timeout: this.tuning.connectTimeoutMs })
      .then(() => {
        if (this.closed) {
          relay.close();
          throw new Error('closed');
        }
        entry.relay = relay;
        return relay;
      })
      .catch((err: unknown) => {
        entry.lastFailure = reasonOf(err, entry);
        entry.retryAt = Date.now() + (this.tuning.retryAfterMs ?? 5000);
        throw err;
      })
      .finally(() => {
        entry.opening = null;
      });
    return entry.opening;
  }
}

function reasonOf(err: unknown, entry: Entry): string {
  const text = err instanceof Error ? err.message : String(err);
  if (text === 'publish timed out') return 'no OK answer in time';
  if (text === 'connection timed out') return 'no answer when connecting';
  const code = (entry.lastError as NodeJS.ErrnoException | null)?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  return text.split('\n')[0] || 'failed';
}
