// What VS Code's language model API hands a provider, turned into the plain
// conversation the engine runs ({role, content}[]), and the token estimate.
// No vscode import: parts are told apart by shape, so it is unit-tested alone.
import type { ChatMessage } from '../engine/api';

/** LanguageModelChatMessageRole: User = 1, Assistant = 2, System = 3 (newer VS Code). */
const ROLES: Record<number, ChatMessage['role']> = { 1: 'user', 2: 'assistant', 3: 'system' };

export class UnsupportedContentError extends Error {}

/** The text of one message's parts; tool calls, tool results and images are refused (not supported). */
function textOf(content: ReadonlyArray<unknown>, index: number): string {
  let text = '';
  for (const part of content) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const p = part as { value?: unknown; callId?: unknown; mimeType?: unknown; data?: unknown };
    if (typeof p?.callId === 'string')
      throw new UnsupportedContentError(`message ${index + 1} has a tool call or tool result: Swarm Compute models do not call tools`);
    if (typeof p?.mimeType === 'string') {
      if (p.mimeType.startsWith('text/') && p.data instanceof Uint8Array) {
        text += new TextDecoder().decode(p.data);
        continue;
      }
      throw new UnsupportedContentError(
        `message ${index + 1} has ${p.mimeType.startsWith('image/') ? 'an image' : `${p.mimeType} data`}: Swarm Compute models take text only`,
      );
    }
    if (typeof p?.value === 'string') text += p.value;
  }
  return text;
}

/**
 * The conversation to run, and its last user message (the history row's
 * prompt). Throws UnsupportedContentError for content the models cannot take
 * or a conversation that does not end with the user's turn.
 */
export function toConversation(messages: ReadonlyArray<{ role: number; content: ReadonlyArray<unknown> }>): { messages: ChatMessage[]; prompt: string } {
  const out: ChatMessage[] = messages.map((m, i) => {
    const role = ROLES[m.role];
    if (!role) throw new UnsupportedContentError(`message ${i + 1} has an unknown role (${m.role})`);
    return { role, content: textOf(m.content, i) };
  });
  const last = out.at(-1);
  if (!last || last.role !== 'user' || !last.content.trim()) {
    throw new UnsupportedContentError('the request must end with a user message that has text');
  }
  return { messages: out, prompt: last.content };
}

/** A rough count, about 4 characters a token (no model tokenizer here). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
