// Reads a kind-5050 job request as a provider: is it for us, what does it
// ask (prompt, model, bid), and in which scheme was it sealed. Encrypted jobs
// (NIP-90 "encrypted params") carry their i/param tags as a JSON array in the
// content, NIP-44 from current clients or NIP-04 ("?iv=") from older ones;
// the answer goes back in the same scheme.
import type { Event } from 'nostr-tools/pure';
import { verifyEvent } from '../relay/nostr-crypto';
import { decryptFromProvider, type Nip44Keys } from '../swarm/encryption';
import { KIND_TEXT_GENERATION } from '../swarm/types';
import type { ChatMessage } from '../chat-message';
import { parseMessagesParam } from '../swarm/conversation-text';

export type JobEncryption = 'nip44' | 'nip04';

/** What every reply needs, even to a job that could not be read. */
export interface JobEnvelope {
  event: Event;
  id: string;
  customer: string;
  /** the relay it came from (the e tag's hint) */
  relay: string;
  /** null: replies go in clear */
  encryption: JobEncryption | null;
}

export interface JobInput extends JobEnvelope {
  prompt: string;
  /** the `param model` asked for; null when the job names none */
  model: string | null;
  /** msats the customer offers; null when there is no valid bid tag */
  bidMsats: number | null;
  /** the job's i tags, copied to the result when the job was in clear */
  inputTags: string[][];
  /** a follow-up's turns from `param messages` (answered through /api/chat); null: the prompt alone */
  messages: ChatMessage[] | null;
}

export type Intake =
  /** not for us (targeted elsewhere, forged, not a job): no reply at all */
  | { kind: 'ignore'; why: string }
  /** for us but unusable: an error feedback says `reason` */
  | { kind: 'refuse'; job: JobEnvelope; reason: string }
  | { kind: 'accept'; job: JobInput };

/** Upper bound on encrypted content we try to open (the prompt limit applies after). */
const MAX_CONTENT_CHARS = 1024 * 1024;

function isTagList(value: unknown): value is string[][] {
  return Array.isArray(value) && value.every((t) => Array.isArray(t) && t.every((x) => typeof x === 'string'));
}

function parseMsats(raw: string | undefined): number | null {
  if (raw === undefined || !/^\d{1,15}$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

/**
 * Cheapest checks first: kind and targeting before the signature, the
 * signature before any decryption.
 */
export function readJob(event: Event, relay: string, ourPubkey: string, secretKey: Uint8Array, keys: Nip44Keys): Intake {
  if (event?.kind !== KIND_TEXT_GENERATION || !Array.isArray(event.tags)) return { kind: 'ignore', why: 'not a kind-5050 job' };
  // The extension serves under the same key as its own chat: never answer (or invoice) ourselves.
  if (event.pubkey === ourPubkey) return { kind: 'ignore', why: 'our own job' };
  const targets = event.tags.filter((t) => t[0] === 'p' && typeof t[1] === 'string').map((t) => t[1].toLowerCase());
  if (targets.length > 0 && !targets.includes(ourPubkey)) return { kind: 'ignore', why: 'targeted at other providers' };
  const sealed = event.tags.some((t) => t[0] === 'encrypted');
  // an encrypted job can only be for the provider it names
  if (sealed && !targets.includes(ourPubkey)) return { kind: 'ignore', why: 'encrypted for someone else' };
  if (!verifyEvent(event)) return { kind: 'ignore', why: 'bad signature' };

  const envelope: JobEnvelope = { event, id: event.id, customer: event.pubkey, relay, encryption: null };
  let tags = event.tags;
  if (sealed) {
    const encryption: JobEncryption = event.content.includes('?iv=') ? 'nip04' : 'nip44';
    const refuse = (reason: string): Intake => ({ kind: 'refuse', job: envelope, reason });
    if (event.content.length > MAX_CONTENT_CHARS) return refuse('the encrypted job is too large');
    const opened = decryptFromProvider(event.content, secretKey, keys, event.pubkey);
    if (opened === null) return refuse('could not decrypt the job: encrypt it to this provider with NIP-44 or NIP-04');
    let sealedTags: unknown;
    try {
      sealedTags = JSON.parse(opened);
    } catch {
      sealedTags = null;
    }
    if (!isTagList(sealedTags)) return refuse('the decrypted job is not a JSON array of tags');
    envelope.encryption = encryption;
    // the sealed i/param tags replace any in clear; routing tags (bid, relays, p) stay
    tags = [...event.tags.filter((t) => t[0] !== 'i' && t[0] !== 'param'), ...sealedTags];
  }

  const inputs = tags.filter((t) => t[0] === 'i');
  if (inputs.length === 0) return { kind: 'refuse', job: envelope, reason: 'the job has no input (i tag)' };
  const other = inputs.find((t) => (t[2] ?? 'text') !== 'text');
  if (other) {
    return { kind: 'refuse', job: envelope, reason: `input type "${other[2]}" is not supported; this provider takes text inputs` };
  }
  const prompt = inputs.map((t) => t[1] ?? '').join('\n\n');
  if (!prompt.trim()) return { kind: 'refuse', job: envelope, reason: 'the prompt is empty' };
  const model = tags.find((t) => t[0] === 'param' && t[1] === 'model')?.[2]?.trim() || null;
  const bidMsats = parseMsats(tags.find((t) => t[0] === 'bid')?.[1]);
  // a malformed messages param is not the customer's whole question: the i text still is
  const messages = parseMessagesParam(tags.find((t) => t[0] === 'param' && t[1] === 'messages')?.[2]);
  return { kind: 'accept', job: { ...envelope, prompt, model, bidMsats, inputTags: inputs, messages } };
}
