// A real Nostr relay for tests: @nostr-relay/core + validator over `ws`, with
// an in-memory repository. Version 0.0.40 routes live events ignoring tag
// filters (#e, #p); real relays honour them, so this helper matches the full
// filter (nostr-tools' matchFilter) both when storing/finding and on the
// live path, by re-checking each outgoing EVENT against its subscription.
import { WebSocketServer, WebSocket } from 'ws';
import { NostrRelay } from '@nostr-relay/core';
import { EventRepository } from '@nostr-relay/common';
import { Validator } from '@nostr-relay/validator';
import { matchFilter, type Event as NostrEvent, type Filter } from 'nostr-tools';
import type { AddressInfo } from 'node:net';

type RelayEvent = NostrEvent;

class MemoryRepository extends EventRepository {
  readonly events: RelayEvent[] = [];
  override isSearchSupported() {
    return false;
  }
  upsert(event: RelayEvent) {
    if (this.events.some((e) => e.id === event.id)) return { isDuplicate: true };
    const replaceable = event.kind === 0 || event.kind === 3 || (event.kind >= 10000 && event.kind < 20000);
    const addressable = event.kind >= 30000 && event.kind < 40000;
    if (replaceable || addressable) {
      const d = event.tags.find((t) => t[0] === 'd')?.[1] ?? '';
      const idx = this.events.findIndex(
        (e) => e.kind === event.kind && e.pubkey === event.pubkey && (!addressable || (e.tags.find((t) => t[0] === 'd')?.[1] ?? '') === d),
      );
      if (idx >= 0) {
        if (this.events[idx].created_at > event.created_at) return { isDuplicate: true };
        this.events.splice(idx, 1);
      }
    }
    this.events.push(event);
    return { isDuplicate: false };
  }
  find(filter: Filter): RelayEvent[] {
    const found = this.events.filter((e) => matchFilter(filter, e)).sort((a, b) => b.created_at - a.created_at);
    return filter.limit !== undefined ? found.slice(0, filter.limit) : found;
  }
  override async deleteByDeletionRequest(deletion: RelayEvent) {
    // Real relays keep the deletion itself, so late subscribers learn of it too.
    if (!this.events.some((e) => e.id === deletion.id)) this.events.push(deletion);
    const ids = new Set(deletion.tags.filter((t) => t[0] === 'e').map((t) => t[1]));
    const addrs = new Set(deletion.tags.filter((t) => t[0] === 'a').map((t) => t[1]));
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i];
      if (e.pubkey !== deletion.pubkey) continue;
      const addr = `${e.kind}:${e.pubkey}:${e.tags.find((t) => t[0] === 'd')?.[1] ?? ''}`;
      if (ids.has(e.id) || addrs.has(addr)) this.events.splice(i, 1);
    }
  }
  async destroy() {}
}

export interface TestRelayOptions {
  port?: number;
  /** answer OK false to events this returns a reason for */
  reject?: (event: RelayEvent) => string | undefined;
  /**
   * NIP-42 (@nostr-relay/core with a `hostname`): EVENT and REQ from a
   * connection that has not authenticated are refused with "auth-required: …"
   * (OK false / CLOSED). 'on-connect' sends the challenge when a client
   * connects, as the core does; 'on-refusal' only right after a refusal, so a
   * client's first try is always refused and its retry is what gets tested.
   */
  requireAuth?: 'on-connect' | 'on-refusal';
}

export interface TestRelay {
  url: string;
  port: number;
  /** every EVENT the relay accepted, in order (deleted ones included) */
  received: RelayEvent[];
  /** the events currently stored */
  stored(): RelayEvent[];
  /** open client connections */
  connections(): number;
  /** connections ever accepted (a short-lived one counts too) */
  connectionsOpened(): number;
  /** close every client connection (a relay hiccup); the server keeps listening */
  dropConnections(): void;
  /** change the OK-false policy at run time */
  setReject(reject: TestRelayOptions['reject']): void;
  /** pubkeys that authenticated (NIP-42), in order */
  authenticated: string[];
  /** EVENTs and REQs refused with auth-required */
  authRefusals(): number;
  /** resolves with the first accepted event matching the filter (already received or future) */
  waitFor(filter: Filter, timeoutMs?: number): Promise<RelayEvent>;
  stop(): Promise<void>;
}

