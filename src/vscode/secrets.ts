// The Nostr secret key and the wallet (NWC) URI live in SecretStorage only:
// never in settings, globalState, logs or history.
import * as vscode from 'vscode';
import { decode, npubEncode } from 'nostr-tools/nip19';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';

const NOSTR_KEY = 'swarmCompute.nostrSecretKey';
const NWC_URI = 'swarmCompute.nwcUri';
/** globalState marker (no secret in it): a key was made here once, so secret storage should still hold one */
const KEY_CREATED = 'swarmCompute.nostrKeyCreated';

/** Why a generated key will not survive: told once per window, never by falling back to another store. */
export type KeyNotKept = 'not-read-back' | 'lost-since-last-time';

export class SecretsStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<'nostrKey' | 'nwcUri'>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  private warned = false;

  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly state?: vscode.Memento,
    private readonly onKeyNotKept?: (why: KeyNotKept) => void,
  ) {
    this.subscription = storage.onDidChange((e) => {
      if (e.key === NOSTR_KEY) this.changed.fire('nostrKey');
      if (e.key === NWC_URI) this.changed.fire('nwcUri');
    });
  }

  /** The identity's secret key; a new one is made and stored on first use. */
  async nostrSecretKey(): Promise<Uint8Array> {
    const stored = await this.storage.get(NOSTR_KEY);
    if (stored && /^[0-9a-f]{64}$/.test(stored)) return Uint8Array.from(Buffer.from(stored, 'hex'));
    const lost = this.state?.get<boolean>(KEY_CREATED) === true;
    const key = generateSecretKey();
    const hex = Buffer.from(key).toString('hex');
    await this.storage.store(NOSTR_KEY, hex);
    const readBack = await this.storage.get(NOSTR_KEY).then(
      (v) => v,
      () => undefined,
    );
    await this.state?.update(KEY_CREATED, true);
    if (readBack !== hex) this.notKept('not-read-back');
    else if (lost) this.notKept('lost-since-last-time');
    return key;
  }

  private notKept(why: KeyNotKept): void {
    if (this.warned) return;
    this.warned = true;
    this.onKeyNotKept?.(why);
  }

  async hasNostrKey(): Promise<boolean> {
    return !!(await this.storage.get(NOSTR_KEY));
  }

  async setNostrSecretKey(key: Uint8Array): Promise<void> {
    await this.storage.store(NOSTR_KEY, Buffer.from(key).toString('hex'));
  }

  async npub(): Promise<string> {
    return npubEncode(getPublicKey(await this.nostrSecretKey()));
  }

  async nwcUri(): Promise<string | null> {
    return (await this.storage.get(NWC_URI)) ?? null;
  }

  async setNwcUri(uri: string | null): Promise<void> {
    if (uri) await this.storage.store(NWC_URI, uri);
    else await this.storage.delete(NWC_URI);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** nsec1… or 64 hex → 32 bytes; a message saying what is wrong otherwise. */
export function parseNostrSecretKey(input: string): Uint8Array | string {
  const v = input.trim();
  if (v.startsWith('nsec1')) {
    try {
      const d = decode(v);
      if (d.type === 'nsec') return d.data;
    } catch {
      return 'That nsec is not valid bech32: check for a missing or extra character.';
    }
  }
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Uint8Array.from(Buffer.from(v, 'hex'));
  return 'Enter an nsec1… key or 64 hexadecimal characters.';
}

/** A NIP-47 URI: nostr+walletconnect://<64 hex pubkey>?relay=…&secret=<64 hex> */
export function checkNwcUri(input: string): string | null {
  const v = input.trim();
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return 'Paste the whole nostr+walletconnect://… connection string from your wallet.';
  }
  if (url.protocol !== 'nostr+walletconnect:') return 'A wallet connection starts with nostr+walletconnect://';
  const pubkey = url.host || url.pathname.replace(/^\/+/, '');
  if (!/^[0-9a-f]{64}$/i.test(pubkey)) return "The wallet's public key (after ://) must be 64 hexadecimal characters.";
  if (!url.searchParams.get('relay')) return 'The connection string has no relay= parameter.';
  if (!/^[0-9a-f]{64}$/i.test(url.searchParams.get('secret') ?? '')) return 'The connection string has no valid secret= parameter.';
  return null;
}

export { npubOf, shortNpub } from '../text/npub';
