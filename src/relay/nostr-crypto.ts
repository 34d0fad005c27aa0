// Signing and verification for every event we make or accept. Pure-JS
// secp256k1 costs ~1.9 ms to sign and ~1.2 ms to verify an event here; the
// wasm build (nostr-wasm, through nostr-tools/wasm) does both ~6× cheaper.
// It is loaded once, on first use; until then, or if it cannot load, the
// pure-JS functions are used, with the same results.
import { finalizeEvent as pureFinalize, verifyEvent as pureVerify, type EventTemplate, type Event, type VerifiedEvent } from 'nostr-tools/pure';
import { setNostrWasm, finalizeEvent as wasmFinalize, verifyEvent as wasmVerify } from 'nostr-tools/wasm';

let useWasm = false;
let loading: Promise<boolean> | null = null;

/** Loads the wasm signer once; resolves false (and pure JS stays) if it cannot. */
export function loadFastCrypto(): Promise<boolean> {
  loading ??= import('nostr-wasm/gzipped')
    .then(({ initNostrWasm }) => initNostrWasm())
    .then((nostr) => {
      setNostrWasm(nostr);
      useWasm = true;
      return true;
    })
    .catch(() => false);
  return loading;
}

/**
 * nostr-wasm's verifier fails on events larger than about 1 MB (900 kB
 * passes, 1 MB fails): a genuine large answer would be dropped as forged.
 * Events whose serialized form (what the id hashes) is above this many
 * bytes are verified with nostr-tools' pure-JS path instead (~200 ms per
 * MB here, so only the few that need it).
 */
export const WASM_VERIFY_MAX_BYTES = 900_000;

function tooBigForWasm(event: Event): boolean {
  if (typeof event.content !== 'string' || !Array.isArray(event.tags)) return false; // malformed: either path says no
  // cheap first: most events are far below the limit even at 6 bytes per character
  if (event.content.length * 6 + JSON.stringify(event.tags).length * 6 < WASM_VERIFY_MAX_BYTES) return false;
  const serialized = JSON.stringify([0, event.pubkey, event.created_at, event.kind, event.tags, event.content]);
  return Buffer.byteLength(serialized, 'utf8') > WASM_VERIFY_MAX_BYTES;
}

export function finalizeEvent(template: EventTemplate, secretKey: Uint8Array): VerifiedEvent {
  // the wasm signer runs out of memory on the same large events (a big answer from `serve`)
  if (!useWasm || tooBigForWasm({ ...template, pubkey: '0'.repeat(64) } as Event)) return pureFinalize(template, secretKey);
  // the wasm signer fills in the object it is given: hand it a copy
  return wasmFinalize({ ...template, tags: template.tags.map((t) => [...t]) }, secretKey);
}

export function verifyEvent(event: Event): event is VerifiedEvent {
  if (!useWasm || tooBigForWasm(event)) return pureVerify(event);
  return wasmVerify(event);
}

/** for tests and benchmarks */
export function fastCryptoActive(): boolean {
  return useWasm;
}
