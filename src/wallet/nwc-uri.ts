// The NIP-47 connection URI: nostr+walletconnect://<wallet pubkey>?relay=…&secret=…
// Errors name what is wrong and never echo the secret (the URI spends money).
import { getPublicKey } from 'nostr-tools/pure';
import { hexToBytes } from 'nostr-tools/utils';
import { ConfigError } from '../run/errors';

export interface NwcConnection {
  /** the wallet service's pubkey (hex) */
  walletPubkey: string;
  relays: string[];
  /** the client's secret key from the URI */
  secretKey: Uint8Array;
  /** pubkey of `secretKey` */
  clientPubkey: string;
  lud16: string | null;
}

const SCHEMES = ['nostr+walletconnect:', 'nostrwalletconnect:'];
const HEX64 = /^[0-9a-f]{64}$/;

/** Parses and validates an NWC URI; throws ConfigError naming the problem. */
export function parseNwcUri(uri: string): NwcConnection {
  const fail = (what: string) => new ConfigError(`NWC connection URI: ${what}`);
  if (typeof uri !== 'string' || uri.trim() === '') throw fail('empty; expected nostr+walletconnect://<wallet pubkey>?relay=…&secret=…');
  const text = uri.trim();
  const scheme = SCHEMES.find((s) => text.toLowerCase().startsWith(s));
  if (!scheme) {
    const shown = text.includes(':') ? `"${text.slice(0, text.indexOf(':') + 1)}"` : 'none';
    throw fail(`must start with nostr+walletconnect://, got scheme ${shown}`);
  }
  let rest = text.slice(scheme.length);
  if (rest.startsWith('//')) rest = rest.slice(2);
  const q = rest.indexOf('?');
  const pubkeyPart = (q < 0 ? rest : rest.slice(0, q)).replace(/\/+$/, '').toLowerCase();
  const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));

  if (!HEX64.test(pubkeyPart)) {
    throw fail(`the wallet pubkey after "://" must be 64 hex characters, got ${pubkeyPart ? `"${pubkeyPart.slice(0, 70)}"` : 'nothing'}`);
  }
  const relays = params
    .getAll('relay')
    .flatMap((r) => r.split(/\s+/))
    .filter(Boolean);
  if (relays.length === 0) throw fail('no relay= parameter (the relay the wallet listens on)');
  for (const relay of relays) {
    let ok = false;
    try {
      const u = new URL(relay);
      ok = (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) throw fail(`relay must be a ws:// or wss:// URL, got "${relay.slice(0, 100)}"`);
  }
  const secret = params.get('secret');
  if (secret === null || secret === '') throw fail('no secret= parameter (the 64-hex key the wallet gave this connection)');
  if (!HEX64.test(secret.toLowerCase())) throw fail(`secret= must be 64 hex characters (got ${secret.length} characters)`);
  const secretKey = hexToBytes(secret.toLowerCase());
  let clientPubkey: string;
  try {
    clientPubkey = getPublicKey(secretKey);
  } catch {
    throw fail('secret= is not a valid secp256k1 secret key');
  }
  return {
    walletPubkey: pubkeyPart,
    relays: [...new Set(relays)],
    secretKey,
    clientPubkey,
    lud16: params.get('lud16') || null,
  };
}
