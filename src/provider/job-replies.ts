// The events a provider sends about one job (NIP-90): kind-7000 feedback
// and the kind-6050 result. When the job came encrypted, every piece of the
// answer (partial text, result) is sealed in the job's own scheme and marked
// ["encrypted"], and the result carries no clear i tag.
import type { VerifiedEvent } from 'nostr-tools/pure';
import { finalizeEvent } from '../relay/nostr-crypto';
import { encrypt as nip04Encrypt } from 'nostr-tools/nip04';
import { encryptForProvider, type Nip44Keys } from '../swarm/encryption';
import { KIND_FEEDBACK, KIND_TEXT_RESULT } from '../swarm/types';
import type { JobEnvelope, JobInput } from './job-intake';

export type ProviderStatusName = 'payment-required' | 'processing' | 'error' | 'success' | 'partial';

export interface FeedbackOptions {
  /** the status tag's extra information, e.g. an error's reason (always clear: never the prompt or answer) */
  extra?: string;
  /** content (partial text); sealed when the job was */
  content?: string;
  amount?: { msats: number; bolt11?: string };
}

function nowSecs(): number {
  return Math.floor(Date.now() / 1000);
}

export class JobReplies {
  private partials = 0;

  constructor(
    private readonly job: JobEnvelope,
    private readonly secretKey: Uint8Array,
    private readonly keys: Nip44Keys,
  ) {}

  feedback(status: ProviderStatusName, options: FeedbackOptions = {}): VerifiedEvent {
    const tags: string[][] = [
      options.extra ? ['status', status, options.extra] : ['status', status],
      ['e', this.job.id, this.job.relay],
      ['p', this.job.customer],
    ];
    // Identical partials ("ha ", "ha ") in one second would share an event id and
    // relays would drop the repeats: a sequence number keeps each one distinct.
    if (status === 'partial') tags.push(['seq', String(this.partials++)]);
    if (options.amount) {
      tags.push(options.amount.bolt11 ? ['amount', String(options.amount.msats), options.amount.bolt11] : ['amount', String(options.amount.msats)]);
    }
    let content = options.content ?? '';
    if (content !== '' && this.job.encryption) {
      content = this.seal(content);
      tags.push(['encrypted']);
    }
    return finalizeEvent({ kind: KIND_FEEDBACK, created_at: nowSecs(), content, tags }, this.secretKey);
  }

  /** The result: request (the job, stringified), e, p, i (clear jobs only) and amount tags. */
  /**
   * An `error` feedback. A reason that repeats what the job asked (its model,
   * its prompt's size) is sealed into the content when the job was
   * encrypted, with no clear status text: relays learn nothing of the job.
   */
  error(reason: string, revealsInput = false): VerifiedEvent {
    if (revealsInput && this.job.encryption) return this.feedback('error', { content: reason });
    return this.feedback('error', { extra: reason });
  }

  result(job: JobInput, text: string, amountMsats: number): VerifiedEvent {
    const tags: string[][] = [
      ['request', JSON.stringify(job.event)],
      ['e', job.id, job.relay],
      ['p', job.customer],
    ];
    if (!job.encryption) tags.push(...job.inputTags);
    tags.push(['amount', String(amountMsats)]);
    let content = text;
    if (job.encryption) {
      content = this.seal(text);
      tags.push(['encrypted']);
    }
    return finalizeEvent({ kind: KIND_TEXT_RESULT, created_at: nowSecs(), content, tags }, this.secretKey);
  }

  private seal(text: string): string {
    return this.job.encryption === 'nip04' ? nip04Encrypt(this.secretKey, this.job.customer, text) : encryptForProvider(text, this.keys, this.job.customer);
  }
}
