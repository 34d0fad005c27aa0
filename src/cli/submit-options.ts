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
  JOB_TYPES,
} from './defaults';
import { CONNECTION_FLAGS, ollamaHostFrom, relaysFrom } from './common-flags';
import { dataDirFrom } from './data-dir';
import { nwcFrom } from './nwc-source';

export const SUBMIT_FLAGS: Record<string, FlagSpec> = {
  ...CONNECTION_FLAGS,
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
  provider: { type: 'list' },
  encrypt: { type: 'boolean' },
  stream: { type: 'boolean' },
  json: { type: 'boolean' },
  'offer-window-secs': { type: 'string' },
  'daily-budget-msats': { type: 'string' },
  'monthly-budget-msats': { type: 'string' },
  'max-response-bytes': { type: 'string' },
  conversation: { type: 'string' },
  continue: { type: 'boolean' },
  'keep-days': { type: 'string' },
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
  // --no-fallback means "local once, nothing else" (mode 'local-no-fallback').
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

  const relays = relaysFrom(a, env);

  const providers = [...new Set((a.lists.get('provider') ?? []).map(providerPubkey))];
  const encrypt = a.booleans.has('encrypt');
  if (encrypt && providers.length !== 1) {
    throw new UsageError(`--encrypt needs exactly one --provider (the job is encrypted to it), got ${providers.length}`);
  }

  const ollamaHost = ollamaHostFrom(a, env);

  const { uri: nwc, warnings } = nwcFrom(str, env);

  const dataDir = dataDirFrom(a, env);

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
