// The local lane: one streaming /api/chat call to Ollama through the `ollama` client,
// tokens handed on as they arrive. The whole call lives inside a
// RequestScope, so a cancel, the first-token deadline or a stall ends the HTTP
// request itself, even before Ollama has sent headers. Deadlines fit
// streaming: `firstTokenTimeoutMs` covers connecting, queueing and loading;
// once tokens flow only the stall watchdog applies, so a healthy long answer
// is never cut. run() never throws: every end is a LocalOutcome.
import { Ollama } from 'ollama';
import type { ChatMessage, LocalAnswerStats, LocalLane, LocalOutcome, LocalProgress, LocalRequest } from './types';
import { RequestScope } from './request-scope';
import { abortError, classifyOllamaError, type OllamaCallContext } from './ollama-errors';
import { sameModel } from './ollama-probe';
import { modelPlace } from './remote-model';
import { localError } from '../run/errors';

export { listLocalModels, ollamaVersion, hasModel } from './ollama-probe';
export { classifyOllamaError } from './ollama-errors';

export interface OllamaLaneOptions {
  /**
   * Also give up when a started call sends nothing for this long (a stuck
   * stream). A request's own stallTimeoutMs wins. Undefined (default): off.
   */
  stallTimeoutMs?: number;
  /** the fetch underneath (default: Node's global fetch) */
  fetch?: typeof fetch;
}

const NS_PER_MS = 1e6;
const PS_GRACE_MS = 500;

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.());

/** Whether /api/ps lists the model (loaded in memory); null when Ollama did not say. */
async function askLoaded(request: LocalRequest, signal: AbortSignal, base: typeof fetch = globalThis.fetch): Promise<boolean | null> {
  try {
    const client = new Ollama({ host: request.host, fetch: (input, init) => base(input, { ...init, signal }) });
    const { models } = await client.ps();
    if (!Array.isArray(models)) return null;
    return models.some((m) => sameModel(m.name ?? m.model, request.model));
  } catch {
    return null;
  }
}

/** load_duration, eval_count and eval_duration of Ollama's `done` chunk. */
export function answerStats(done: { load_duration?: unknown; eval_count?: unknown; eval_duration?: unknown }): LocalAnswerStats {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
  const load = num(done.load_duration);
  const count = num(done.eval_count);
  const evalNs = num(done.eval_duration);
  return {
    loadMs: load === null ? null : Math.round(load / NS_PER_MS),
    evalCount: count,
    tokensPerSec: count !== null && evalNs !== null && evalNs > 0 ? Math.round((count / (evalNs / 1e9)) * 100) / 100 : null,
  };
}

/**
 * The request as Ollama chat messages: the caller's conversation, or — for a
 * caller that sends only a prompt — system? + one user message, which Ollama
 * answers as /api/generate did.
 */
export function chatMessages(request: Pick<LocalRequest, 'messages' | 'prompt' | 'system'>): ChatMessage[] {
  if (request.messages && request.messages.length > 0) return request.messages;
  return [...(request.system !== undefined ? [{ role: 'system' as const, content: request.system }] : []), { role: 'user', content: request.prompt }];
}

export class OllamaLane implements LocalLane {
  constructor(private readonly options: OllamaLaneOptions = {}) {}

  async run(
    request: LocalRequest,
    signal: AbortSignal,
    onToken: (text: string) => void,
    onProgress?: (progress: LocalProgress) => void,
  ): Promise<LocalOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let ttftMs: number | null = null;
    let text = '';
    let loadedAtStart: boolean | null = null;
    const stallMs = request.stallTimeoutMs ?? this.options.stallTimeoutMs;
    const scope = new RequestScope(signal, request.timeoutMs, stallMs, request.firstTokenTimeoutMs);
    const psController = new AbortController();
    let psAsked: Promise<void> | null = null;
    const ctx = (): OllamaCallContext => ({
      host: request.host,
      model: request.model,
      timeoutMs: request.timeoutMs,
      stallMs,
      streamedChars: text.length,
      streamedText: text,
      firstTokenMs: request.firstTokenTimeoutMs,
      loadedAtStart,
    });
    try {
      if (scope.cause) throw new Error(scope.cause);
      const client = new Ollama({ host: request.host, fetch: scope.fetch(this.options.fetch) });
      if (request.firstTokenTimeoutMs !== undefined) {
        // Asked alongside, never before: it only explains a late first token.
        psAsked = askLoaded(request, psController.signal, this.options.fetch).then((loaded) => {
          if (loaded === null || ttftMs !== null || scope.cause) return;
          loadedAtStart = loaded;
          onProgress?.({ type: 'loaded', model: request.model, loaded });
        });
      }
      const { remoteHost } = await modelPlace(client, request.model);
      if (remoteHost && !request.allowRemote) {
        // nothing has been sent to chat: the prompt has not left the machine
        return {
          ok: false,
          error: localError(
            'remote-model',
            `${request.model} is not a local model: Ollama serves it from ${remoteHost}, so the prompt would leave this machine (allow it with --allow-ollama-cloud / swarmCompute.allowOllamaCloud)`,
          ),
          partial: '',
          ttftMs: null,
          durationMs: elapsed(),
        };
      }
      if (remoteHost && request.confirmRemote) {
        scope.pauseFirstToken();
        const allowed = await request.confirmRemote(remoteHost, scope.signal).catch(() => false);
        scope.resumeFirstToken();
        if (scope.cause) throw new Error(scope.cause);
        if (!allowed) {
          return {
            ok: false,
            error: localError('remote-model', `not sent: ${request.model} is served by Ollama from ${remoteHost}, and sending the prompt there was declined`),
            partial: '',
            ttftMs: null,
            durationMs: elapsed(),
          };
        }
      }
      const stream = await client.chat({ model: request.model, messages: chatMessages(request), stream: true });
      let stats: LocalAnswerStats | undefined;
      // The client's iterator ends after the `done` chunk and throws on an
      // in-band `{"error"}` line or a stream that ends without `done`.
      for await (const chunk of stream) {
        scope.touch();
        const piece = chunk.message?.content;
        if (piece) {
          if (ttftMs === null) {
            ttftMs = elapsed();
            scope.firstToken();
            onProgress?.({ type: 'first-token' });
          }
          text += piece;
          onToken(piece);
        }
        if (chunk.done) stats = answerStats(chunk);
      }
      return { ok: true, response: text, ttftMs, durationMs: elapsed(), ...(stats ? { stats } : {}), ...(remoteHost ? { remoteHost } : {}) };
    } catch (err) {
      // a loaded machine may not have answered /api/ps yet: give it a moment, it decides the wording
      if (scope.cause === 'first-token' && loadedAtStart === null && psAsked) await Promise.race([psAsked, delay(PS_GRACE_MS)]);
      const error = scope.cause ? abortError(scope.cause, ctx()) : classifyOllamaError(err, ctx());
      return { ok: false, error, partial: text, ttftMs, durationMs: elapsed() };
    } finally {
      scope.release();
      psController.abort();
    }
  }
}

export function createOllamaLane(options?: OllamaLaneOptions): LocalLane {
  return new OllamaLane(options);
}
