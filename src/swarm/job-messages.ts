// Reads an admitted NIP-90 feedback (kind 7000) or result (kind 6050) into a
// plain message: status, the amount/invoice asked, and the content, opened
// when it carries ["encrypted"].
import type { Event } from 'nostr-tools/pure';
import { KIND_FEEDBACK } from './types';

export type FeedbackStatus = 'payment-required' | 'processing' | 'error' | 'success' | 'partial';

const STATUSES: ReadonlySet<string> = new Set(['payment-required', 'processing', 'error', 'success', 'partial']);

export interface AmountAsked {
  /** msats from the amount tag; null when missing or not a whole number */
  amountTagMsats: number | null;
  bolt11: string | null;
}

export type JobMessage =
  | ({
      type: 'feedback';
      eventId: string;
      provider: string;
      status: FeedbackStatus;
      /** the status tag's extra information, e.g. an error's reason */
      extra: string;
      /** null when the content was encrypted and could not be opened */
      content: string | null;
    } & AmountAsked)
  | ({
      type: 'result';
      eventId: string;
      provider: string;
      content: string | null;
    } & AmountAsked);

export type Decrypt = (content: string, provider: string) => string | null;

function firstTag(event: Event, name: string): string[] | undefined {
  return event.tags.find((t) => t[0] === name);
}

function parseMsats(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}

function amountAsked(event: Event): AmountAsked {
  const tag = firstTag(event, 'amount');
  if (!tag) return { amountTagMsats: null, bolt11: null };
  const bolt11 = typeof tag[2] === 'string' && tag[2].trim() !== '' ? tag[2].trim() : null;
  return { amountTagMsats: parseMsats(tag[1]), bolt11 };
}

function readContent(event: Event, decrypt: Decrypt): string | null {
  if (!event.tags.some((t) => t[0] === 'encrypted')) return event.content;
  if (event.content === '') return '';
  return decrypt(event.content, event.pubkey);
}

/** null for feedback without a known status (nothing to act on). */
export function readJobMessage(event: Event, decrypt: Decrypt): JobMessage | null {
  if (event.kind === KIND_FEEDBACK) {
    const statusTag = firstTag(event, 'status');
    const status = statusTag?.[1];
    if (!status || !STATUSES.has(status)) return null;
    return {
      type: 'feedback',
      eventId: event.id,
      provider: event.pubkey,
      status: status as FeedbackStatus,
      extra: statusTag?.[2] ?? '',
      content: readContent(event, decrypt),
      ...amountAsked(event),
    };
  }
  return {
    type: 'result',
    eventId: event.id,
    provider: event.pubkey,
    content: readContent(event, decrypt),
    ...amountAsked(event),
  };
}
