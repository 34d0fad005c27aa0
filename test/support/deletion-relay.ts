// The test relay (relay.ts, @nostr-relay/core 0.0.40) applies a kind-5
// deletion but neither stores nor sends it to subscribers, while real relays
// pass deletion requests on like any event (NIP-09). This proxy sits in
// front of a test relay, pipes everything through unchanged, and also hands
// each kind-5 event a client publishes to every subscription (through this
// proxy) whose filter matches it, as a real relay would.
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { matchFilter, type Event, type Filter } from 'nostr-tools';

export interface DeletionRelay {
  url: string;
  stop(): Promise<void>;
}

export async function startDeletionRelay(upstreamUrl: string): Promise<DeletionRelay> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const clients = new Set<{ ws: WebSocket; subs: Map<string, Filter[]> }>();
  wss.on('connection', (ws) => {
    const client = { ws, subs: new Map<string, Filter[]>() };
    clients.add(client);
    const upstream = new WebSocket(upstreamUrl);
    const pending: string[] = [];
    upstream.on('open', () => {
      for (const m of pending.splice(0)) upstream.send(m);
    });
    upstream.on('message', (data) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(String(data));
    });
    upstream.on('close', () => ws.close());
    upstream.on('error', () => ws.terminate());
    ws.on('message', (raw) => {
      const text = String(raw);
      const msg = JSON.parse(text) as unknown[];
      if (msg[0] === 'REQ') client.subs.set(msg[1] as string, msg.slice(2) as Filter[]);
      if (msg[0] === 'CLOSE') client.subs.delete(msg[1] as string);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else pending.push(text);
      if (msg[0] === 'EVENT' && (msg[1] as Event).kind === 5) {
        const event = msg[1] as Event;
        for (const other of clients) {
          for (const [id, filters] of other.subs) {
            if (filters.some((f) => matchFilter(f, event)) && other.ws.readyState === WebSocket.OPEN) {
              other.ws.send(JSON.stringify(['EVENT', id, event]));
            }
          }
        }
      }
    });
    ws.on('close', () => {
      clients.delete(client);
      upstream.close();
    });
    ws.on('error', () => {});
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    async stop() {
      for (const c of clients) c.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
