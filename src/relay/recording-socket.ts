import WebSocket from 'ws';
import type { RelayAuth } from './relay-auth';

/** Where a relay connection's socket and its last error are kept. */
export interface SocketRecord {
  socket: WebSocket | null;
  lastError: Error | null;
  /** NIP-42: sees each socket's AUTH challenge (absent: challenges are not answered) */
  auth?: RelayAuth | null;
}

/**
 * A ws class bound to one relay for nostr-tools' AbstractRelay: it keeps the
 * socket and its real error (ECONNREFUSED…) so failures can be named, and its
 * own 'error' handler keeps ws from throwing after nostr-tools detaches its one.
 */
export function recordingSocketClass(record: SocketRecord): typeof globalThis.WebSocket {
  return class RecordingSocket extends WebSocket {
    constructor(address: string) {
      super(address);
      record.socket = this;
      record.auth?.watch(this);
      this.on('error', (err) => {
        record.lastError = err;
      });
    }
  } as unknown as typeof globalThis.WebSocket;
}