export async function startRelay(options: TestRelayOptions = {}): Promise<TestRelay> {
  const repo = new MemoryRepository();
  const silent = { setLogLevel() {}, debug() {}, info() {}, warn() {}, error() {} };
  const relay = new NostrRelay(repo as never, {
    logger: silent as never,
    eventHandlingResultCacheTtl: 0,
    filterResultCacheTtl: 0,
    // the core speaks NIP-42 only with a hostname: the one AUTH events must name in their relay tag
    ...(options.requireAuth ? { hostname: '127.0.0.1' } : {}),
  });
  const validator = new Validator();
  const received: RelayEvent[] = [];
  let reject = options.reject;
  const waiters: { filter: Filter; resolve: (e: RelayEvent) => void }[] = [];

  const authenticated: string[] = [];
  let authRefusals = 0;
  const AUTH_REQUIRED = 'auth-required: this relay serves authenticated users only';
  if (options.requireAuth) {
    relay.register({
      async handleMessage(ctx: { id: string; pubkey?: string; sendMessage(m: unknown[]): void }, message: unknown[], next: () => Promise<unknown>) {
        if (!ctx.pubkey && (message[0] === 'EVENT' || message[0] === 'REQ')) {
          authRefusals++;
          if (message[0] === 'EVENT') ctx.sendMessage(['OK', (message[1] as RelayEvent).id, false, AUTH_REQUIRED]);
          else ctx.sendMessage(['CLOSED', message[1], AUTH_REQUIRED]);
          if (options.requireAuth === 'on-refusal') ctx.sendMessage(['AUTH', ctx.id]);
          return undefined;
        }
        const result = await next();
        if (message[0] === 'AUTH' && ctx.pubkey && !authenticated.includes(ctx.pubkey)) authenticated.push(ctx.pubkey);
        return result;
      },
    } as never);
  }

  relay.register({
    beforeHandleEvent(event: RelayEvent) {
      const reason = reject?.(event);
      return reason ? { canHandle: false, message: reason } : { canHandle: true };
    },
  } as never);

  const wss = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0 });
  const sockets = new Set<WebSocket>();
  let opened = 0;

  wss.on('connection', (ws) => {
    sockets.add(ws);
    opened++;
    const subs = new Map<string, Filter[]>();
    // The relay writes to this wrapper; it forwards only events that really
    // match their subscription's filters (tags included).
    let connecting = true;
    const client = {
      get readyState() {
        return ws.readyState;
      },
      send(data: string) {
        // 'on-refusal': the core's challenge at connect time is held back
        if (connecting && options.requireAuth === 'on-refusal' && data.startsWith('["AUTH"')) return;
        if (data.startsWith('["EVENT"')) {
          const [, subId, event] = JSON.parse(data) as [string, string, RelayEvent];
          const filters = subs.get(subId);
          if (!filters || !filters.some((f) => matchFilter(f, event))) return;
        }
        if (ws.readyState === WebSocket.OPEN) ws.send(data);
      },
    };
    relay.handleConnection(client as never);
    connecting = false;
    ws.on('message', async (raw) => {
      let message;
      try {
        message = await validator.validateIncomingMessage(raw as never);
      } catch (e) {
        client.send(JSON.stringify(['NOTICE', `invalid: ${(e as Error).message.slice(0, 200)}`]));
        return;
      }
      if (message[0] === 'REQ') subs.set(message[1] as string, message.slice(2) as Filter[]);
      if (message[0] === 'CLOSE') subs.delete(message[1] as string);
      const result = await relay.handleMessage(client as never, message);
      if (message[0] === 'EVENT' && (result as { success?: boolean })?.success) {
        const event = message[1] as RelayEvent;
        // 0.0.40 stores nothing and tells no subscriber of a deletion (kind 5); real relays route it live.
        if (event.kind === 5 && !received.some((e) => e.id === event.id)) await relay.broadcast(event as never);
        if (!received.some((e) => e.id === event.id)) {
          received.push(event);
          for (let i = waiters.length - 1; i >= 0; i--) {
            if (matchFilter(waiters[i].filter, event)) {
              waiters[i].resolve(event);
              waiters.splice(i, 1);
            }
          }
        }
      }
    });
    ws.on('close', () => {
      sockets.delete(ws);
      relay.handleDisconnect(client as never);
    });
    ws.on('error', () => {});
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    received,
    authenticated,
    authRefusals: () => authRefusals,
    stored: () => [...repo.events],
    connections: () => sockets.size,
    connectionsOpened: () => opened,
    dropConnections() {
      for (const ws of sockets) ws.terminate();
    },
    setReject(r) {
      reject = r;
    },
    waitFor(filter, timeoutMs = 10_000) {
      const already = received.find((e) => matchFilter(filter, e));
      if (already) return Promise.resolve(already);
      return new Promise((resolve, rejectP) => {
        const timer = setTimeout(() => rejectP(new Error(`relay saw no event matching ${JSON.stringify(filter)}`)), timeoutMs);
        waiters.push({
          filter,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
    async stop() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await relay.destroy();
    },
  };
}
