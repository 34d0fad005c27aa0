// The engine as tests and benchmarks build it in-process: settings with the
// values tests use (no budget, no offer window, nothing encrypted, no
// provider named), a fresh identity, no wallet, its history file in a new
// temporary folder and a quiet log. A caller names only what it is about.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecretKey } from 'nostr-tools/pure';
import type { EngineOptions, EngineSettings, Logger } from '../../src/engine/api';

export const quietLog: Logger = { info() {}, warn() {}, error() {} };

export function engineSettings(over: Partial<EngineSettings> & Pick<EngineSettings, 'model' | 'ollamaHost'>): EngineSettings {
  return {
    mode: 'fallback',
    relays: [],
    maxPriceMsats: 1000,
    localTimeoutSecs: 30,
    swarmTimeoutSecs: 30,
    providers: [],
    encrypt: false,
    offerWindowSecs: 0,
    dailyBudgetMsats: null,
    monthlyBudgetMsats: null,
    ...over,
  };
}

/** Options for createEngine around `settings`; the history file is `history.sqlite` in a new folder named `<prefix>…` under the temp dir. */
export function engineOptions(settings: EngineSettings, prefix = 'sc-engine-', over: Partial<EngineOptions> = {}): EngineOptions {
  return {
    settings,
    secretKey: generateSecretKey(),
    nwcUri: null,
    log: quietLog,
    ...over,
    historyFile: over.historyFile ?? join(mkdtempSync(join(tmpdir(), prefix)), 'history.sqlite'),
  };
}
