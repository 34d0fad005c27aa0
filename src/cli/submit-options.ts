import * as nip19 from 'nostr-tools/nip19';
import type { EngineSettings, Mode } from '../engine/api';
import { parseArgs, seconds, UsageError, wholeNumber, type FlagSpec } from './args';
import {
  DEFAULT_HEDGE_AFTER_SECS,
  DEFAULT_LOCAL_STALL_SECS,
  DEFAULT_LOCAL_TIMEOUT_SECS,
  DEFAULT_MAX_PRICE_MSATS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_OFFER_WINDOW_SECS,
  DEFAULT_SWARM_TIMEOUT_SECS,
  DEFAULT_MODEL,
  DEFAULT_OLLAMA_HOST,
  JOB_TYPES,
  PUBLIC_RELAYS,
  defaultDataDir,
  normalizeOllamaHost,
} from './defaults';
import { nwcFrom } from './nwc-source';

export const SUBMIT_FLAGS: Record<string, FlagSpec> = {
  prompt: { type: 'string' },
  'job-type': { type: 'string' },
  model: { type: 'string' },
  'local-first': { type: 'boolean' },
  'local-only': { type: 'boolean' },
  'no-fallback': { type: 'boolean' },
  'max-price-msats': { type: 'string' },
  'local-timeout-secs': { type: 'string' },
  'local-stall-secs': { type: 'string' },
  'hedge-after-secs': { type: 'string' },
  'allow-ollama-cloud': { type: 'boolean' },
  'swarm-timeout-secs': { type: 'string' },
  relay: { type: 'list' },
  provider: { type: 'list' },
  encrypt: { type: 'boolean' },
  'ollama-host': { type: 'string' },
  nwc: { type: 'string' },
  'nwc-file': { type: 'string' },
  'data-dir': { type: 'string' },
  stream: { type: 'boolean' },
  json: { type: 'boolean' },
  'offer-window-secs': { type: 'string' },
  'daily-budget-msats': { type: 'string' },
  'monthly-budget-msats': { type: 'string' },
  'max-response-bytes': { type: 'string' },
  conversation: { type: 'string' },
  continue: { type: 'boolean' },
  'keep-days': { type: 'string' },
  help: { type: 'boolean' },
};

export interface SubmitOptions {
  /** the prompt, or '-' to read standard input */
  prompt: string;
  settings: EngineSettings;
  nwcUri: string | null;
  /** said on standard error before the run (e.g. --nwc on the command line) */
  warnings?: string[];
  dataDir: string;
  stream: boolean;
  json: boolean;
  help: boolean;
  /** --conversation ID: continue this conversation (checked against the history before anything is sent) */
  conversationId: string | null;
  /** --continue: continue the newest conversation */
  continueNewest: boolean;
  /** --keep-days N: blank the texts of rows older than N days first (null: keep all) */
  keepDays: number | null;
}

export function relayUrl(label: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`${label} must be a ws:// or wss:// URL, got "${raw}"`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new UsageError(`${label} must be a ws:// or wss:// URL, got "${raw}"`);
  return raw.trim();
}

export function providerPubkey(raw: string): string {
  const value = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase();
  if (value.startsWith('npub1')) {
    try {
      const decoded = nip19.decode(value as `npub1${string}`);
      if (decoded.type === 'npub') return decoded.data;
    } catch {
      // reported below
    }
  }
  throw new UsageError(`--provider must be a 64-hex public key or an npub1… key, got "${raw}"`);
}

export function nwcUri(label: string, raw: string): string {
  const value = raw.trim();
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || !/^nostr\+walletconnect:$/i.test(url.protocol)) {
    throw new UsageError(`${label} must be a nostr+walletconnect://<wallet pubkey>?relay=…&secret=… URI`);
  }
  const pubkey = url.host || url.pathname.replace(/^\/+/, '');
  if (!/^[0-9a-f]{64}$/i.test(pubkey)) throw new UsageError(`${label}: the wallet public key after nostr+walletconnect:// must be 64 hex characters`);
  if (!url.searchParams.get('relay')) throw new UsageError(`${label} has no relay= parameter`);
  if (!/^[0-9a-f]{64}$/i.test(url.searchParams.get('secret') ?? '')) throw new UsageError(`${label} needs a secret= parameter of 64 hex characters`);
  return value;
}

function envNumber(env: NodeJS.ProcessEnv, name: string): number | null {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return null;
  return wholeNumber(name, raw, 0);
}

