// Ollama (since 0.12) serves "cloud" models through the same local API: their
// /api/tags and /api/show entries carry `remote_host`. Such a model is not
// local — the prompt would leave the machine — so the lane asks before it
// sends anything to /api/chat. Both are asked at once (either may carry the
// field); the answer costs one loopback round trip.
import type { Ollama } from 'ollama';
import { sameModel } from './ollama-probe';

export interface ModelPlace {
  /** where Ollama serves the model from when it is not this machine */
  remoteHost: string | null;
}

function remoteField(entry: unknown): string | null {
  const host = (entry as { remote_host?: unknown } | null)?.remote_host;
  return typeof host === 'string' && host.trim() ? host.trim() : null;
}

/**
 * Where `model` runs. Throws what /api/tags threw when nothing answered
 * (Ollama not running, a cancel, the first-token deadline): the caller
 * classifies it as for chat. An HTTP error there leaves it to /api/show.
 * A model missing from both answers is left to /api/chat, whose 404 names it.
 */
export async function modelPlace(client: Ollama, model: string): Promise<ModelPlace> {
  const shown = client.show({ model }).then(remoteField, () => null);
  let models: unknown;
  try {
    ({ models } = await client.list());
  } catch (err) {
    // a server that answers but has no model list (an Ollama-compatible API without /api/tags): /api/show decides
    if (typeof (err as { status_code?: unknown })?.status_code === 'number') return { remoteHost: await shown };
    throw err;
  }
  const entry = Array.isArray(models) ? models.find((m: { name?: string; model?: string }) => sameModel(m.name ?? m.model ?? '', model)) : undefined;
  return { remoteHost: remoteField(entry) ?? (await shown) };
}
