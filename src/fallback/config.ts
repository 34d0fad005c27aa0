import { ConfigError } from '../run/errors';
import type { Mode } from '../settings-schema';
import { MODES, SETTINGS } from '../settings-schema';

/**
 * What one run may do. The mode is the plan, one case each (the manager
 * follows it as it is; nothing turns it into flags and back):
 *  - 'fallback'          → local first; the swarm when local fails at any point
 *                          before its `done` chunk (or, with hedgeAfterSecs,
 *                          also while local has sent no token).
 *  - 'local-only'        → local only; the swarm is never contacted (no relay connection).
 *  - 'swarm-only'        → the swarm only; no local attempt.
 *  - 'local-no-fallback' → local once; no swarm even when local fails.
 */
export interface FallbackConfig {
  mode: Mode;
  maxPriceMsats: number;
  /** deadline for the local model's FIRST token */
  localTimeoutSecs: number;
  /** once local tokens flow, how long the stream may go silent (default 30) */
  localStallSecs?: number;
  /** fallback mode: this long without a local token starts the swarm job too (0/absent = off) */
  hedgeAfterSecs?: number;
  /** a model Ollama serves from another machine (`remote_host`) may be used */
  allowOllamaCloud?: boolean;
}

export const DEFAULT_LOCAL_STALL_SECS = SETTINGS.localStallSecs.default;

/** The defaults, taken from the one settings schema. */
export const DEFAULT_FALLBACK_CONFIG: FallbackConfig = {
  mode: SETTINGS.mode.default,
  maxPriceMsats: SETTINGS.maxPriceMsats.default,
  localTimeoutSecs: SETTINGS.localTimeoutSecs.default,
  localStallSecs: DEFAULT_LOCAL_STALL_SECS,
  hedgeAfterSecs: SETTINGS.hedgeAfterSecs.default,
  allowOllamaCloud: SETTINGS.allowOllamaCloud.default,
};

/** Throws ConfigError for a config no run can follow, before anything runs. */
export function checkFallbackConfig(config: FallbackConfig): void {
  if (!MODES.includes(config.mode)) throw new ConfigError(`mode must be one of ${MODES.join(', ')}, got "${config.mode}"`);
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
}
