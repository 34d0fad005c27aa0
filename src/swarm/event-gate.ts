// Decides which events from the relays belong to our job, cheapest checks
// first: an id we already accepted is dropped before anything is parsed or
// verified, the e tag and author are checked before the signature, and each
// event's signature is verified once.
import type { Event } from 'nostr-tools/pure';
import { verifyEvent } from '../relay/nostr-crypto';
import { KIND_FEEDBACK, KIND_TEXT_RESULT } from './types';

export class JobEventGate {
  private readonly accepted = new Set<string>();
  private readonly authors: ReadonlySet<string> | null;
  /** providers that answered this job but were not among the named ones (said when nobody else answers) */
  readonly ignoredAuthors = new Set<string>();

  /** `providers` empty = untargeted job: any author may answer. */
  constructor(
    private readonly jobId: string,
    providers: readonly string[],
  ) {
    this.authors = providers.length > 0 ? new Set(providers) : null;
  }

  /** Already accepted (a copy from another relay, or a replay after a reconnect). */
  has(id: string): boolean {
    return this.accepted.has(id);
  }

  /**
   * The event if it is a signed feedback/result for this job from an allowed
   * author, seen for the first time; null otherwise. A forged copy does not
   * shadow the genuine event: only verified ids are remembered.
   */
  admit(event: Event): Event | null {
    if (typeof event?.id !== 'string' || this.accepted.has(event.id)) return null;
    if (event.kind !== KIND_FEEDBACK && event.kind !== KIND_TEXT_RESULT) return null;
    if (!Array.isArray(event.tags) || !this.answersOurJob(event.tags)) return null;
    if (this.authors && !this.authors.has(event.pubkey)) {
      if (typeof event.pubkey === 'string') this.ignoredAuthors.add(event.pubkey);
      return null;
    }
    if (!verifyEvent(event)) return null;
    this.accepted.add(event.id);
    return event;
  }

  /** Every e tag must name our job: an event that also points at another job is not an answer to this one. */
  private answersOurJob(tags: string[][]): boolean {
    let found = false;
    for (const tag of tags) {
      if (tag[0] !== 'e') continue;
      if (tag[1] !== this.jobId) return false;
      found = true;
    }
    return found;
  }
}
