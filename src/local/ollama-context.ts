// How many tokens a model's context holds, from Ollama's /api/show: the
// `num_ctx` the model is run with when its parameters set one, else the
// `<arch>.context_length` it was trained for. null when Ollama does not say
// (not running, no such model, an older server); never throws.

export async function ollamaContextTokens(host: string, model: string, signal: AbortSignal, timeoutMs = 3000): Promise<number | null> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(new URL('/api/show', host), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      // `name` for servers older than the `model` field
      body: JSON.stringify({ model, name: model }),
      signal: AbortSignal.any([signal, timeout]),
    });
    if (!res.ok) return null;
    return contextTokensFromShow(await res.json());
  } catch {
    return null;
  }
}

export function contextTokensFromShow(show: unknown): number | null {
  if (typeof show !== 'object' || show === null) return null;
  const s = show as { parameters?: unknown; model_info?: unknown };
  if (typeof s.parameters === 'string') {
    const m = /^\s*num_ctx\s+(\d+)\s*$/m.exec(s.parameters);
    if (m && Number(m[1]) > 0) return Number(m[1]);
  }
  if (typeof s.model_info === 'object' && s.model_info !== null) {
    for (const [key, value] of Object.entries(s.model_info)) {
      if (key.endsWith('.context_length') && typeof value === 'number' && value > 0) return value;
    }
  }
  return null;
}
