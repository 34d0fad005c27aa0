// Can a relay be reached? Opens a WebSocket, sends one REQ that matches
// nothing and waits for EOSE (or any answer), then closes. Used by the
// status bar tooltip and Diagnose Connection.
import WebSocket from 'ws';

export interface RelayStatus {
  url: string;
  reachable: boolean;
  /** time to the relay's first answer */
  latencyMs: number | null;
  error: string | null;
}

export function probeRelay(url: string, timeoutMs = 5000): Promise<RelayStatus> {
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    let socket: WebSocket;
    const done = (reachable: boolean, error: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        socket?.terminate();
      } catch {
        // already closed
      }
      resolve({ url, reachable, latencyMs: reachable ? Date.now() - started : null, error });
    };
    const timer = setTimeout(() => done(false, `no answer within ${timeoutMs / 1000} s`), timeoutMs);
    try {
      socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
    } catch (err) {
      done(false, err instanceof Error ? err.message : String(err));
      return;
    }
    socket.on('open', () => socket.send(JSON.stringify(['REQ', 'probe', { ids: ['0'.repeat(64)], limit: 1 }])));
    socket.on('message', () => done(true, null));
    socket.on('error', (err) => done(false, (err as NodeJS.ErrnoException).code ?? err.message));
    socket.on('close', () => done(false, 'closed the connection'));
  });
}

export function probeRelays(urls: string[], timeoutMs?: number): Promise<RelayStatus[]> {
  return Promise.all(urls.map((u) => probeRelay(u, timeoutMs)));
}
