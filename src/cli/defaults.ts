import { homedir } from 'node:os';
import { join } from 'node:path';

import { PUBLIC_RELAYS as SCHEMA_RELAYS, SETTINGS } from '../settings-schema';

// The CLI's defaults are the settings schema's (one owner: src/settings-schema.ts).
/** Used when neither --relay nor SWARM_COMPUTE_RELAYS is given. */
export const PUBLIC_RELAYS: string[] = [...SCHEMA_RELAYS];

export const DEFAULT_MODEL = SETTINGS.model.default;
export const DEFAULT_OLLAMA_HOST = SETTINGS.ollamaHost.default;
export const DEFAULT_LOCAL_TIMEOUT_SECS = SETTINGS.localTimeoutSecs.default;
export const DEFAULT_LOCAL_STALL_SECS = SETTINGS.localStallSecs.default;
/** 0 = no hedging: the swarm is only asked once local failed */
export const DEFAULT_HEDGE_AFTER_SECS = SETTINGS.hedgeAfterSecs.default;
export const DEFAULT_MAX_PRICE_MSATS = SETTINGS.maxPriceMsats.default;
export const DEFAULT_SWARM_TIMEOUT_SECS = SETTINGS.swarmTimeoutSecs.default;
export const DEFAULT_OFFER_WINDOW_SECS = SETTINGS.offerWindowSecs.default;
export const DEFAULT_MAX_RESPONSE_BYTES = SETTINGS.maxResponseBytes.default;
export const JOB_TYPES: Record<string, number> = { 'text-generation': 5050 };

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  return env.SWARM_COMPUTE_HOME || join(homedir(), '.swarm-compute');
}

/**
 * OLLAMA_HOST follows Ollama's own convention: a bare `host:port` or `0.0.0.0`
 * means http on that host (0.0.0.0 is a listen address; connect to loopback).
 */
export function normalizeOllamaHost(raw: string): string {
  let value = raw.trim();
  // Ollama accepts ":11434" (its own default host with that port)
  if (value.startsWith(':')) value = `127.0.0.1${value}`;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) value = `http://${value}`;
  const url = new URL(value);
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (!url.port && url.protocol === 'http:' && !raw.includes(':80')) url.port = '11434';
  return url.toString().replace(/\/$/, '');
}

/** The history database in a data dir (CLI.md: --data-dir). */
export function historyPath(dataDir: string): string {
  return join(dataDir, 'history.sqlite');
}
