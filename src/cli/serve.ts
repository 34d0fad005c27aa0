// `swarm-compute serve`: provider mode from the command line (CLI.md). The
// work is the ModelProvider's (src/provider); this file turns flags into its
// settings, prints what happens, and stops it on SIGINT/SIGTERM.
import * as nip19 from 'nostr-tools/nip19';
import { parseArgs, seconds, UsageError, wholeNumber, type FlagSpec } from './args';
import { CONNECTION_FLAGS, ollamaHostFrom, relaysFrom } from './common-flags';
import { dataDirFrom } from './data-dir';
import { historyPath } from './defaults';
import { defaultOf } from '../settings-schema';
import { loadOrCreateIdentity } from './identity';
import type { CliIo } from './io';
import { nwcFrom } from './nwc-source';
import type { ProviderSettings, ProviderTuning } from '../provider/types';

export const SERVE_FLAGS: Record<string, FlagSpec> = {
  model: { type: 'list' },
  'price-msats': { type: 'string' },
  ...CONNECTION_FLAGS,
  'max-concurrent': { type: 'string' },
  'max-queued': { type: 'string' },
  'max-prompt-chars': { type: 'string' },
  'payment-timeout-secs': { type: 'string' },
  'job-timeout-secs': { type: 'string' },
  name: { type: 'string' },
  about: { type: 'string' },
};

export interface ServeOptions {
  settings: ProviderSettings;
  nwcUri: string | null;
  /** said on standard error before serving (e.g. --nwc on the command line) */
  warnings?: string[];
  dataDir: string;
  help: boolean;
}

export const DEFAULT_MAX_PROMPT_CHARS = 32_000;

