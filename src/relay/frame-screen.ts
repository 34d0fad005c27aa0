// What a relay frame must look like before nostr-tools reads it. nostr-tools'
// AbstractRelay catches whatever a malformed frame throws inside it and
// prints each with console.warn and a stack trace: 250 `null` frames made
// thousands of lines. Frames are screened here first, and what fails is
// named by kind so it can be counted instead (garbage-report.ts).
//
// Relay → client messages (NIP-01): EVENT, OK, EOSE, CLOSED, NOTICE, AUTH,
// COUNT. Anything else, or any of these with the wrong shape, is garbage.

export type GarbageKind =
  'not JSON' | 'not a message array' | 'unknown message type' | 'malformed EVENT' | 'malformed event' | 'malformed OK/EOSE/CLOSED/NOTICE/AUTH/COUNT';

const isString = (v: unknown): v is string => typeof v === 'string';
const HEX64 = /^[0-9a-f]{64}$/;

/** null when the event has the NIP-01 shape, else why not. */
export function eventShapeProblem(e: unknown): string | null {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return 'not an object';
  const v = e as Record<string, unknown>;
  if (!isString(v.id) || !HEX64.test(v.id)) return 'bad id';
  if (!isString(v.pubkey) || !HEX64.test(v.pubkey)) return 'bad pubkey';
  if (!isString(v.sig) || !/^[0-9a-f]{128}$/.test(v.sig)) return 'bad sig';
  if (!Number.isSafeInteger(v.kind) || (v.kind as number) < 0) return 'bad kind';
  if (!Number.isSafeInteger(v.created_at)) return 'bad created_at';
  if (!isString(v.content)) return 'bad content';
  if (!Array.isArray(v.tags) || !v.tags.every((t) => Array.isArray(t) && t.every(isString))) return 'bad tags';
  return null;
}

/** null when the frame may be handed to nostr-tools, else its kind of garbage. */
export function screenFrame(data: unknown): GarbageKind | null {
  if (typeof data !== 'string') return 'not JSON';
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return 'not JSON';
  }
  if (!Array.isArray(msg) || msg.length === 0 || !isString(msg[0])) return 'not a message array';
  switch (msg[0]) {
    case 'EVENT':
      if (msg.length < 3 || !isString(msg[1])) return 'malformed EVENT';
      return eventShapeProblem(msg[2]) === null ? null : 'malformed event';
    case 'OK':
      return isString(msg[1]) && typeof msg[2] === 'boolean' ? null : 'malformed OK/EOSE/CLOSED/NOTICE/AUTH/COUNT';
    case 'EOSE':
    case 'CLOSED':
    case 'NOTICE':
    case 'AUTH':
      return isString(msg[1]) ? null : 'malformed OK/EOSE/CLOSED/NOTICE/AUTH/COUNT';
    case 'COUNT':
      return isString(msg[1]) && msg[2] !== null && typeof msg[2] === 'object' ? null : 'malformed OK/EOSE/CLOSED/NOTICE/AUTH/COUNT';
    default:
      return 'unknown message type';
  }
}
