// What the gateway says it can answer with: the local Ollama's models as
// Ollama lists them (so tools see real names, sizes and families) and, when
// the swarm may answer, the configured model even if it is not pulled here.
export interface TagEntry {
  name: string;
  model: string;
  modified_at: string;
  size: number;
  digest: string;
  details: Record<string, unknown>;
  [extra: string]: unknown;
}

const UPSTREAM_TIMEOUT_MS = 5000;

function withTag(name: string): string {
  const n = name.trim().toLowerCase();
  return n.slice(n.lastIndexOf('/') + 1).includes(':') ? n : `${n}:latest`;
}

/** GET <ollama>/api/<path> as JSON, or null when Ollama is not there or answers otherwise. */
export async function upstreamJson(ollamaHost: string, path: string, init?: RequestInit): Promise<{ status: number; body: unknown } | null> {
  try {
    const res = await fetch(`${ollamaHost}${path}`, { ...init, signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch {
    return null;
  }
}

export async function modelTags(ollamaHost: string, configuredModel: string, swarmAllowed: boolean): Promise<TagEntry[]> {
  const upstream = await upstreamJson(ollamaHost, '/api/tags');
  const listed = upstream?.status === 200 ? (upstream.body as { models?: unknown })?.models : undefined;
  const models: TagEntry[] = Array.isArray(listed) ? listed.filter((m): m is TagEntry => typeof (m as TagEntry)?.name === 'string') : [];
  if (swarmAllowed && !models.some((m) => withTag(m.name) === withTag(configuredModel))) {
    models.push({
      name: configuredModel,
      model: configuredModel,
      modified_at: new Date(0).toISOString(),
      size: 0,
      digest: '',
      // not on this machine: answered by the swarm
      details: { format: '', family: '', families: [], parameter_size: '', quantization_level: '' },
    });
  }
  return models;
}

/**
 * Ollama's "load the model" request (no prompt) for a model nothing here can
 * answer: 404 when this Ollama lacks it, 503 when Ollama is not there, as a
 * run of it would end; null when it can be answered (or the swarm may).
 */
export async function loadRefusal(
  ollamaHost: string,
  model: string,
  swarmAllowed: boolean,
  swarmOff: string,
): Promise<{ status: 404 | 503; code: 'model_not_found' | 'no_lane_available'; message: string } | null> {
  if (swarmAllowed) return null;
  const upstream = await upstreamJson(ollamaHost, '/api/tags');
  const listed = upstream?.status === 200 ? (upstream.body as { models?: unknown })?.models : undefined;
  if (!Array.isArray(listed)) return { status: 503, code: 'no_lane_available', message: `local: Ollama at ${ollamaHost} is not reachable; ${swarmOff}` };
  if (listed.some((m) => typeof (m as TagEntry)?.name === 'string' && withTag((m as TagEntry).name) === withTag(model))) return null;
  return { status: 404, code: 'model_not_found', message: `local: model "${model}" not found on Ollama at ${ollamaHost}; ${swarmOff}` };
}
