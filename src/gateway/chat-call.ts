// A request body of either API, read into one shape the runner uses: the
// model, the conversation, and whether to stream. Everything the engine cannot
// honour (images, tools, several choices) is refused by name rather than
// silently dropped, so a tool never mistakes a partial answer for a full one.
import type { ChatMessage } from '../engine/api';

export class BadRequest extends Error {
  override name = 'BadRequest';
}

export interface ChatCall {
  model: string;
  /** oldest first; the last one is the user's new message */
  messages: ChatMessage[];
  stream: boolean;
  /** an empty conversation (Ollama's way to load a model): answered without a run */
  loadOnly: boolean;
}

export interface OpenAiCall extends ChatCall {
  includeUsage: boolean;
}

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

function modelOf(b: Record<string, unknown>): string {
  if (b.model === undefined || b.model === null || b.model === '') throw new BadRequest('model is required (a model name, e.g. "llama3")');
  if (typeof b.model !== 'string' || !b.model.trim()) throw new BadRequest(`model must be a model name (e.g. "llama3"), got ${JSON.stringify(b.model)}`);
  return b.model.trim();
}

/**
 * Fields the gateway reads or passes by are checked for their type, as the
 * real servers do: a "stream": "yes" must not silently become one object a
 * streaming client then waits on for ever.
 */
function checkTypes(b: Record<string, unknown>, fields: Record<string, 'boolean' | 'object' | 'number'>): void {
  for (const [field, want] of Object.entries(fields)) {
    const v = b[field];
    if (v === undefined || v === null) continue;
    const ok =
      want === 'object' ? typeof v === 'object' && !Array.isArray(v) : want === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === want;
    const what = want === 'boolean' ? 'true or false' : want === 'object' ? 'an object' : 'a number';
    if (!ok) throw new BadRequest(`${field} must be ${what}, got ${JSON.stringify(v)}`);
  }
}

function refuseNonEmpty(b: Record<string, unknown>, field: string, what: string): void {
  const v = b[field];
  if (v === undefined || v === null) return;
  if (Array.isArray(v) && v.length === 0) return;
  throw new BadRequest(`${field}: ${what} are not supported by the swarm-compute gateway`);
}

function role(raw: unknown, index: number): ChatMessage['role'] {
  if (raw === 'system' || raw === 'user' || raw === 'assistant') return raw;
  if (raw === 'developer') return 'system';
  if (raw === 'tool' || raw === 'function') throw new BadRequest(`messages[${index}]: tool results are not supported by the swarm-compute gateway`);
  throw new BadRequest(`messages[${index}].role must be system, user or assistant, got ${JSON.stringify(raw)}`);
}

/** OpenAI content: a string, or an array of text parts. */
function content(raw: unknown, index: number): string {
  if (typeof raw === 'string') return raw;
  if (raw === null || raw === undefined) return '';
  if (Array.isArray(raw)) {
    return raw
      .map((part, j) => {
        const p = part as { type?: unknown; text?: unknown };
        if (p?.type === 'text' && typeof p.text === 'string') return p.text;
        throw new BadRequest(`messages[${index}].content[${j}]: only text parts are supported, got type ${JSON.stringify(p?.type)}`);
      })
      .join('');
  }
  throw new BadRequest(`messages[${index}].content must be a string or an array of text parts`);
}

function conversation(raw: unknown): ChatMessage[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new BadRequest('messages must be an array of {role, content}');
  const messages = raw.map((m, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m))
      throw new BadRequest(`messages[${i}] must be an object {role, content}, got ${JSON.stringify(m)}`);
    const msg = m as { role?: unknown; content?: unknown; images?: unknown; tool_calls?: unknown };
    if (Array.isArray(msg.images) && msg.images.length > 0) throw new BadRequest(`messages[${i}]: images are not supported by the swarm-compute gateway`);
    if (Array.isArray(msg.tool_calls) && msg.tool_calls.length > 0)
      throw new BadRequest(`messages[${i}]: tool calls are not supported by the swarm-compute gateway`);
    return { role: role(msg.role, i), content: content(msg.content, i) };
  });
  if (messages.length > 0) {
    const last = messages[messages.length - 1];
    if (last.role !== 'user') throw new BadRequest(`the last message must be the user's, got ${last.role}`);
    if (!last.content.trim()) throw new BadRequest("the last message (the user's) is empty");
  }
  return messages;
}

const OLLAMA_TYPES = { stream: 'boolean', options: 'object', raw: 'boolean' } as const;
// only types: the values are the model's business (Ollama's own /v1 checks no range; -1 tokens means "no limit")
const OPENAI_TYPES = {
  stream: 'boolean',
  stream_options: 'object',
  max_tokens: 'number',
  max_completion_tokens: 'number',
  temperature: 'number',
  top_p: 'number',
  presence_penalty: 'number',
  frequency_penalty: 'number',
} as const;

/** POST /api/chat (Ollama): streams unless "stream": false. */
export function ollamaChatCall(body: unknown): ChatCall {
  const b = object(body);
  const model = modelOf(b);
  checkTypes(b, OLLAMA_TYPES);
  refuseNonEmpty(b, 'tools', 'tools');
  const messages = conversation(b.messages);
  return { model, messages, stream: b.stream !== false, loadOnly: messages.length === 0 };
}

/** POST /api/generate (Ollama): `prompt` with an optional `system`; an empty prompt only loads the model. */
export function ollamaGenerateCall(body: unknown): ChatCall {
  const b = object(body);
  const model = modelOf(b);
  checkTypes(b, OLLAMA_TYPES);
  refuseNonEmpty(b, 'images', 'images');
  if (b.prompt !== undefined && typeof b.prompt !== 'string') throw new BadRequest('prompt must be a string');
  if (b.system !== undefined && typeof b.system !== 'string') throw new BadRequest('system must be a string');
  const prompt = (b.prompt as string | undefined) ?? '';
  const messages: ChatMessage[] = [];
  if (typeof b.system === 'string' && b.system.trim()) messages.push({ role: 'system', content: b.system });
  if (prompt.trim()) messages.push({ role: 'user', content: prompt });
  return { model, messages, stream: b.stream !== false, loadOnly: !prompt.trim() };
}

/** POST /v1/chat/completions (OpenAI): one object unless "stream": true. */
export function openAiChatCall(body: unknown): OpenAiCall {
  const b = object(body);
  const model = modelOf(b);
  checkTypes(b, OPENAI_TYPES);
  refuseNonEmpty(b, 'tools', 'tools');
  refuseNonEmpty(b, 'functions', 'functions');
  if (b.n !== undefined && b.n !== null && b.n !== 1) throw new BadRequest(`n: only one choice is supported, got ${JSON.stringify(b.n)}`);
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw new BadRequest('messages is required: an array with at least one user message');
  const messages = conversation(b.messages);
  const options = b.stream_options as { include_usage?: unknown } | undefined | null;
  return { model, messages, stream: b.stream === true, loadOnly: false, includeUsage: options?.include_usage === true };
}