export function parseServeOptions(argv: string[], env: NodeJS.ProcessEnv): ServeOptions {
  const a = parseArgs(argv, SERVE_FLAGS, 'serve');
  const help = a.booleans.has('help');
  const str = (k: string) => a.strings.get(k);
  const models = [...new Set((a.lists.get('model') ?? []).map((m) => m.trim()))];
  if (models.some((m) => m === '')) throw new UsageError('--model must not be empty');
  if (models.length === 0 && !help) throw new UsageError('--model is required: the Ollama model to serve (e.g. --model llama3.2)');

  const priceMsats = str('price-msats') !== undefined ? wholeNumber('--price-msats', str('price-msats')!, 0) : defaultOf('share.priceMsats');
  const maxConcurrent = str('max-concurrent') !== undefined ? wholeNumber('--max-concurrent', str('max-concurrent')!, 1) : defaultOf('share.maxConcurrent');
  const maxQueued = str('max-queued') !== undefined ? wholeNumber('--max-queued', str('max-queued')!, 0) : defaultOf('share.maxQueued');
  const maxPromptChars = str('max-prompt-chars') !== undefined ? wholeNumber('--max-prompt-chars', str('max-prompt-chars')!, 1) : DEFAULT_MAX_PROMPT_CHARS;
  const paymentTimeoutSecs = str('payment-timeout-secs') !== undefined ? seconds('--payment-timeout-secs', str('payment-timeout-secs')!) : 120;
  const jobTimeoutSecs = str('job-timeout-secs') !== undefined ? seconds('--job-timeout-secs', str('job-timeout-secs')!) : 300;

  const relays = relaysFrom(a, env);
  const ollamaHost = ollamaHostFrom(a, env);
  const { uri: nwc, warnings } = nwcFrom(str, env);
  if (priceMsats > 0 && !nwc) {
    throw new UsageError(`--price-msats ${priceMsats} needs a wallet to make invoices: give --nwc or set SWARM_COMPUTE_NWC (or --nwc-file PATH)`);
  }
  const dataDir = dataDirFrom(a, env);
  const name = (str('name') ?? 'swarm-compute provider').trim();
  if (!name) throw new UsageError('--name must not be empty');
  const about =
    str('about')?.trim() ||
    `Text generation (NIP-90 kind 5050) with ${models.join(', ')} on Ollama; ${priceMsats > 0 ? `${priceMsats} msats per job` : 'free'}.`;

  return {
    settings: {
      models,
      ollamaHost,
      relays,
      priceMsats,
      maxConcurrent,
      maxQueued,
      maxPromptChars,
      paymentTimeoutMs: Math.round(paymentTimeoutSecs * 1000),
      jobTimeoutMs: Math.round(jobTimeoutSecs * 1000),
      name,
      about,
    },
    nwcUri: priceMsats > 0 ? nwc : null,
    warnings,
    dataDir,
    help,
  };
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Serves until SIGINT/SIGTERM; returns the exit code. */
export async function runServe(opts: ServeOptions, io: CliIo, tuning: Partial<ProviderTuning> = {}): Promise<number> {
  const { settings } = opts;
  for (const w of opts.warnings ?? []) io.stderr(`warning: ${w}\n`);
  const secretKey = loadOrCreateIdentity(opts.dataDir, io.env);
  const stopRequested = new AbortController();
  const stopSignals = io.onSignal(() => stopRequested.abort());
  const closers: (() => Promise<void> | void)[] = [];
  try {
    let wallet = null;
    if (opts.nwcUri) {
      const { NwcClient } = await import('../wallet/nwc-client');
      const { checkInvoiceWallet } = await import('../provider/wallet-check');
      const client = new NwcClient(opts.nwcUri, { idleCloseMs: 5000 });
      closers.push(() => client.close());
      const check = await checkInvoiceWallet(client, stopRequested.signal);
      if (!check.ok) {
        if (stopRequested.signal.aborted) return EXIT_OK; // stopped before it started
        io.stderr(`swarm-compute: --nwc: ${check.message}\n`);
        return check.kind === 'unsupported' ? EXIT_USAGE : EXIT_FAILED;
      }
      wallet = client;
    }
    const { openHistory } = await import('../history/sqlite-history');
    const history = await openHistory(historyPath(opts.dataDir), { onWarning: (m) => io.stderr(`warning: ${m}\n`) });
    closers.push(() => history.close());

    const { ModelProvider } = await import('../provider/model-provider');
    const provider = new ModelProvider(
      settings,
      {
        secretKey,
        wallet,
        history,
        log: { info: () => {}, warn: (m) => io.stderr(`warning: ${m}\n`) },
      },
      tuning,
    );
    provider.onEvent((event) => {
      if (event.type === 'job') io.stdout(`job ${event.jobId} ${event.state}: ${event.message}\n`);
    });

    const started = await provider.start();
    if (!started.ok) {
      io.stderr(`swarm-compute: ${started.error.message}\n`);
      return started.error.kind === 'config' || started.error.kind === 'model-missing' ? EXIT_USAGE : EXIT_FAILED;
    }
    for (const f of started.unreachable) io.stderr(`warning: relay ${f.url} could not be reached (${f.reason}); serving without it\n`);
    if (started.announcedOn.length === 0) io.stderr('warning: no relay took the announcement; only customers who know this pubkey will find it\n');
    const price = settings.priceMsats > 0 ? `${settings.priceMsats} msats per job` : 'free';
    io.stdout(`Serving ${settings.models.join(', ')} as ${nip19.npubEncode(started.pubkey)} (${price}) on ${started.relays.join(', ')}\n`);
    io.stdout(`Provider pubkey: ${started.pubkey}\n`);

    if (!stopRequested.signal.aborted) {
      await new Promise<void>((resolve) => stopRequested.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    const { running, queued, awaitingPayment } = provider.status();
    io.stdout(`Stopping: no new jobs; ${running} running, ${queued} queued, ${awaitingPayment} awaiting payment\n`);
    await provider.stop();
    io.stdout('Stopped; announcement withdrawn.\n');
    return EXIT_OK;
  } finally {
    stopSignals();
    for (const close of closers.reverse()) await close();
  }
}
