// The relays one job talks to, over nostr-tools' AbstractRelay with `ws`.
//
// Why not SimplePool: its reconnect waits 10 s before the first retry and
// re-subscribes with `since = last event + 1`, which loses the feedback and
// result a provider sends in the same second as the last event we saw; its
// connection errors say only "connection failed"; and it verifies every
// copy of an event. Here each relay reconnects quickly and re-sends the same
// REQ (the relay replays what it stored, duplicates are dropped by id before
// parsing), failures keep their cause, and verification is left to the
// job's gate so it happens once per event.
import { recordingSocketClass } from './recording-socket';
import { isAuthRequired, publishWithAuth, RelayAuth, type AuthSigner } from './relay-auth';
import WebSocket from 'ws';
import type { AbstractRelay, Subscription } from 'nostr-tools/abstract-relay';
import { ScreenedRelay } from './screened-relay';
import type { Event } from 'nostr-tools/pure';
import type { Filter } from 'nostr-tools/filter';

export interface RelayGroupTuning {
  /** how long one relay may take to open its socket */
  connectTimeoutMs: number;
  /** how long one relay may take to answer OK to an event */
  publishTimeoutMs: number;
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

export interface RelayFailure {
  url: string;
  reason: string;
}

export interface SubscriptionHandlers {
  onevent(event: Event, url: string): void;
  /** checked with the id alone, before the relay's message is even parsed */
  alreadyHave(id: string): boolean;
}

interface RelayEntry {
  url: string;
  relay: AbstractRelay | null;
  socket: WebSocket | null;
  lastError: Error | null;
  subscription: Subscription | null;
  reconnectTimer: ReturnType<typeof setTimeout> | null;
  attempts: number;
  /** events this relay accepted: re-sent after a reconnect in case the relay lost them */
  accepted: Event[];
  /** NIP-42, when the group has an identity to answer challenges with */
  auth: RelayAuth | null;
}

function describeSocketError(err: Error | null): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
  }
  const http = /Unexpected server response: (\d+)/.exec(err?.message ?? '');
  if (http) return `not a relay (HTTP ${http[1]})`;
  return err?.message ? err.message.split('\n')[0] : 'connection failed';
}

function describeRejection(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text === 'publish timed out' ? 'no OK answer in time' : `rejected: ${text}`;
}

