// The EngineSettings the engine's unit tests start from (each overrides what it is about).
import type { EngineSettings } from '../../src/engine/api';

export function testSettings(over: Partial<EngineSettings> = {}): EngineSettings {
  return {
    mode: 'fallback',
    model: 'llama3',
    ollamaHost: 'http://127.0.0.1:9',
    relays: [],
    maxPriceMsats: 1000,
    localTimeoutSecs: 10,
    swarmTimeoutSecs: 10,
    providers: [],
    encrypt: false,
    offerWindowSecs: 0,
    dailyBudgetMsats: null,
    monthlyBudgetMsats: null,
    ...over,
  };
}
