// Every `swarmCompute.*` setting once: its type, default and range. The
// extension reads its settings through this (src/vscode/settings.ts), the
// command line takes its defaults from it (src/cli/defaults.ts), and a unit
// test holds package.json's `contributes.configuration` to it, so a default
// is changed here and nowhere else. The words users read (descriptions,
// enum labels) live in package.json, where VS Code shows them. No vscode here.

export interface SettingSpec<T> {
  /** the JSON schema type package.json declares */
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | readonly ['integer', 'null'];
  default: T;
  minimum?: number;
  maximum?: number;
  enum?: readonly string[];
}

const spec = <T>(s: SettingSpec<T>): SettingSpec<T> => s;

export const MODES = ['fallback', 'local-only', 'swarm-only', 'local-no-fallback'] as const;
/** The four modes, named once here. */
export type Mode = (typeof MODES)[number];

/** Used when neither --relay nor SWARM_COMPUTE_RELAYS is given, and as the extension's default relays. */
export const PUBLIC_RELAYS: readonly string[] = ['wss://relay.damus.io', 'wss://nos.lol', 'wss://relay.primal.net', 'wss://relay.nostr.band'];

export const SETTINGS = {
  mode: spec<(typeof MODES)[number]>({ type: 'string', default: 'fallback', enum: MODES }),
  model: spec({ type: 'string', default: 'llama3' }),
  ollamaHost: spec({ type: 'string', default: 'http://127.0.0.1:11434' }),
  relays: spec<readonly string[]>({ type: 'array', default: PUBLIC_RELAYS }),
  maxPriceMsats: spec({ type: 'integer', default: 1000, minimum: 0, maximum: 100_000_000 }),
  localTimeoutSecs: spec({ type: 'number', default: 30, minimum: 1, maximum: 3600 }),
  localStallSecs: spec({ type: 'number', default: 30, minimum: 1, maximum: 3600 }),
  /** 0 = no hedging: the swarm is only asked once local failed */
  hedgeAfterSecs: spec({ type: 'number', default: 0, minimum: 0, maximum: 3600 }),
  allowOllamaCloud: spec({ type: 'boolean', default: false }),
  swarmTimeoutSecs: spec({ type: 'number', default: 120, minimum: 5, maximum: 3600 }),
  offerWindowSecs: spec({ type: 'number', default: 2, minimum: 0, maximum: 60 }),
  dailyBudgetMsats: spec<number | null>({ type: ['integer', 'null'], default: null, minimum: 0 }),
  monthlyBudgetMsats: spec<number | null>({ type: ['integer', 'null'], default: null, minimum: 0 }),
  maxResponseBytes: spec({ type: 'integer', default: 1_048_576, minimum: 1 }),
  providers: spec<readonly string[]>({ type: 'array', default: [] }),
  encrypt: spec({ type: 'boolean', default: false }),
  'share.model': spec({ type: 'string', default: '' }),
  'share.priceMsats': spec({ type: 'integer', default: 0, minimum: 0, maximum: 100_000_000 }),
  'share.maxConcurrent': spec({ type: 'integer', default: 1, minimum: 1, maximum: 16 }),
  'share.maxQueued': spec({ type: 'integer', default: 20, minimum: 0, maximum: 1000 }),
  'history.keepDays': spec({ type: 'integer', default: 365, minimum: 0 }),
  'gateway.port': spec({ type: 'integer', default: 11435, minimum: 1, maximum: 65535 }),
  'gateway.allowSwarm': spec({ type: 'boolean', default: false }),
} as const;

export type SettingKey = keyof typeof SETTINGS;

/** The default of a setting, as the code uses it. */
export function defaultOf<K extends SettingKey>(key: K): (typeof SETTINGS)[K]['default'] {
  return SETTINGS[key].default;
}

/**
 * A number setting as the code may use it: a value outside the declared range
 * (settings.json is hand-edited; VS Code only warns) is brought back into it,
 * anything not a finite number falls back to the default.
 */
export function clampedNumber(key: SettingKey, value: unknown, whole = false): number {
  const s = SETTINGS[key] as SettingSpec<unknown>;
  const fallback = s.default as number;
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  let v = whole ? Math.floor(value) : value;
  if (s.minimum !== undefined) v = Math.max(s.minimum, v);
  if (s.maximum !== undefined) v = Math.min(s.maximum, v);
  return v;
}
