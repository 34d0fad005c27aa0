import { ConfigError } from './errors';

/**
 * The seed's FallbackConfig. Precedence, checked in this order:
 *  1. forceLocal && forceSwarm → ConfigError (no silent pick).
 *  2. forceLocal  → local only; the swarm is never contacted (no relay connection).
 *  3. forceSwarm  → swarm only; no local attempt (wins over enabled=false).
 *  4. enabled=false → local once; no swarm even when local fails.
 *  5. otherwise   → local first, swarm when local fails before its first token.
 */
export interface FallbackConfig {
  enabled: boolean;
  maxPriceMsats: number;
  localTimeoutSecs: number;
  forceLocal: boolean;
  forceSwarm: boolean;
}

export const DEFAULT_FALLBACK_CONFIG: FallbackConfig = {
  enabled: true,
  maxPriceMsats: 1000,
  localTimeoutSecs: 30,
  forceLocal: false,
  forceSwarm: false,
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
  if (config.forceLocal) return 'local-only';
  if (config.forceSwarm) return 'swarm-only';
  if (!config.enabled) return 'local-no-fallback';
  return 'local-then-swarm';
}
