// The wallet's relays (those of the NWC URI), through the one relay layer
// (swarm/relay-connection.ts): opened when a call needs them and closed once
// no call has run for idleCloseMs, so a CLI process exits by itself. A
// relay's NIP-42 challenge is answered with the connection's own key (the
// one the wallet knows this client by). The relay layer leaves signature
// checks to its owner: every event is verified here, once.
import type { Event } from 'nostr-tools/pure';
import type { Filter } from 'nostr-tools/filter';
import { RelayConnection } from '../relay/relay-connection';
import { authSigner } from '../relay/relay-auth';
import { verifyEvent } from '../relay/nostr-crypto';
import { WalletError, oneLine } from './wallet-error';

/** how long a relay may take to answer OK, or EOSE (nostr-tools' own default) */
const RELAY_WAIT_MS = 4400;

export interface WalletRelaysOptions {
  connectTimeoutMs: number;
  idleCloseMs: number;
}

export interface WalletHandlers {
  /** a verified event, once per id */
  onevent(event: Event): void;
  /** every relay sent EOSE (or closed the subscription) */
  oneose(): void;
  /** every relay closed it (connection lost, or CLOSED by the relay): the first reason given */
  onclose(reason: string): void;
}

export interface WalletSubscription {
  close(): void;
}

export class WalletRelays {
  private connections: RelayConnection[] | null = null;
  private active = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly urls: readonly string[],
    private readonly secretKey: Uint8Array,
    private readonly options: WalletRelaysOptions,
  ) {}

  /** A call begins: the connections stay open until every call has ended. */
  hold(): void {
    this.active++;
    this.clearIdle();
  }

  /** A call ended: when none runs, the connections close after idleCloseMs. */
  release(): void {
    this.active--;
    if (this.active > 0 || !this.connections) return;
    this.clearIdle();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.active === 0) this.close();
    }, this.options.idleCloseMs);
  }

  /** The relays that are open, opening the others; throws NO_RELAY when none could be. */
  async open(): Promise<RelayConnection[]> {
    this.connections ??= this.connect();
    const connections = this.connections;
    const failures = await Promise.all(connections.map((c) => c.open()));
    const up = connections.filter((_, i) => failures[i] === null);
    if (up.length === 0) {
      const why = failures.filter((f): f is string => f !== null).map((f) => oneLine(f, 80))[0];
      throw new WalletError('NO_RELAY', `cannot reach the wallet's relay ${this.urls.join(', ')}${why ? ` (${why})` : ''}`);
    }
    return up;
  }

  /** One filter on each of `connections`; the handlers are never called before this returns. */
  subscribe(connections: RelayConnection[], filter: Filter, handlers: WalletHandlers): WalletSubscription {
    const seen = new Set<string>();
    const eosed = new Set<RelayConnection>();
    const closed: string[] = [];
    const eose = (c: RelayConnection) => {
      if (eosed.has(c)) return;
      eosed.add(c);
      if (eosed.size === connections.length) handlers.oneose();
    };
    const subscriptions = connections.map((c) =>
      c.subscribe(
        filter,
        {
          alreadyHave: (id) => seen.has(id),
          onevent: (event) => {
            // only verified ids are remembered: a forged copy does not shadow the genuine answer
            if (seen.has(event.id) || !verifyEvent(event)) return;
            seen.add(event.id);
            handlers.onevent(event);
          },
          oneose: () => eose(c),
          onclose: (reason) => {
            eose(c);
            closed.push(oneLine(reason, 80));
            if (closed.length === connections.length) handlers.onclose(closed.filter(Boolean)[0] ?? 'connection closed');
          },
        },
        RELAY_WAIT_MS,
      ),
    );
    return { close: () => subscriptions.forEach((s) => s.close()) };
  }

  /** null once one relay accepted the event, else every relay's reason */
  async publishToAny(connections: RelayConnection[], event: Event): Promise<string[] | null> {
    try {
      await Promise.any(connections.map((c) => c.publish(event)));
      return null;
    } catch (err) {
      return ((err as AggregateError).errors ?? []).map((r: unknown) => oneLine(r instanceof Error ? r.message : r, 120));
    }
  }

  /** Closes every connection now (they open again for the next call). */
  close(): void {
    this.clearIdle();
    for (const c of this.connections ?? []) c.close();
    this.connections = null;
  }

  private connect(): RelayConnection[] {
    const timeouts = { connectTimeoutMs: this.options.connectTimeoutMs, publishTimeoutMs: RELAY_WAIT_MS };
    const signer = authSigner(this.secretKey);
    const byUrl = new Map<string, RelayConnection>();
    for (const url of this.urls) {
      let connection: RelayConnection;
      try {
        connection = new RelayConnection(url, timeouts, signer);
      } catch {
        continue; // not a relay URL (parseNwcUri refuses those): nothing to reach there
      }
      if (!byUrl.has(connection.normalizedUrl)) byUrl.set(connection.normalizedUrl, connection);
    }
    return [...byUrl.values()];
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
