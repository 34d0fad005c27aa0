// NIP-89: the provider's handler announcement (kind 31990) for kind 5050, and
// its withdrawal (kind 5). The d tag is fixed, so a restart replaces the old
// announcement instead of adding another; an expiration tag (NIP-40) makes a
// provider that died without withdrawing disappear on its own.
import { getPublicKey, type VerifiedEvent } from 'nostr-tools/pure';
import { finalizeEvent } from '../relay/nostr-crypto';
import { KIND_TEXT_GENERATION } from '../swarm/types';

export const KIND_HANDLER_INFO = 31990;
export const KIND_DELETION = 5;
export const ANNOUNCEMENT_D_TAG = 'swarm-compute-text-generation';
/** the encryption schemes an encrypted job may use (both answered in kind) */
export const SUPPORTED_ENCRYPTION = ['nip44', 'nip04'];

export interface AnnouncementContent {
  name: string;
  about: string;
  models: string[];
  priceMsats: number;
  encryption: string[];
}

function nowSecs(): number {
  return Math.floor(Date.now() / 1000);
}

export function announcementAddress(pubkey: string): string {
  return `${KIND_HANDLER_INFO}:${pubkey}:${ANNOUNCEMENT_D_TAG}`;
}

export function buildAnnouncement(content: AnnouncementContent, secretKey: Uint8Array, expiresInSecs: number): VerifiedEvent {
  const created = nowSecs();
  return finalizeEvent(
    {
      kind: KIND_HANDLER_INFO,
      created_at: created,
      content: JSON.stringify(content),
      tags: [
        ['d', ANNOUNCEMENT_D_TAG],
        ['k', String(KIND_TEXT_GENERATION)],
        ['expiration', String(created + Math.max(60, Math.ceil(expiresInSecs)))],
      ],
    },
    secretKey,
  );
}

/** Deletes the announcement by address (every version) and by the ids published in this run. */
export function buildAnnouncementDeletion(eventIds: string[], secretKey: Uint8Array): VerifiedEvent {
  return finalizeEvent(
    {
      kind: KIND_DELETION,
      created_at: nowSecs(),
      content: 'provider stopped serving',
      tags: [['a', announcementAddress(getPublicKey(secretKey))], ...eventIds.map((id) => ['e', id]), ['k', String(KIND_HANDLER_INFO)]],
    },
    secretKey,
  );
}
