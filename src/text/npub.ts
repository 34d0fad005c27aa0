// Public keys as people read them: for the engine's rows, the CLI, the chat.
import { npubEncode } from 'nostr-tools/nip19';

export function shortNpub(hexPubkey: string | null): string | null {
  if (!hexPubkey) return null;
  try {
    const n = npubEncode(hexPubkey);
    return `${n.slice(0, 10)}…${n.slice(-4)}`;
  } catch {
    return `${hexPubkey.slice(0, 8)}…`;
  }
}

/** hex → npub1…; the input unchanged when it is not a hex key. */
export function npubOf(hexPubkey: string): string {
  try {
    return npubEncode(hexPubkey);
  } catch {
    return hexPubkey;
  }
}
