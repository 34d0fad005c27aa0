// How amounts, durations and model names are written: one place for the engine,
// the extension host and the webview (plain functions, nothing imported).

/** 1234567 msats → "1.2k sats"; 500 → "0.5 sats"; 1000 → "1 sat"; 0 → "0 sats". */
export function formatSats(msats: number): string {
  const sats = msats / 1000;
  if (sats >= 1_000_000) return `${trim(sats / 1_000_000)}M sats`;
  if (sats >= 1000) return `${trim(sats / 1000)}k sats`;
  if (sats === 1) return '1 sat';
  if (Number.isInteger(sats)) return `${sats} sats`;
  return `${trim(sats, 3)} sats`;
}

/** 850 → "850 ms"; 12345 → "12.3 s"; 125000 → "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trim(ms / 1000)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}

function trim(n: number, digits = 1): string {
  return n.toFixed(digits).replace(/\.0+$|(\.\d*?)0+$/, '$1');
}

/** Ollama's model naming: a name without a tag means ":latest" ("llama3" is "llama3:latest"). */
export function withTag(name: string): string {
  const n = name.trim().toLowerCase();
  // a ':' after the last '/' is a tag; one before it belongs to a registry host:port
  return n.slice(n.lastIndexOf('/') + 1).includes(':') ? n : `${n}:latest`;
}

/** The name people type and providers announce: "llama3:latest" → "llama3"; other tags stay. */
export function withoutLatest(name: string): string {
  return name.trim().replace(/:latest$/i, '');
}
