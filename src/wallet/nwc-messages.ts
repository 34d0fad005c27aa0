// The NIP-47 request event (kind 23194) and the reading of its answer
// (kind 23195, which e-tags it): encrypted with NIP-44 or NIP-04 as the
// wallet's info event decided; the answer's own scheme is recognisable
// (NIP-04 carries "?iv=").
import * as nip04 from 'nostr-tools/nip04';
import * as nip44 from 'nostr-tools/nip44';
import type { Event, VerifiedEvent } from 'nostr-tools/pure';
import type { Filter } from 'nostr-tools/filter';
import { finalizeEvent } from '../relay/nostr-crypto';
import type { NwcConnection } from './nwc-uri';
import type { NwcEncryption } from './nwc-info';
import { WalletError, nwcErrorMessage, oneLine, toNwcErrorCode } from './wallet-error';

export const KIND_NWC_REQUEST = 23194;
export const KIND_NWC_RESPONSE = 23195;

export type Json = Record<string, unknown>;

/** The signed request; a wallet must ignore it once its expiration (now + timeoutMs) passes, so a late request is never carried out. */
export function requestEvent(connection: NwcConnection, encryption: NwcEncryption, method: string, params: Json, timeoutMs: number): VerifiedEvent {
  const { secretKey, walletPubkey } = connection;
  const plaintext = JSON.stringify({ method, params });
  const content =
    encryption === 'nip44_v2' ? nip44.encrypt(plaintext, nip44.getConversationKey(secretKey, walletPubkey)) : nip04.encrypt(secretKey, walletPubkey, plaintext);
  const tags = [
    ['p', walletPubkey],
    ['expiration', String(Math.ceil((Date.now() + timeoutMs) / 1000))],
  ];
  if (encryption === 'nip44_v2') tags.push(['encryption', 'nip44_v2']);
  return finalizeEvent({ kind: KIND_NWC_REQUEST, created_at: Math.floor(Date.now() / 1000), tags, content }, secretKey);
}

export function answerFilter(walletPubkey: string, requestId: string): Filter {
  return { kinds: [KIND_NWC_RESPONSE], authors: [walletPubkey], '#e': [requestId] };
}

export function isAnswerTo(answer: Event, walletPubkey: string, requestId: string): boolean {
  return answer.pubkey === walletPubkey && answer.tags.some((t) => t[0] === 'e' && t[1] === requestId);
}

/**
 * The answer's result object; throws the wallet's error, or BAD_RESPONSE for
 * an answer that cannot be read (`sent`: the request went out, so the
 * wallet may have carried it out).
 */
export function readAnswer(connection: NwcConnection, answer: Event, method: string, sent: boolean): Json {
  let body: Json;
  try {
    body = decrypt(connection, answer);
  } catch (e) {
    throw new WalletError('BAD_RESPONSE', `cannot read the wallet's answer to ${method}: ${oneLine((e as Error).message)}`, sent);
  }
  const error = body.error as Json | null | undefined;
  if (error && typeof error === 'object') {
    const code = typeof error.code === 'string' ? error.code : 'OTHER';
    throw new WalletError(toNwcErrorCode(code), nwcErrorMessage(code, method, error.message));
  }
  if (typeof body.result_type === 'string' && body.result_type !== method) {
    throw new WalletError('BAD_RESPONSE', `wallet answered ${body.result_type} to a ${method} request`, sent);
  }
  const result = body.result;
  if (!result || typeof result !== 'object') throw new WalletError('BAD_RESPONSE', `wallet answered ${method} with no result`, sent);
  return result as Json;
}

function decrypt(connection: NwcConnection, event: Event): Json {
  const { secretKey, walletPubkey } = connection;
  const text = event.content.includes('?iv=')
    ? nip04.decrypt(secretKey, walletPubkey, event.content)
    : nip44.decrypt(event.content, nip44.getConversationKey(secretKey, walletPubkey));
  const body = JSON.parse(text) as unknown;
  if (!body || typeof body !== 'object') throw new Error('not a JSON object');
  return body as Json;
}
