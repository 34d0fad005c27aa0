// The local lane: one streaming /api/generate call to Ollama through the
// `ollama` client, tokens handed on as they arrive. The whole call (from the
// request to the last token, cold load included) lives inside a RequestScope,
// so a cancel or the deadline ends the HTTP request itself, even before
// Ollama has sent headers. run() never throws: every end is a LocalOutcome.
import { Ollama } from 'ollama';
import type { LocalLane, LocalOutcome, LocalRequest } from './types';
import { RequestScope } from './request-scope';
import { abortError, classifyOllamaError, type OllamaCallContext } from './ollama-errors';

export { listLocalModels, ollamaVersion, hasModel } from './ollama-probe';
export { classifyOllamaError } from './ollama-errors';

export interface OllamaLaneOptions {
  /**
   * Also give up when a started call sends nothing for this long, even though
   * timeoutMs has not passed (a stuck stream). Undefined (default): only
   * timeoutMs applies, so a slow cold load within timeoutMs still succeeds.
   */
  stallTimeoutMs?: number;
  /** the fetch underneath (default: Node's global fetch) */
  fetch?: typeof fetch;
}

export class OllamaLane implements LocalLane {
  constructor(private readonly options: OllamaLaneOptions = {}) {}

  async run(request: LocalRequest, signal: AbortSignal, onToken: (text: string) => void): Promise<LocalOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let ttftMs: number | null = null;
    let text = '';
    const scope = new RequestScope(signal, request.timeoutMs, this.options.stallTimeoutMs);
    const ctx = (): OllamaCallContext => ({
      host: request.host,
      model: request.model,
      timeoutMs: request.timeoutMs,
      stallMs: this.options.stallTimeoutMs,
      streamedChars: text.length,
    });
    try {
      if (scope.cause) throw new Error(scope.cause);
      const client = new Ollama({ host: request.host, fetch: scope.fetch(this.options.fetch) });
      // a conversation goes to /api/chat, a single prompt to /api/generate
      const stream = request.messages
        ? pieces(await client.chat({ model: request.model, messages: request.messages, stream: true }), (c) => c.message?.content)
        : pieces(
            await client.generate({
              model: request.model,
              prompt: request.prompt,
              ...(request.system !== undefined ? { system: request.system } : {}),
              stream: true,
            }),
            (c) => c.response,
          );
      // The client's iterator ends after the `done` chunk and throws on an
      // in-band `{"error"}` line or a stream that ends without `done`.
      for await (const piece of stream) {
        scope.touch();
        if (piece) {
          ttftMs ??= elapsed();
          text += piece;
          onToken(piece);
        }
      }
      return { ok: true, response: text, ttftMs, durationMs: elapsed() };
    } catch (err) {
      const error = scope.cause ? abortError(scope.cause, ctx()) : classifyOllamaError(err, ctx());
      return { ok: false, error, partial: text, ttftMs, durationMs: elapsed() };
    } finally {
      scope.release();
    }
  }
}

/** The text of each streamed chunk (empty for the `done` chunk). */
async function* pieces<C>(stream: AsyncIterable<C>, text: (chunk: C) => string | undefined): AsyncIterable<string> {
  for await (const chunk of stream) yield text(chunk) ?? '';
}

export function createOllamaLane(options?: OllamaLaneOptions): LocalLane {
  return new OllamaLane(options);
}
