// Every `swarmCompute.*` setting once. package.json's
// `contributes.configuration` is the one place a setting's type, default,
// range and words are written (VS Code shows and validates them there); this
// module reads them for the code, types them, and keeps values in range. The
// extension reads its settings through this (src/vscode/settings.ts), the
// command line its defaults (src/cli/defaults.ts). No vscode here.
import { contributes } from '../package.json';

export interface SettingSpec<T> {
  /** the JSON schema type package.json declares */
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | readonly ['integer', 'null'];
  default: T;
  minimum?: number;
  maximum?: number;
  enum?: readonly string[];
}

export const MODES = ['fallback', 'local-only', 'swarm-only', 'local-no-fallback'] as const;
/** The four modes, named once here. */
export type Mode = (typeof MODES)[number];

/** What package.json says of one setting (the JSON schema VS Code shows and validates). */
type Declared = Pick<SettingSpec<unknown>, 'type' | 'minimum' | 'maximum' | 'enum'> & { default: unknown };
const declared = contributes.configuration.properties as unknown as Record<string, Declared | undefined>;

/** One setting as the code uses it: its type here, its default and range from package.json. */
function setting<T>(key: string): SettingSpec<T> {
  const d = declared[`swarmCompute.${key}`];
  if (!d) throw new Error(`package.json declares no setting swarmCompute.${key}`);
  return { type: d.type, default: d.default as T, minimum: d.minimum, maximum: d.maximum, enum: d.enum };
}

export const SETTINGS = {
  mode: setting<Mode>('mode'),
  model: setting<string>('model'),
  ollamaHost: setting<string>('ollamaHost'),
  relays: setting<readonly string[]>('relays'),
  maxPriceMsats: setting<number>('maxPriceMsats'),
  localTimeoutSecs: setting<number>('localTimeoutSecs'),
  localStallSecs: setting<number>('localStallSecs'),
  /** 0 = no hedging: the swarm is only asked once local failed */
  hedgeAfterSecs: setting<number>('hedgeAfterSecs'),
  allowOllamaCloud: setting<boolean>('allowOllamaCloud'),
  swarmTimeoutSecs: setting<number>('swarmTimeoutSecs'),
  offerWindowSecs: setting<number>('offerWindowSecs'),
  dailyBudgetMsats: setting<number | null>('dailyBudgetMsats'),
  monthlyBudgetMsats: setting<number | null>('monthlyBudgetMsats'),
  maxResponseBytes: setting<number>('maxResponseBytes'),
  providers: setting<readonly string[]>('providers'),
  encrypt: setting<boolean>('encrypt'),
  'share.model': setting<string>('share.model'),
  'share.priceMsats': setting<number>('share.priceMsats'),
  'share.maxConcurrent': setting<number>('share.maxConcurrent'),
  'share.maxQueued': setting<number>('share.maxQueued'),
  'history.keepDays': setting<number>('history.keepDays'),
  'gateway.port': setting<number>('gateway.port'),
  'gateway.allowSwarm': setting<boolean>('gateway.allowSwarm'),
} as const;

export type SettingKey = keyof typeof SETTINGS;

/** Used when neither --relay nor SWARM_COMPUTE_RELAYS is given, and as the extension's default relays. */
export const PUBLIC_RELAYS: readonly string[] = SETTINGS.relays.default;

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