/** Everything the contract says about `submit`'s flags, checked before anything is sent. */
export function parseSubmitOptions(argv: string[], env: NodeJS.ProcessEnv): SubmitOptions {
  const a = parseArgs(argv, SUBMIT_FLAGS, 'submit');
  const help = a.booleans.has('help');
  const str = (k: string) => a.strings.get(k);

  const jobType = str('job-type') ?? 'text-generation';
  if (!(jobType in JOB_TYPES)) {
    throw new UsageError(`--job-type "${jobType}" is not known; known types: ${Object.keys(JOB_TYPES).join(', ')}`);
  }
  const localFirst = a.booleans.has('local-first');
  const localOnly = a.booleans.has('local-only');
  const noFallback = a.booleans.has('no-fallback');
  if (localOnly && localFirst) throw new UsageError('--local-only and --local-first cannot be combined: choose one');
  // --no-fallback means "local once, nothing else" (FallbackConfig.enabled=false).
  const mode: Mode = localOnly ? 'local-only' : noFallback ? 'local-no-fallback' : localFirst ? 'fallback' : 'swarm-only';

  const model = str('model') ?? DEFAULT_MODEL;
  if (!model.trim()) throw new UsageError('--model must not be empty');
  const maxPriceMsats = str('max-price-msats') !== undefined ? wholeNumber('--max-price-msats', str('max-price-msats')!, 0) : DEFAULT_MAX_PRICE_MSATS;
  const localTimeoutSecs = str('local-timeout-secs') !== undefined ? seconds('--local-timeout-secs', str('local-timeout-secs')!) : DEFAULT_LOCAL_TIMEOUT_SECS;
  const localStallSecs = str('local-stall-secs') !== undefined ? seconds('--local-stall-secs', str('local-stall-secs')!) : DEFAULT_LOCAL_STALL_SECS;
  const hedgeAfterSecs = str('hedge-after-secs') !== undefined ? seconds('--hedge-after-secs', str('hedge-after-secs')!, true) : DEFAULT_HEDGE_AFTER_SECS;
  if (hedgeAfterSecs > 0 && mode !== 'fallback') {
    throw new UsageError('--hedge-after-secs needs the fallback mode (--local-first without --no-fallback): it starts the swarm job while local is slow');
  }
  const swarmTimeoutSecs = str('swarm-timeout-secs') !== undefined ? seconds('--swarm-timeout-secs', str('swarm-timeout-secs')!) : DEFAULT_SWARM_TIMEOUT_SECS;
  const offerWindowSecs = str('offer-window-secs') !== undefined ? seconds('--offer-window-secs', str('offer-window-secs')!, true) : DEFAULT_OFFER_WINDOW_SECS;
  const dailyBudgetMsats =
    str('daily-budget-msats') !== undefined
      ? wholeNumber('--daily-budget-msats', str('daily-budget-msats')!, 0)
      : envNumber(env, 'SWARM_COMPUTE_DAILY_BUDGET_MSATS');
  const monthlyBudgetMsats =
    str('monthly-budget-msats') !== undefined
      ? wholeNumber('--monthly-budget-msats', str('monthly-budget-msats')!, 0)
      : envNumber(env, 'SWARM_COMPUTE_MONTHLY_BUDGET_MSATS');

  const maxResponseBytes =
    str('max-response-bytes') !== undefined ? wholeNumber('--max-response-bytes', str('max-response-bytes')!, 1) : DEFAULT_MAX_RESPONSE_BYTES;

  let relays: string[];
  const relayFlags = a.lists.get('relay');
  if (relayFlags) relays = relayFlags.map((r) => relayUrl('--relay', r));
  else if (env.SWARM_COMPUTE_RELAYS && env.SWARM_COMPUTE_RELAYS.trim()) {
    relays = env.SWARM_COMPUTE_RELAYS.split(',')
      .map((r) => r.trim())
      .filter(Boolean)
      .map((r) => relayUrl('SWARM_COMPUTE_RELAYS', r));
  } else relays = PUBLIC_RELAYS;
  relays = [...new Set(relays)];

  const providers = [...new Set((a.lists.get('provider') ?? []).map(providerPubkey))];
  const encrypt = a.booleans.has('encrypt');
  if (encrypt && providers.length !== 1) {
    throw new UsageError(`--encrypt needs exactly one --provider (the job is encrypted to it), got ${providers.length}`);
  }

  let ollamaHost: string;
  const hostRaw = str('ollama-host') ?? env.OLLAMA_HOST ?? DEFAULT_OLLAMA_HOST;
  const hostLabel = str('ollama-host') !== undefined ? '--ollama-host' : env.OLLAMA_HOST ? 'OLLAMA_HOST' : 'ollama host';
  try {
    ollamaHost = normalizeOllamaHost(hostRaw);
    const proto = new URL(ollamaHost).protocol;
    if (proto !== 'http:' && proto !== 'https:') throw new Error();
  } catch {
    throw new UsageError(`${hostLabel} must be an http:// or https:// URL (or host:port), got "${hostRaw}"`);
  }

  const { uri: nwc, warnings } = nwcFrom(str, env);

  const dataDir = str('data-dir') ?? defaultDataDir(env);
  if (!dataDir.trim()) throw new UsageError('--data-dir must not be empty');

  const conversationId = str('conversation') ?? null;
  const continueNewest = a.booleans.has('continue');
  if (conversationId !== null && continueNewest)
    throw new UsageError('--conversation and --continue cannot be combined: --continue means the newest conversation');
  if (conversationId !== null && !conversationId.trim()) throw new UsageError('--conversation must name a conversation id, got ""');

  const prompt = str('prompt');
  if (prompt === undefined && !help) throw new UsageError('--prompt is required (text, or - to read standard input)');
  if (prompt !== undefined && prompt !== '-' && !prompt.trim()) throw new UsageError('--prompt must not be empty');

  return {
    prompt: prompt ?? '',
    settings: {
      mode,
      model,
      ollamaHost,
      relays,
      maxPriceMsats,
      localTimeoutSecs,
      swarmTimeoutSecs,
      providers,
      encrypt,
      offerWindowSecs,
      dailyBudgetMsats,
      monthlyBudgetMsats,
      localStallSecs,
      hedgeAfterSecs,
      allowOllamaCloud: a.booleans.has('allow-ollama-cloud'),
      maxResponseBytes,
    },
    nwcUri: nwc,
    warnings,
    dataDir,
    stream: a.booleans.has('stream'),
    json: a.booleans.has('json'),
    help,
    conversationId: conversationId?.trim() ?? null,
    continueNewest,
    keepDays: str('keep-days') !== undefined ? wholeNumber('--keep-days', str('keep-days')!, 1) : null,
  };
}
