// An event signed as a client, provider or relay user sends it: dated now,
// in whole seconds. `finalize` is nostr-tools' pure-JS signer unless a test
// needs the fast one (src/relay/nostr-crypto, for large events).
import { finalizeEvent, type Event, type EventTemplate } from 'nostr-tools/pure';

export function signNow(
  template: Omit<EventTemplate, 'created_at'>,
  secretKey: Uint8Array,
  finalize: (t: EventTemplate, sk: Uint8Array) => Event = finalizeEvent,
): Event {
  return finalize({ ...template, created_at: Math.floor(Date.now() / 1000) }, secretKey);
}
