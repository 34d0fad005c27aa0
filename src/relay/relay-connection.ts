// One connection to one relay: the single way the swarm lane (relay-group.ts),
// the provider (provider/relay-writer.ts) and the wallet (wallet/nwc-relays.ts)
// talk to relays. Over nostr-tools' AbstractRelay with `ws`: every frame is
// screened before nostr-tools reads it (screened-relay.ts), the socket's real
// error is kept so a failure can be named (recording-socket.ts), NIP-42
// challenges are answered with the owner's key and what was refused for it
// is sent once more (relay-auth.ts), and closing cannot keep a process alive.
//
// Why not SimplePool: its reconnect waits 10 s before the first retry and
// re-subscribes with `since = last event + 1`, which loses the feedback and
// result a provider sends in the same second as the last event we saw; its
// connection errors say only "connection failed"; its relays print NOTICEs on
// stdout; and it verifies every copy of an event. Verification is left to the
// owner (the job's gate, the wallet's answer) so it happens once per event.
import WebSocket from 'ws';
import type { Subscription } from 'nostr-tools/abstract-relay';
import type { Event } from 'nostr-tools/pure';
import type { Filter } from 'nostr-tools/filter';
import { recordingSocketClass } from './recording-socket';
import { isAuthRequired, publishWithAuth, RelayAuth, type AuthSigner } from './relay-auth';
import { ScreenedRelay } from './screened-relay';

export interface RelayTimeouts {
  /** how long the relay may take to open its socket */
  connectTimeoutMs: number;
  /** how long it may take to answer OK to an event (and to our NIP-42 answer) */
  publishTimeoutMs: number;
}

export interface RelayFailure {
  url: string;
  reason: string;
}

export interface RelayHandlers {
  onevent(event: Event): void;
  /** checked with the id alone, before the relay's message is even parsed */
  alreadyHave?(id: string): boolean;
  /** the relay sent EOSE, or the EOSE wait passed */
  oneose?(): void;
  /** once: the relay closed it (after NIP-42 was tried), the connection dropped, or we closed it */
  onclose?(reason: string): void;
}

export interface RelaySubscription {
  close(reason?: string): void;
}

export class RelayConnection {
  /** as the owner gave it (failures name it so) */
  readonly url: string;
  /** nostr-tools' normalised form: two spellings of one relay are one connection */
  readonly normalizedUrl: string;
  /** called when an open connection drops (never after close()) */
  ondrop: (() => void) | null = null;
  // the socket record (recording-socket.ts)
  socket: WebSocket | null = null;
  lastError: Error | null = null;
  readonly auth: RelayAuth | null;

  private readonly relay: ScreenedRelay;
  private readonly subscriptions = new Set<RelaySubscription>();
  private opening: Promise<string | null> | null = null;
  private closed = false;

  /** Throws on a URL that is not one. `signer` null: NIP-42 challenges are not answered. */
  constructor(
    url: string,
    private readonly timeouts: RelayTimeouts,
    signer: AuthSigner | null,
  ) {
    this.url = url;
    this.auth = signer ? new RelayAuth(signer, timeouts.publishTimeoutMs) : null;
    this.relay = new ScreenedRelay(url, { verifyEvent: () => true, websocketImplementation: recordingSocketClass(this) });
    this.normalizedUrl = this.relay.url;
    this.relay.publishTimeout = timeouts.publishTimeoutMs;
    this.relay.onnotice = () => {}; // nostr-tools prints notices with console.debug, i.e. on stdout, which the CLI keeps for its JSON
    if (this.auth) this.auth.relay = this.relay;
  }

  get connected(): boolean {
    return this.relay.connected;
  }

  /** Opens the socket (one attempt at a time, bounded by connectTimeoutMs): null when open, else why not. */
  open(): Promise<string | null> {
    if (this.closed) return Promise.resolve('closed');
    if (this.relay.connected) return Promise.resolve(null);
    this.opening ??= this.attempt().finally(() => (this.opening = null));
    return this.opening;
  }

  /** Sends the event and waits for the relay's OK; throws the relay's reason (see describeRejection). */
  publish(event: Event): Promise<string> {
    return publishWithAuth(this.relay, this.auth, event);
  }

  /** One REQ with one filter (nostr-tools ≥ 2.17 takes a single filter); a CLOSED "auth-required:" is retried once after NIP-42. */
  subscribe(filter: Filter, handlers: RelayHandlers, eoseTimeoutMs: number): RelaySubscription {
    let done = false;
    let current: Subscription | null = null;
    const handle: RelaySubscription = {
      close: (reason = 'closed by us') => {
        const sub = current;
        finish(reason);
        sub?.close(reason);
      },
    };
    const finish = (reason: string) => {
      if (done) return;
      done = true;
      this.subscriptions.delete(handle);
      current?.receivedEose(); // clears nostr-tools' EOSE timer, which a close leaves running
      handlers.onclose?.(reason);
    };
    const fire = (afterAuth: boolean) => {
      if (!this.relay.connected) return queueMicrotask(() => finish('not connected'));
      let over = false; // this REQ was closed
      const sub: Subscription = this.relay.subscribe([{ ...filter }], {
        eoseTimeout: eoseTimeoutMs,
        alreadyHaveEvent: handlers.alreadyHave && ((id) => handlers.alreadyHave!(id)),
        onevent: (event) => {
          if (!done && !over) handlers.onevent(event);
        },
        oneose: () => {
          if (!done && !over) handlers.oneose?.();
        },
        onclose: (reason) => {
          if (over || done) return;
          over = true;
          const auth = this.auth;
          if (afterAuth || !auth || !isAuthRequired(reason) || this.closed) return finish(reason);
          sub.receivedEose(); // its wait is over: the REQ sent after our answer is the one that counts
          // CLOSED "auth-required:": once our answer to the challenge is accepted, subscribe again
          void auth.authenticated().then((ok) => {
            if (done) return;
            if (ok && !this.closed) fire(true);
            else finish(`${reason} (${auth.lastFailure ?? 'not authenticated'})`);
          });
        },
      });
      current = sub;
    };
    this.subscriptions.add(handle);
    fire(false);
    return handle;
  }

  /** Ends the connection for good: its subscriptions end, and a socket that never completes the close handshake is terminated. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const sub of [...this.subscriptions]) sub.close('connection closed by us');
    this.relay.close();
    const socket = this.socket;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      // a relay that never completes the close handshake must not keep the process alive
      const timer = setTimeout(() => socket.terminate(), 1000);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    }
  }

  private async attempt(): Promise<string | null> {
    const relay = this.relay;
    this.lastError = null;
    relay.onclose = null; // a failed attempt is the owner's to retry, not a drop
    try {
      await relay.connect({ timeout: this.timeouts.connectTimeoutMs });
    } catch (err) {
      if (String(err) === 'connection timed out') return `no answer within ${Math.round(this.timeouts.connectTimeoutMs / 1000)} s`;
      return describeSocketError(this.lastError ?? (err instanceof Error ? err : new Error(String(err))));
    }
    if (this.closed) {
      relay.close();
      return 'closed';
    }
    relay.onclose = () => {
      if (!this.closed) this.ondrop?.();
    };
    return null;
  }
}

/** A failed connection in words a person can act on. */
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

/** Why a relay did not take an event, for a failure report. */
export function describeRejection(err: unknown, connection: RelayConnection): string {
  if (!connection.connected) return 'connection lost';
  const text = err instanceof Error ? err.message : String(err);
  return text === 'publish timed out' ? 'no OK answer in time' : `rejected: ${text}`;
}
