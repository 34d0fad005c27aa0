import { ConfigError } from './errors';
import { SETTINGS } from '../settings-schema';

/**
 * The seed's FallbackConfig. Precedence, checked in this order:
 *  1. forceLocal && forceSwarm → ConfigError (no silent pick).
 *  2. forceLocal  → local only; the swarm is never contacted (no relay connection).
 *  3. forceSwarm  → swarm only; no local attempt (wins over enabled=false).
 *  4. enabled=false → local once; no swarm even when local fails.
 *  5. otherwise   → local first, swarm when local fails at any point before its `done` chunk.
 */
export interface FallbackConfig {
  enabled: boolean;
  maxPriceMsats: number;
  /** deadline for the local model's FIRST token */
  localTimeoutSecs: number;
  forceLocal: boolean;
  forceSwarm: boolean;
  /** once local tokens flow, how long the stream may go silent (default 30) */
  localStallSecs?: number;
  /** fallback mode: this long without a local token starts the swarm job too (0/absent = off) */
  hedgeAfterSecs?: number;
  /** a model Ollama serves from another machine (`remote_host`) may be used */
  allowOllamaCloud?: boolean;
}

export const DEFAULT_LOCAL_STALL_SECS = SETTINGS.localStallSecs.default;

/** The seed's defaults, taken from the one settings schema. */
export const DEFAULT_FALLBACK_CONFIG: FallbackConfig = {
  enabled: true,
  maxPriceMsats: SETTINGS.maxPriceMsats.default,
  localTimeoutSecs: SETTINGS.localTimeoutSecs.default,
  forceLocal: false,
  forceSwarm: false,
  localStallSecs: DEFAULT_LOCAL_STALL_SECS,
  hedgeAfterSecs: SETTINGS.hedgeAfterSecs.default,
  allowOllamaCloud: SETTINGS.allowOllamaCloud.default,
};

export type Plan = 'local-only' | 'swarm-only' | 'local-no-fallback' | 'local-then-swarm';

export function planFor(config: FallbackConfig): Plan {
  if (config.forceLocal && config.forceSwarm) {
    throw new ConfigError('forceLocal and forceSwarm are both set: choose local only or swarm only, not both');
  }
  if (!Number.isSafeInteger(config.maxPriceMsats) || config.maxPriceMsats < 0) {
    throw new ConfigError(`maxPriceMsats must be a whole number ≥ 0, got ${config.maxPriceMsats}`);
  }
  if (!(config.localTimeoutSecs > 0)) {
    throw new ConfigError(`localTimeoutSecs must be a number > 0, got ${config.localTimeoutSecs}`);
  }
  if (config.localStallSecs !== undefined && !(config.localStallSecs > 0)) {
    throw new ConfigError(`localStallSecs must be a number > 0, got ${config.localStallSecs}`);
  }
  if (config.hedgeAfterSecs !== undefined && !(config.hedgeAfterSecs >= 0)) {
    throw new ConfigError(`hedgeAfterSecs must be a number ≥ 0, got ${config.hedgeAfterSecs}`);
  }
  if (config.forceLocal) return 'local-only';
  if (config.forceSwarm) return 'swarm-only';
  if (!config.enabled) return 'local-no-fallback';
  return 'local-then-swarm';
}
