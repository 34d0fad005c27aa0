// A follow-up's earlier turns: from the conversation's history rows to chat
// messages, cut to fit the model's context. Pure; no I/O.
import type { ChatMessage } from '../chat-message';
import type { JobRecord } from '../history/types';

/** Ollama's context when /api/show does not say (CLI.md "Conversations"). */
export const DEFAULT_CONTEXT_TOKENS = 8192;
/** characters counted per token when estimating what fits */
export const CHARS_PER_TOKEN = 4;

/** One earlier turn: what was asked, and the answer when the run completed. */
export interface Turn {
  user: string;
  assistant: string | null;
}

/**
 * Turns of a conversation's rows (oldest first). A row whose text was
 * cleared says nothing any more and is left out; a failed, stopped or
 * unfinished run's question stays but its (partial) text is not an answer.
 */
export function turnsFromRows(rows: readonly JobRecord[]): Turn[] {
  return rows
    .filter((r) => r.lane !== 'served' && r.prompt !== '')
    .map((r) => ({ user: r.prompt, assistant: r.state === 'completed' && r.response ? r.response : null }));
}

/**
 * An unanswered question asked again right after (a retry, "Ask the swarm
 * instead") is one question: only the later asking stays. `prompt` is the
 * question being sent now.
 */
export function withoutRetried(turns: readonly Turn[], prompt: string): Turn[] {
  return turns.filter((t, i) => t.assistant !== null || t.user !== (i + 1 < turns.length ? turns[i + 1].user : prompt));
}

/** Turns from messages a caller gave: each user message starts a turn, an assistant message answers it. */
export function turnsFromMessages(messages: readonly ChatMessage[]): { system: string | undefined; turns: Turn[] } {
  const turns: Turn[] = [];
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  for (const m of messages) {
    if (m.role === 'user') turns.push({ user: m.content, assistant: null });
    else if (m.role === 'assistant') {
      const last = turns.at(-1);
      if (last && last.assistant === null) last.assistant = m.content;
      else turns.push({ user: '', assistant: m.content });
    }
  }
  return { system: system.length ? system.join('\n\n') : undefined, turns };
}

export interface FittedConversation {
  /** system?, the kept turns, the prompt last */
  messages: ChatMessage[];
  earlierTurns: number;
  leftOutTurns: number;
}

const turnChars = (t: Turn) => t.user.length + (t.assistant?.length ?? 0);

/**
 * Leaves out the oldest turns until everything (system, turns, prompt) fits
 * in contextTokens × 4 characters. The prompt itself always goes.
 */
export function fitConversation(turns: readonly Turn[], prompt: string, system: string | undefined, contextTokens: number): FittedConversation {
  const budget = contextTokens * CHARS_PER_TOKEN;
  let total = prompt.length + (system?.length ?? 0) + turns.reduce((n, t) => n + turnChars(t), 0);
  let first = 0;
  while (first < turns.length && total > budget) total -= turnChars(turns[first++]);
  const kept = turns.slice(first);
  const messages: ChatMessage[] = [];
  if (system !== undefined) messages.push({ role: 'system', content: system });
  for (const t of kept) {
    if (t.user) messages.push({ role: 'user', content: t.user });
    if (t.assistant !== null) messages.push({ role: 'assistant', content: t.assistant });
  }
  messages.push({ role: 'user', content: prompt });
  return { messages, earlierTurns: kept.length, leftOutTurns: first };
}
