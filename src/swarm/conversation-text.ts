// A follow-up as one text-generation input (CLI.md "Conversations"): any
// kind-5050 provider reads the `i` tag, so the whole conversation goes there
// as plain text, earlier turns labelled, the new prompt last; providers that
// speak chat read the same turns from the `messages` param.
import type { ChatMessage } from '../chat-message';

const LABEL: Record<ChatMessage['role'], string> = { system: 'System', user: 'User', assistant: 'Assistant' };

/** "User: …\n\nAssistant: …\n\nUser: <prompt>" */
export function conversationText(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `${LABEL[m.role]}: ${m.content}`).join('\n\n');
}

/** True when the messages carry more than the prompt (and a system line): a follow-up. */
export function hasEarlierTurns(messages: readonly ChatMessage[] | undefined): messages is ChatMessage[] {
  return !!messages && messages.filter((m) => m.role !== 'system').length > 1;
}

/**
 * The `messages` param as a provider receives it: a JSON array of
 * {role, content} with known roles and string contents, else null (the
 * provider then answers the `i` text alone).
 */
export function parseMessagesParam(raw: string | undefined): ChatMessage[] | null {
  if (raw === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length === 0) return null;
  const out: ChatMessage[] = [];
  for (const m of value) {
    if (typeof m !== 'object' || m === null) return null;
    const { role, content } = m as { role?: unknown; content?: unknown };
    if ((role !== 'system' && role !== 'user' && role !== 'assistant') || typeof content !== 'string') return null;
    out.push({ role, content });
  }
  return out;
}
