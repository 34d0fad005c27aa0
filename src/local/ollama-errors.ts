// Turns whatever a call to Ollama threw into a LocalError with a kind the
// fallback can switch on and one line a person can act on. Node's fetch
// (undici) wraps socket errors as TypeError('fetch failed') with the errno in
// `cause` (an AggregateError when several addresses were tried); the `ollama`
// client throws ResponseError with `status_code` for HTTP errors and a plain
// Error for an in-band `{"error": ...}` line in a stream.
import { localError, type LocalError } from '../run/errors';
import type { AbortCause } from './request-scope';

export interface OllamaCallContext {
  /** the Ollama base URL as configured */
  host: string;
  /** the model asked for; a 404 then means the model is not pulled */
  model?: string;
  timeoutMs?: number;
  stallMs?: number;
  /** characters already streamed (changes the wording of broken streams) */
  streamedChars?: number;
  /** the text streamed so far: messages count its words */
  streamedText?: string;
  /** the deadline for the first token */
  firstTokenMs?: number;
  /** whether /api/ps listed the model as loaded when the request started; null = unknown */
  loadedAtStart?: boolean | null;
}

/** Words in a piece of streamed text, as a person would count them. */
export function wordCount(text: string): number {
  const t = text.trim();
  return t ? t.split(/\s+/).length : 0;
}

/** "30 s", "0.25 s": the spelling of durations in the lane's messages. */
export function spacedSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

function afterWords(ctx: OllamaCallContext): string {
  const n = wordCount(ctx.streamedText ?? '');
  return n > 0 ? ` after ${n} word${n === 1 ? '' : 's'}` : '';
}

const REFUSED = new Set(['ECONNREFUSED']);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const BROKEN = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

export function displayHost(host: string): string {
  return host.trim().replace(/\/+$/, '');
}

/** Every errno-like `code` on the error, its causes and aggregated errors. */
export function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const walk = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || seen.has(e) || depth > 8) return;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    walk((e as { cause?: unknown }).cause, depth + 1);
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const x of inner) walk(x, depth + 1);
  };
  walk(err, 0);
  return codes;
}

/** The innermost readable message (undici's "fetch failed" says nothing by itself). */
function innermostMessage(err: unknown): string {
  let e: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  for (let i = 0; i < 8 && e && typeof e === 'object'; i++) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string' && m && m !== 'fetch failed') message = m;
    e = (e as { cause?: unknown }).cause;
  }
  return message.replace(/\s+/g, ' ').trim();
}

function hostname(host: string): string {
  try {
    return new URL(host.includes('://') ? host : `http://${host}`).hostname;
  } catch {
    return host;
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))}s`;
}

/** The error for an abort the scope caused: the caller's cancel, the deadline, or a stalled stream. */
export function abortError(cause: AbortCause, ctx: OllamaCallContext): LocalError {
  const host = displayHost(ctx.host);
  const streamed = (ctx.streamedChars ?? 0) > 0;
  switch (cause) {
    case 'cancelled':
      return localError('cancelled', 'Cancelled');
    case 'stalled':
      return localError(
        'timeout',
        `Ollama at ${host} sent nothing for ${spacedSeconds(ctx.stallMs ?? 0)}${afterWords(ctx) || (streamed ? ' in the middle of the answer' : '')}`,
      );
    case 'first-token': {
      const within = `no first token within ${spacedSeconds(ctx.firstTokenMs ?? 0)}`;
      const model = ctx.model ?? 'the model';
      if (ctx.loadedAtStart === false) return localError('timeout', `${within} — ${model} was not loaded, Ollama may still be loading it`);
      if (ctx.loadedAtStart === true) return localError('timeout', `${within} — ${model} was loaded, so Ollama was busy with another request (or is stuck)`);
      return localError('timeout', `${within} from Ollama at ${host} (the model may still be loading, or the daemon is busy or stuck)`);
    }
    case 'timeout': {
      const budget = ctx.timeoutMs !== undefined ? seconds(ctx.timeoutMs) : 'the time limit';
      return localError(
        'timeout',
        streamed
          ? `Ollama at ${host} did not finish the answer within ${budget}`
          : `Ollama at ${host} gave no answer within ${budget} (the model may still be loading, or the daemon is stuck)`,
      );
    }
  }
}

export function classifyOllamaError(err: unknown, ctx: OllamaCallContext): LocalError {
  const host = displayHost(ctx.host);
  const status = (err as { status_code?: unknown } | null)?.status_code;
  if (typeof status === 'number') {
    const said = innermostMessage(err);
    if (status === 404) {
      // Ollama's body names the model ("model \"x\" not found, try pulling it first");
      // a bare "404 page not found" means the URL is not an Ollama API at all.
      if (ctx.model !== undefined && (/model/i.test(said) || said === '')) {
        return localError('model-missing', `model "${ctx.model}" is not pulled: run \`ollama pull ${ctx.model}\``);
      }
      return localError('failed', `${host} answered 404 (${said}): is this an Ollama server?`);
    }
    return localError('failed', `Ollama at ${host} answered HTTP ${status}: ${said}`);
  }

  const codes = errorCodes(err);
  if (codes.some((c) => REFUSED.has(c))) {
    return localError('unavailable', `Ollama is not running at ${host}: start it with \`ollama serve\``);
  }
  if (codes.some((c) => DNS.has(c))) {
    return localError('unavailable', `Cannot resolve the Ollama host "${hostname(ctx.host)}" (${host}): check the host name in the Ollama host setting`);
  }
  const unreachable = codes.find((c) => UNREACHABLE.has(c));
  if (unreachable) {
    return localError(
      'unavailable',
      `The Ollama host ${host} cannot be reached (${unreachable}): the machine or network is down, not just Ollama — check the address and the network`,
    );
  }
  // fetch refuses a few "bad ports" (1, 7, 9, 6000, …) before connecting: nothing can be reached there.
  if (/bad port/i.test(innermostMessage(err))) {
    return localError('unavailable', `Ollama cannot be reached at ${host}: fetch refuses that port (a "bad port"); use another port, e.g. 11434`);
  }
  if (err instanceof TypeError && /invalid url/i.test(err.message)) {
    return localError('failed', `The Ollama host "${ctx.host}" is not a valid URL (expected e.g. http://127.0.0.1:11434)`);
  }
  const said = innermostMessage(err);
  const mid = (ctx.streamedChars ?? 0) > 0 ? ` in the middle of the answer${afterWords(ctx)}` : '';
  if (codes.some((c) => BROKEN.has(c))) {
    return localError('failed', `The connection to Ollama at ${host} broke${mid}: ${said}`);
  }
  return localError('failed', `Ollama at ${host} failed${mid}: ${said}`);
}
