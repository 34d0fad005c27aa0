// The flags several commands share (CLI.md: submit, serve, providers,
// gateway through submit) and how each is read, so a relay list or an
// Ollama host means the same, with the same message, in every command.
import { UsageError, type FlagSpec, type ParsedArgs } from './args';
import { DEFAULT_OLLAMA_HOST, PUBLIC_RELAYS, normalizeOllamaHost } from './defaults';

/** Where a command finds the relays, Ollama, the wallet and its data. */
export const CONNECTION_FLAGS: Record<string, FlagSpec> = {
  relay: { type: 'list' },
  'ollama-host': { type: 'string' },
  nwc: { type: 'string' },
  'nwc-file': { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean' },
};

export function relayUrl(label: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`${label} must be a ws:// or wss:// URL, got "${raw}"`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new UsageError(`${label} must be a ws:// or wss:// URL, got "${raw}"`);
  return raw.trim();
}

/** --relay flags, else SWARM_COMPUTE_RELAYS, else the public relays; each once. */
export function relaysFrom(a: ParsedArgs, env: NodeJS.ProcessEnv): string[] {
  let relays: string[];
  const flags = a.lists.get('relay');
  if (flags) relays = flags.map((r) => relayUrl('--relay', r));
  else if (env.SWARM_COMPUTE_RELAYS && env.SWARM_COMPUTE_RELAYS.trim()) {
    relays = env.SWARM_COMPUTE_RELAYS.split(',')
      .map((r) => r.trim())
      .filter(Boolean)
      .map((r) => relayUrl('SWARM_COMPUTE_RELAYS', r));
  } else relays = PUBLIC_RELAYS;
  return [...new Set(relays)];
}

/** --ollama-host, else OLLAMA_HOST, else the default; Ollama's own `host:port` forms accepted. */
export function ollamaHostFrom(a: ParsedArgs, env: NodeJS.ProcessEnv): string {
  const raw = a.strings.get('ollama-host') ?? env.OLLAMA_HOST ?? DEFAULT_OLLAMA_HOST;
  const label = a.strings.has('ollama-host') ? '--ollama-host' : env.OLLAMA_HOST ? 'OLLAMA_HOST' : 'ollama host';
  try {
    const host = normalizeOllamaHost(raw);
    const proto = new URL(host).protocol;
    if (proto === 'http:' || proto === 'https:') return host;
  } catch {
    // reported below
  }
  throw new UsageError(`${label} must be an http:// or https:// URL (or host:port), got "${raw}"`);
}
