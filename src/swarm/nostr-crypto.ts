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

export function finalizeEvent(template: EventTemplate, secretKey: Uint8Array): VerifiedEvent {
  // the wasm signer fills in the object it is given: hand it a copy
  return useWasm ? wasmFinalize({ ...template, tags: template.tags.map((t) => [...t]) }, secretKey) : pureFinalize(template, secretKey);
}

export function verifyEvent(event: Event): event is VerifiedEvent {
  return useWasm ? wasmVerify(event) : pureVerify(event);
}

/** for tests and benchmarks */
export function fastCryptoActive(): boolean {
  return useWasm;
}
