// Quick questions to Ollama for the UI (status bar, model picker, diagnose,
// error actions): is it running, which version, which models. Plain fetch so
// the light part of the extension does not load the engine bundle.

export interface OllamaStatus {
  running: boolean;
  version: string | null;
  models: string[];
  /** the configured model is installed ("llama3" matches "llama3:latest") */
  modelPulled: boolean;
  /** why it is not running / why models could not be listed */
  error: string | null;
}

import { withTag } from '../text/format';

const PROBE_TIMEOUT_MS = 3000;

async function getJson(url: string, signal: AbortSignal, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  return res.json();
}

/** Model names from GET /api/tags. */
export async function listModels(host: string, signal: AbortSignal, timeoutMs = PROBE_TIMEOUT_MS): Promise<string[]> {
  const body = (await getJson(`${host}/api/tags`, signal, timeoutMs)) as { models?: { name?: unknown }[] };
  if (!Array.isArray(body.models)) throw new Error('the /api/tags answer has no model list');
  return body.models.map((m) => String(m.name ?? '')).filter(Boolean);
}

/** Model names from GET /api/tags, with the remote host of each cloud model (`remote_host`). */
export async function listModelPlaces(
  host: string,
  signal: AbortSignal,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<{ models: string[]; remote: Record<string, string> }> {
  const body = (await getJson(`${host}/api/tags`, signal, timeoutMs)) as { models?: { name?: unknown; remote_host?: unknown }[] };
  if (!Array.isArray(body.models)) throw new Error('the /api/tags answer has no model list');
  const remote: Record<string, string> = {};
  const models = body.models.map((m) => String(m.name ?? '')).filter(Boolean);
  for (const m of body.models) if (typeof m.remote_host === 'string' && m.remote_host && m.name) remote[String(m.name)] = m.remote_host;
  return { models, remote };
}

export async function probeOllama(host: string, model: string, signal: AbortSignal, timeoutMs = PROBE_TIMEOUT_MS): Promise<OllamaStatus> {
  try {
    const [version, models] = await Promise.all([
      getJson(`${host}/api/version`, signal, timeoutMs).then((b) => String((b as { version?: unknown }).version ?? '') || null),
      listModels(host, signal, timeoutMs),
    ]);
    const wanted = withTag(model);
    return { running: true, version, models, modelPulled: models.some((m) => withTag(m) === wanted), error: null };
  } catch (err) {
    return { running: false, version: null, models: [], modelPulled: false, error: describe(err, host) };
  }
}

function describe(err: unknown, host: string): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError') return `Ollama at ${host} did not answer within ${PROBE_TIMEOUT_MS / 1000} s`;
  if (e?.name === 'AbortError') return 'cancelled';
  const code = e?.cause?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET') return `Ollama is not running at ${host} (${code})`;
  return e?.message ? `Ollama at ${host}: ${e.message}` : `Ollama at ${host} could not be reached`;
}