export class RelayGroup {
  private readonly entries: RelayEntry[];
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
    this.entries = [];
    for (const url of urls) {
      let relay: AbstractRelay;
      const auth = authSigner ? new RelayAuth(authSigner, tuning.publishTimeoutMs) : null;
      const entry: RelayEntry = { url, relay: null, socket: null, lastError: null, subscription: null, reconnectTimer: null, attempts: 0, accepted: [], auth };
      try {
        relay = new ScreenedRelay(url, { verifyEvent: () => true, websocketImplementation: recordingSocketClass(entry) });
      } catch {
        this.invalid.push({ url, reason: 'not a valid relay URL' });
        continue;
      }
      if (seen.has(relay.url)) continue;
      seen.add(relay.url);
      relay.publishTimeout = tuning.publishTimeoutMs;
      relay.onnotice = () => {}; // nostr-tools prints notices on stdout, which the CLI keeps for its JSON
      entry.relay = relay;
      if (auth) auth.relay = relay;
      this.entries.push(entry);
    }
  }

  /** Opens every relay at once; each is bounded by connectTimeoutMs. */
  async connect(): Promise<{ connected: string[]; failed: RelayFailure[] }> {
    const failed: RelayFailure[] = [...this.invalid];
    const connected: string[] = [];
    await Promise.all(
      this.entries.map(async (entry) => {
        const reason = await this.open(entry);
        if (reason === null) connected.push(entry.url);
        else failed.push({ url: entry.url, reason });
      }),
    );
    return { connected: this.entries.filter((e) => connected.includes(e.url)).map((e) => e.url), failed };
  }

  /**
   * One subscription with ONE filter on every connected relay (nostr-tools
   * ≥ 2.17 takes a single filter). Resolves when each relay has answered
   * EOSE (or closed it, or eoseTimeoutMs passed): the REQ is then known to
   * be live before the job is published.
   */
  async subscribe(filter: Filter, handlers: SubscriptionHandlers): Promise<void> {
    this.filter = filter;
    this.handlers = handlers;
    await Promise.all(this.entries.filter((e) => e.relay?.connected).map((e) => this.subscribeOn(e)));
  }

  /** Sends the event to every connected relay and waits for each OK (bounded by publishTimeoutMs). */
  async publish(event: Event): Promise<{ accepted: string[]; failed: RelayFailure[] }> {
    const accepted: string[] = [];
    const failed: RelayFailure[] = [];
    await Promise.all(
      this.entries.map(async (entry) => {
        const relay = entry.relay;
        if (!relay?.connected) return;
        try {
          await publishWithAuth(relay, entry.auth, event);
          entry.accepted.push(event);
          accepted.push(entry.url);
        } catch (err) {
          failed.push({ url: entry.url, reason: relay.connected ? describeRejection(err) : 'connection lost' });
        }
      }),
    );
    return { accepted: this.entries.filter((e) => accepted.includes(e.url)).map((e) => e.url), failed };
  }

  /** Closes subscriptions and sockets and stops reconnecting. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.entries) {
      if (entry.reconnectTimer) clearTimeout(entry.reconnectTimer);
      entry.reconnectTimer = null;
      const sub = entry.subscription;
      entry.subscription = null;
      if (sub && !sub.closed) {
        sub.receivedEose(); // clears nostr-tools' EOSE timer, which close() leaves running
        sub.close('job finished');
      }
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

  /** null when open, else why not. */
  private async open(entry: RelayEntry): Promise<string | null> {
    const relay = entry.relay!;
    entry.lastError = null;
    relay.onclose = null; // a failed attempt is retried by reconnect(), not by the drop handler
    try {
      await relay.connect({ timeout: this.tuning.connectTimeoutMs });
    } catch (err) {
      if (String(err) === 'connection timed out') return `no answer within ${Math.round(this.tuning.connectTimeoutMs / 1000)} s`;
      return describeSocketError(entry.lastError ?? (err instanceof Error ? err : new Error(String(err))));
    }
    if (this.closed) {
      relay.close();
      return 'closed';
    }
    relay.onclose = () => this.dropped(entry);
    return null;
  }

  private subscribeOn(entry: RelayEntry, afterAuth = false): Promise<void> {
    const relay = entry.relay;
    const handlers = this.handlers;
    if (!relay?.connected || !handlers || !this.filter) return Promise.resolve();
    return new Promise<void>((resolve) => {
      entry.subscription = relay.subscribe([{ ...this.filter }], {
        eoseTimeout: this.tuning.eoseTimeoutMs,
        alreadyHaveEvent: (id) => handlers.alreadyHave(id),
        onevent: (event) => handlers.onevent(event, entry.url),
        oneose: () => resolve(),
        onclose: (reason) => {
          // CLOSED "auth-required:": once our answer to the challenge is accepted, subscribe again
          if (!afterAuth && entry.auth && isAuthRequired(reason) && !this.closed) {
            void entry.auth
              .authenticated()
              .then((ok) => (ok && !this.closed ? this.subscribeOn(entry, true) : undefined))
              .then(() => resolve());
          } else resolve();
        },
      });
    });
  }

  private dropped(entry: RelayEntry): void {
    entry.subscription = null;
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
    const failure = await this.open(entry);
    if (this.closed) return;
    if (failure !== null) {
      this.dropped(entry);
      return;
    }
    entry.attempts = 0;
    await this.subscribeOn(entry);
    // a relay that restarted may have lost the job: sending it again is harmless (same id)
    for (const event of entry.accepted) if (entry.relay) publishWithAuth(entry.relay, entry.auth, event).catch(() => {});
  }
}
