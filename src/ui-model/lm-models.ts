// The models Swarm Compute offers to VS Code's language model API: the
// configured model and every model Ollama has installed, each named with the
// route it takes ("local → swarm", …). Ollama's cloud models (`remote_host` in
// /api/tags) are not local: the prompt leaves the machine, so they say so.
// No vscode import (plain fetch), unit-tested against the Ollama stand-in.
import type { Mode } from '../engine/api';
import { withTag } from '../text/format';

export const LM_VENDOR = 'swarm-compute';

export interface OllamaModelEntry {
  name: string;
  /** where Ollama forwards it (cloud models), else null */
  remoteHost: string | null;
}

export interface LmModel {
  /** the Ollama model name, as configured or installed */
  id: string;
  name: string;
  family: string;
  version: string;
  tooltip: string;
  detail: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  capabilities: { imageInput: false; toolCalling: false };
  remoteHost: string | null;
}

/** GET /api/tags with each model's remote_host; throws when Ollama cannot be reached. */
export async function listOllamaModels(host: string, signal: AbortSignal, timeoutMs = 3000): Promise<OllamaModelEntry[]> {
  const res = await fetch(`${host}/api/tags`, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
  if (!res.ok) throw new Error(`${host}/api/tags answered HTTP ${res.status}`);
  const body = (await res.json()) as { models?: { name?: unknown; remote_host?: unknown }[] };
  if (!Array.isArray(body.models)) throw new Error('the /api/tags answer has no model list');
  return body.models
    .map((m) => ({ name: String(m.name ?? ''), remoteHost: typeof m.remote_host === 'string' && m.remote_host ? m.remote_host : null }))
    .filter((m) => m.name);
}

/** How a request to this model is answered under `mode`. */
export function routeOf(mode: Mode, remoteHost: string | null): string {
  const first = remoteHost ? `remote ${hostOf(remoteHost)}` : 'local';
  switch (mode) {
    case 'fallback':
      return `${first} → swarm`;
    case 'swarm-only':
      return 'swarm';
    default:
      return first;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/**
 * The picker's list: the configured model first (even when not pulled: the
 * swarm may answer it), then the installed ones. Names as typed; "llama3"
 * and "llama3:latest" are one model.
 */
export function lmModels(settings: { mode: Mode; model: string }, installed: OllamaModelEntry[] | null): LmModel[] {
  const seen = new Map<string, LmModel>();
  const add = (id: string, remoteHost: string | null, installedHere: boolean) => {
    const key = withTag(id);
    if (seen.has(key)) return;
    const full = withTag(id);
    const at = full.lastIndexOf(':');
    const family = full.slice(full.lastIndexOf('/') + 1, at);
    const tag = full.slice(at + 1);
    const route = routeOf(settings.mode, remoteHost);
    const where = remoteHost
      ? `Ollama forwards this model to ${remoteHost}: prompts leave this machine.`
      : installedHere
        ? 'Answered by your local Ollama.'
        : installed === null
          ? 'Ollama could not be reached.'
          : 'Not pulled in your local Ollama.';
    const swarm =
      settings.mode === 'fallback'
        ? ' If it cannot answer, the Nostr compute marketplace may (you are asked first; never above your price cap).'
        : settings.mode === 'swarm-only'
          ? ' Answered by the Nostr compute marketplace (you are asked first; never above your price cap).'
          : '';
    seen.set(key, {
      id,
      name: `Swarm Compute · ${id} (${route})`,
      family,
      version: tag,
      tooltip: `${where}${swarm}`,
      detail: route,
      maxInputTokens: 32_768,
      maxOutputTokens: 8_192,
      capabilities: { imageInput: false, toolCalling: false },
      remoteHost,
    });
  };
  const configured = settings.model;
  const configuredEntry = installed?.find((m) => withTag(m.name) === withTag(configured));
  if (configured) add(configured, configuredEntry?.remoteHost ?? null, configuredEntry !== undefined);
  for (const m of installed ?? []) add(m.name, m.remoteHost, true);
  return [...seen.values()];
}
