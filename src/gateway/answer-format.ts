// The wire shapes of an answer in each API, as the real servers send them:
// Ollama's NDJSON chunks ending with a `done` chunk that carries the timing
// fields, and OpenAI's chat.completion / chat.completion.chunk objects over
// server-sent events ending with `data: [DONE]`.
import { randomBytes } from 'node:crypto';

export interface AnswerStats {
  /** process.hrtime.bigint() when the request came in */
  startedNs: bigint;
  /** when the first token was sent (or the whole answer was ready) */
  firstTokenNs: bigint | null;
  endNs: bigint;
  promptChars: number;
  /** the answer's pieces as streamed (the whole answer counts as one when not streamed) */
  pieces: number;
  completionChars: number;
}

export interface AnswerFormat {
  /** Content-Type of a streamed answer */
  readonly streamType: string;
  chunk(text: string): string;
  /** the closing chunk(s) of a stream */
  end(stats: AnswerStats): string;
  /** an error after the stream began, in-band as the API does it */
  streamError(message: string): string;
  /** a whole answer as one JSON object */
  whole(text: string, stats: AnswerStats): unknown;
  /** an error before anything was sent */
  error(status: number, code: string, message: string): unknown;
}

/** A rough count where the engine does not report the model's own (4 characters a token). */
export const estimateTokens = (chars: number) => Math.ceil(chars / 4);

function ollamaTimings(s: AnswerStats, evalCount: number) {
  const total = Number(s.endNs - s.startedNs);
  const promptEval = s.firstTokenNs === null ? total : Number(s.firstTokenNs - s.startedNs);
  return {
    done_reason: 'stop',
    total_duration: total,
    load_duration: 0,
    prompt_eval_count: estimateTokens(s.promptChars),
    prompt_eval_duration: promptEval,
    eval_count: evalCount,
    eval_duration: Math.max(0, total - promptEval),
  };
}

export function ollamaFormat(kind: 'chat' | 'generate', model: string): AnswerFormat {
  const piece = (text: string, done: boolean) => ({
    model,
    created_at: new Date().toISOString(),
    ...(kind === 'chat' ? { message: { role: 'assistant', content: text } } : { response: text }),
    done,
  });
  return {
    streamType: 'application/x-ndjson',
    chunk: (text) => `${JSON.stringify(piece(text, false))}\n`,
    end: (stats) => `${JSON.stringify({ ...piece('', true), ...ollamaTimings(stats, stats.pieces) })}\n`,
    streamError: (message) => `${JSON.stringify({ error: message })}\n`,
    whole: (text, stats) => ({ ...piece(text, true), ...ollamaTimings(stats, estimateTokens(stats.completionChars)) }),
    error: (_status, _code, message) => ({ error: message }),
  };
}

const OPENAI_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  402: 'insufficient_quota',
  403: 'invalid_request_error',
  404: 'invalid_request_error',
  405: 'invalid_request_error',
  413: 'invalid_request_error',
  503: 'server_error',
};

export function openAiError(status: number, code: string, message: string) {
  return { error: { message, type: OPENAI_ERROR_TYPES[status] ?? 'server_error', param: null, code } };
}

export function openAiFormat(model: string, includeUsage: boolean): AnswerFormat {
  const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = (s: AnswerStats, completionTokens: number) => {
    const prompt = estimateTokens(s.promptChars);
    return { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens };
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const sse = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;
  let first = true;
  return {
    streamType: 'text/event-stream; charset=utf-8',
    chunk(text) {
      // the first chunk carries the role, as OpenAI's does
      const delta = first ? { role: 'assistant', content: text } : { content: text };
      first = false;
      return sse(chunk(delta, null));
    },
    end(stats) {
      let out = first ? sse(chunk({ role: 'assistant', content: '' }, null)) : '';
      first = false;
      out += sse(chunk({}, 'stop'));
      if (includeUsage) {
        out += sse({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [], usage: usage(stats, stats.pieces) });
      }
      return `${out}data: [DONE]\n\n`;
    },
    streamError: (message) => `${sse(openAiError(503, 'no_lane_available', message))}data: [DONE]\n\n`,
    whole: (text, stats) => ({
      id,
      object: 'chat.completion',
      created,
      model,
      system_fingerprint: null,
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: usage(stats, estimateTokens(stats.completionChars)),
    }),
    error: (status, code, message) => openAiError(status, code, message),
  };
}
