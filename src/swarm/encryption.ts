// NIP-90 encrypted jobs: the job's i/param tags go to the provider sealed
// with NIP-44; replies marked ["encrypted"] are opened with NIP-44, or with
// NIP-04 for providers that still use it (its payload carries "?iv=").
import { getConversationKey, encrypt as nip44Encrypt, decrypt as nip44Decrypt } from 'nostr-tools/nip44';
import { decrypt as nip04Decrypt } from 'nostr-tools/nip04';

/** Upper bound on what we try to decrypt: a reply far beyond any text answer is refused unread. */
const MAX_CIPHERTEXT_CHARS = 4 * 1024 * 1024;

/** Caches the (costly) ECDH conversation key per counterpart for one job. */
export class Nip44Keys {
  private readonly keys = new Map<string, Uint8Array>();
  constructor(private readonly secretKey: Uint8Array) {}

  for(pubkey: string): Uint8Array {
    let key = this.keys.get(pubkey);
    if (!key) {
      key = getConversationKey(this.secretKey, pubkey);
      this.keys.set(pubkey, key);
    }
    return key;
  }
}

export function encryptForProvider(plaintext: string, keys: Nip44Keys, provider: string): string {
  return nip44Encrypt(plaintext, keys.for(provider));
}

/**
 * Opens a provider's encrypted content. Returns null when neither scheme
 * opens it (wrong key, corrupt payload): the caller treats that as an
 * unreadable reply, never as an answer.
 */
export function decryptFromProvider(content: string, secretKey: Uint8Array, keys: Nip44Keys, provider: string): string | null {
  if (content.length > MAX_CIPHERTEXT_CHARS) return null;
  try {
    return nip44Decrypt(content, keys.for(provider));
  } catch {
    // not NIP-44: fall through to NIP-04
  }
  if (!content.includes('?iv=')) return null;
  try {
    return nip04Decrypt(secretKey, provider, content);
  } catch {
    return null;
  }
}
