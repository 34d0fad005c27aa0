// The relays one job talks to (relay-connection.ts each). Each relay
// reconnects quickly after a drop and re-sends the same REQ (the relay
// replays what it stored, duplicates are dropped by id before parsing) and
// the events it had accepted, in case it lost them.
import type { Event } from 'nostr-tools/pure';
import type { Filter } from 'nostr-tools/filter';
import type { AuthSigner } from './relay-auth';
import { describeRejection, RelayConnection, type RelayFailure, type RelayTimeouts } from './relay-connection';

export interface RelayGroupTuning extends RelayTimeouts {
  /** how long to wait for a relay's EOSE before treating its subscription as live anyway */
  eoseTimeoutMs: number;
  /** waits before successive reconnect attempts after a drop (the last repeats) */
  reconnectDelaysMs: number[];
}

export const DEFAULT_RELAY_TUNING: RelayGroupTuning = {
  connectTimeoutMs: 4000,
  publishTimeoutMs: 4000,
  eoseTimeoutMs: 2000,
  reconnectDelaysMs: [250, 1000, 2000, 5000],
};

export interface SubscriptionHandlers {
  onevent(event: Event, url: string): void;
  /** checked with the id alone, before the relay's message is even parsed */
  alreadyHave(id: string): boolean;
}

interface RelayEntry {
  connection: RelayConnection;
  reconnectTimer: ReturnType<typeof setTimeout> | null;
  attempts: number;
  /** events this relay accepted: re-sent after a reconnect in case the relay lost them */
  accepted: Event[];
}

export class RelayGroup {
  private readonly entries: RelayEntry[] = [];
  private readonly invalid: RelayFailure[] = [];
  private handlers: SubscriptionHandlers | null = null;
  private filter: Filter | null = null;
  private closed = false;

  constructor(
    urls: readonly string[],
    private readonly tuning: RelayGroupTuning = DEFAULT_RELAY_TUNING,
    /** answers relays' NIP-42 challenges; null: they are not answered */
    authSigner: AuthSigner | null = null,
  ) {
    const seen = new Set<string>();
    for (const url of urls) {
      let connection: RelayConnection;
      try {
        connection = new RelayConnection(url, tuning, authSigner);
      } catch {
        this.invalid.push({ url, reason: 'not a valid relay URL' });
        continue;
      }
      if (seen.has(connection.normalizedUrl)) continue;
      seen.add(connection.normalizedUrl);
      const entry: RelayEntry = { connection, reconnectTimer: null, attempts: 0, accepted: [] };
      connection.ondrop = () => this.dropped(entry);
      this.entries.push(entry);
    }
  }

  /** Opens every relay at once; each is bounded by connectTimeoutMs. */
  async connect(): Promise<{ connected: string[]; failed: RelayFailure[] }> {
    const failed: RelayFailure[] = [...this.invalid];
    const connected = new Set<string>();
    await Promise.all(
      this.entries.map(async ({ connection }) => {
        const reason = await connection.open();
        if (reason === null) connected.add(connection.url);
        else failed.push({ url: connection.url, reason });
      }),
    );
    return { connected: this.urls().filter((url) => connected.has(url)), failed };
  }

  /**
   * One subscription with ONE filter on every connected relay. Resolves when
   * each relay has answered EOSE (or closed it, or eoseTimeoutMs passed): the
   * REQ is then known to be live before the job is published.
   */
  async subscribe(filter: Filter, handlers: SubscriptionHandlers): Promise<void> {
    this.filter = filter;
    this.handlers = handlers;
    await Promise.all(this.entries.filter((e) => e.connection.connected).map((e) => this.subscribeOn(e)));
  }

  /** Sends the event to every connected relay and waits for each OK (bounded by publishTimeoutMs). */
  async publish(event: Event): Promise<{ accepted: string[]; failed: RelayFailure[] }> {
    const accepted = new Set<string>();
    const failed: RelayFailure[] = [];
    await Promise.all(
      this.entries.map(async (entry) => {
        const { connection } = entry;
        if (!connection.connected) return;
        try {
          await connection.publish(event);
          entry.accepted.push(event);
          accepted.add(connection.url);
        } catch (err) {
          failed.push({ url: connection.url, reason: describeRejection(err, connection) });
        }
      }),
    );
    return { accepted: this.urls().filter((url) => accepted.has(url)), failed };
  }

  /** Closes subscriptions and sockets and stops reconnecting. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.entries) {
      if (entry.reconnectTimer) clearTimeout(entry.reconnectTimer);
      entry.reconnectTimer = null;
      entry.connection.close();
    }
  }

  private urls(): string[] {
    return this.entries.map((e) => e.connection.url);
  }

  private subscribeOn(entry: RelayEntry): Promise<void> {
    const { handlers, filter } = this;
    if (!entry.connection.connected || !handlers || !filter) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const url = entry.connection.url;
      entry.connection.subscribe(
        filter,
        { alreadyHave: (id) => handlers.alreadyHave(id), onevent: (event) => handlers.onevent(event, url), oneose: resolve, onclose: () => resolve() },
        this.tuning.eoseTimeoutMs,
      );
    });
  }

  private dropped(entry: RelayEntry): void {
    if (this.closed || entry.reconnectTimer) return;
    const delays = this.tuning.reconnectDelaysMs;
    const delay = delays[Math.min(entry.attempts, delays.length - 1)];
    entry.attempts++;
    entry.reconnectTimer = setTimeout(() => {
      entry.reconnectTimer = null;
      void this.reconnect(entry);
    }, delay);
  }

  private async reconnect(entry: RelayEntry): Promise<void> {
    if (this.closed) return;
    const failure = await entry.connection.open();
    if (this.closed) return;
    if (failure !== null) {
      this.dropped(entry);
      return;
    }
    entry.attempts = 0;
    await this.subscribeOn(entry);
    // a relay that restarted may have lost the job: sending it again is harmless (same id)
    for (const event of entry.accepted) entry.connection.publish(event).catch(() => {});
  }
}
