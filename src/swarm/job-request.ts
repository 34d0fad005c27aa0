import { randomBytes } from 'node:crypto';
import { bytesToHex } from 'nostr-tools/utils';
// Builds the signed NIP-90 events this client publishes: the kind-5050 job
// request (clear or encrypted) and the kind-5 deletion that cancels it.
import type { VerifiedEvent } from 'nostr-tools/pure';
import { finalizeEvent } from '../relay/nostr-crypto';
import { KIND_TEXT_GENERATION, type SwarmRequest } from './types';
import { encryptForProvider, type Nip44Keys } from './encryption';
import { conversationText, hasEarlierTurns } from './conversation-text';

const KIND_DELETION = 5;

function nowSecs(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The tags that carry the prompt and its parameters: sealed when the job is
 * encrypted. A follow-up carries the whole conversation: as labelled text in
 * `i` (any provider can answer it) and as `param messages` (JSON turns, for
 * providers that chat); a first turn is the prompt alone.
 */
export function inputTags(request: SwarmRequest): string[][] {
  const followUp = hasEarlierTurns(request.messages) ? request.messages : null;
  const tags: string[][] = [
    ['i', followUp ? conversationText(followUp) : request.prompt, 'text'],
    ['param', 'model', request.model],
  ];
  if (followUp) tags.push(['param', 'messages', JSON.stringify(followUp.map(({ role, content }) => ({ role, content })))]);
  for (const [key, value] of Object.entries(request.params ?? {})) {
    if (key !== 'model' && key !== 'messages') tags.push(['param', key, value]);
  }
  return tags;
}

/**
 * The job request. Clear form: i/param/output/bid/relays and one p tag per
 * named provider. Encrypted form (exactly one provider): i and param tags
 * are NIP-44-encrypted (JSON array) into the content, and only routing
 * information (output, bid, relays, p, encrypted) stays in clear.
 */
export function buildJobRequest(request: SwarmRequest, secretKey: Uint8Array, keys: Nip44Keys): VerifiedEvent {
  const routing: string[][] = [
    // Two identical jobs in one second would otherwise be one event id: the
    // relay would hand the second the first one's result (and invoice).
    ['nonce', bytesToHex(randomBytes(8)), '0'],
    ['output', 'text/plain'],
    ['bid', String(request.maxPriceMsats)],
    ['relays', ...request.relays],
  ];
  if (request.encrypt) {
    const provider = request.providers[0];
    const content = encryptForProvider(JSON.stringify(inputTags(request)), keys, provider);
    return finalizeEvent({ kind: KIND_TEXT_GENERATION, created_at: nowSecs(), content, tags: [...routing, ['p', provider], ['encrypted']] }, secretKey);
  }
  const tags = [...inputTags(request), ...routing, ...request.providers.map((p) => ['p', p])];
  return finalizeEvent({ kind: KIND_TEXT_GENERATION, created_at: nowSecs(), content: '', tags }, secretKey);
}

/** NIP-09 deletion of the job: tells providers to stop and relays to drop it. */
export function buildJobDeletion(jobId: string, secretKey: Uint8Array): VerifiedEvent {
  return finalizeEvent(
    {
      kind: KIND_DELETION,
      created_at: nowSecs(),
      content: 'job cancelled by the customer',
      tags: [
        ['e', jobId],
        ['k', String(KIND_TEXT_GENERATION)],
      ],
    },
    secretKey,
  );
}
