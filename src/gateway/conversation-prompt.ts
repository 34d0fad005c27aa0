// What a chat request asks: its last user message is the prompt (the engine
// sends the earlier messages as the conversation's turns, to /api/chat and
// as the swarm job's `messages` param); system messages joined.
import type { ChatMessage } from '../engine/api';

export interface RunText {
  /** the new question: the last user message */
  prompt: string;
  /** the system messages, joined */
  system?: string;
}

export function runText(messages: ChatMessage[]): RunText {
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  return { prompt: lastUser?.content ?? '', ...(system.trim() ? { system } : {}) };
}
