// Quick questions to Ollama for the status bar, diagnostics and the model
// picker. Errors are values: each returns a LocalProbe, never throws, and
// classifies failures exactly as the lane does ('unavailable' for refused /
// unresolvable / unreachable hosts, 'timeout', 'cancelled', 'failed').
import { Ollama } from 'ollama';
import type { LocalProbe } from './types';
import { RequestScope } from './request-scope';
import { abortError, classifyOllamaError } from './ollama-errors';

/** A health check should not wait as long as a generation may. */
export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

async function probe<T>(host: string, signal: AbortSignal, timeoutMs: number, ask: (client: Ollama) => Promise<T>): Promise<LocalProbe<T>> {
  const scope = new RequestScope(signal, timeoutMs);
  try {
    if (scope.cause) throw new Error(scope.cause);
    const value = await ask(new Ollama({ host, fetch: scope.fetch() }));
    return { ok: true, value };
  } catch (err) {
    const ctx = { host, timeoutMs };
    return { ok: false, error: scope.cause ? abortError(scope.cause, ctx) : classifyOllamaError(err, ctx) };
  } finally {
    scope.release();
  }
}

/** Names of the installed models (GET /api/tags), e.g. ["llama3.2:latest"]. */
export function listLocalModels(host: string, signal: AbortSignal, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS): Promise<LocalProbe<string[]>> {
  return probe(host, signal, timeoutMs, async (client) => {
    const { models } = await client.list();
    if (!Array.isArray(models)) throw new Error('the /api/tags answer has no model list');
    return models.map((m) => m.name);
  });
}

/** The daemon's version (GET /api/version), e.g. "0.6.5". */
export function ollamaVersion(host: string, signal: AbortSignal, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS): Promise<LocalProbe<string>> {
  return probe(host, signal, timeoutMs, async (client) => {
    const { version } = await client.version();
    if (typeof version !== 'string') throw new Error('the /api/version answer has no version');
    return version;
  });
}

/**
 * Whether `model` is installed. A name without a tag means ":latest", as in
 * Ollama ("llama3.2" matches "llama3.2:latest"). A missing model is
 * { ok: true, value: false }, not an error.
 */
export async function hasModel(host: string, model: string, signal: AbortSignal, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS): Promise<LocalProbe<boolean>> {
  const listed = await listLocalModels(host, signal, timeoutMs);
  if (!listed.ok) return listed;
  const wanted = withTag(model);
  return { ok: true, value: listed.value.some((name) => withTag(name) === wanted) };
}

/** Ollama's own name matching: "llama3" is "llama3:latest". */
export function sameModel(a: string, b: string): boolean {
  return withTag(a) === withTag(b);
}

function withTag(name: string): string {
  const n = name.trim().toLowerCase();
  // a ':' after the last '/' is a tag; one before it belongs to a registry host:port
  return n.slice(n.lastIndexOf('/') + 1).includes(':') ? n : `${n}:latest`;
}
