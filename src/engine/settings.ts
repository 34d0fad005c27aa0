import { ConfigError } from '../run/errors';
import { DEFAULT_LOCAL_STALL_SECS, type FallbackConfig } from '../fallback/config';
import type { EngineSettings, Mode } from './api';

export { MODES } from '../settings-schema';
import { MODES } from '../settings-schema';

export function fallbackConfigFor(settings: EngineSettings, mode: Mode = settings.mode): FallbackConfig {
  return {
    mode,
    maxPriceMsats: settings.maxPriceMsats,
    localTimeoutSecs: settings.localTimeoutSecs,
    localStallSecs: settings.localStallSecs ?? DEFAULT_LOCAL_STALL_SECS,
    // hedging only means something when local may fall back to the swarm
    hedgeAfterSecs: mode === 'fallback' ? (settings.hedgeAfterSecs ?? 0) : 0,
    allowOllamaCloud: settings.allowOllamaCloud ?? false,
  };
}

function wholeAtLeast(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`${name} must be a whole number ≥ ${min}, got ${value}`);
}

/** Throws ConfigError naming the setting and what is wrong; nothing has been sent yet. */
export function validateSettings(settings: EngineSettings, mode: Mode = settings.mode): void {
  if (!MODES.includes(mode)) throw new ConfigError(`mode must be one of ${MODES.join(', ')}, got "${mode}"`);
  if (!settings.model.trim()) throw new ConfigError('model must not be empty');
  wholeAtLeast('maxPriceMsats', settings.maxPriceMsats, 0);
  if (!(settings.localTimeoutSecs > 0)) throw new ConfigError(`localTimeoutSecs must be > 0, got ${settings.localTimeoutSecs}`);
  if (settings.localStallSecs !== undefined && !(settings.localStallSecs > 0)) {
    throw new ConfigError(`localStallSecs must be > 0, got ${settings.localStallSecs}`);
  }
  if (settings.hedgeAfterSecs !== undefined && !(settings.hedgeAfterSecs >= 0)) {
    throw new ConfigError(`hedgeAfterSecs must be ≥ 0, got ${settings.hedgeAfterSecs}`);
  }
  if (!(settings.swarmTimeoutSecs > 0)) throw new ConfigError(`swarmTimeoutSecs must be > 0, got ${settings.swarmTimeoutSecs}`);
  if (!(settings.offerWindowSecs >= 0)) throw new ConfigError(`offerWindowSecs must be ≥ 0, got ${settings.offerWindowSecs}`);
  if (settings.dailyBudgetMsats !== null) wholeAtLeast('dailyBudgetMsats', settings.dailyBudgetMsats, 0);
  if (settings.monthlyBudgetMsats !== null) wholeAtLeast('monthlyBudgetMsats', settings.monthlyBudgetMsats, 0);
  if (settings.maxResponseBytes !== undefined) wholeAtLeast('maxResponseBytes', settings.maxResponseBytes, 1);
  try {
    const u = new URL(settings.ollamaHost);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError(`ollamaHost must be an http:// or https:// URL, got "${settings.ollamaHost}"`);
  }
  if (mode !== 'local-only' && mode !== 'local-no-fallback') {
    if (settings.relays.length === 0) throw new ConfigError('relays: at least one ws:// or wss:// relay URL is needed to reach the swarm');
    for (const r of settings.relays) {
      let ok = false;
      try {
        const u = new URL(r);
        ok = u.protocol === 'ws:' || u.protocol === 'wss:';
      } catch {
        ok = false;
      }
      if (!ok) throw new ConfigError(`relay must be a ws:// or wss:// URL, got "${r}"`);
    }
    for (const p of settings.providers) {
      if (!/^[0-9a-f]{64}$/.test(p)) throw new ConfigError(`provider must be a 64-hex public key, got "${p}"`);
    }
    if (settings.encrypt && settings.providers.length !== 1) {
      throw new ConfigError(`encrypt needs exactly one provider, got ${settings.providers.length}`);
    }
  }
}
