import { npubEncode } from 'nostr-tools/nip19';

/** A short, recognisable provider name for one-line messages. */
export function providerName(pubkey: string): string {
  try {
    const npub = npubEncode(pubkey);
    return `${npub.slice(0, 14)}…${npub.slice(-4)}`;
  } catch {
    return pubkey.slice(0, 12);
  }
}
