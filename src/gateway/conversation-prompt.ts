// Until the engine hands RunRequest.messages to its lanes (the local lane
// sending them to Ollama's /api/chat, the swarm lane as the job's `messages`
// param), a multi-turn conversation travels inside the prompt, labelled the
// way CLI.md's conversation `i` tag is. When the lanes take messages, only
// the last user message stays the prompt and this file goes.
import type { ChatMessage } from '../engine-api';

export interface RunText {
  /** what the lane is asked (the new question alone on a first turn) */
  prompt: string;
  /** the system messages, joined */
  system?: string;
}

export function runText(messages: ChatMessage[]): RunText {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const turns = messages.filter((m) => m.role !== 'system');
  const last = turns[turns.length - 1];
  const prompt =
    turns.length <= 1
      ? last?.content ?? ''
      : turns.map((m) => `${m.role === 'user' ? 'User' : 'Assistant'}: ${m.content}`).join('\n\n');
  return { prompt, ...(system.trim() ? { system } : {}) };
}
