// The provider side of NIP-90: plain values in, typed events out. No vscode,
// no process: the CLI's `serve` and the extension's "Share My Model" both
// build a ModelProvider from these.
import type { HistoryStore } from '../history/types';
import type { LocalLane } from '../local/types';
import type { RelayGroupTuning } from '../relay/relay-group';
import type { NwcClient } from '../wallet/nwc-client';

export interface ProviderSettings {
  /** models offered; a job that names none gets the first */
  models: string[];
  /** Ollama base URL */
  ollamaHost: string;
  relays: string[];
  /** 0 = free */
  priceMsats: number;
  /** jobs generating at once; more wait in a queue */
  maxConcurrent: number;
  /** jobs waiting for a free slot beyond which new jobs are refused as busy */
  maxQueued: number;
  /** a prompt longer than this (characters) is refused with an error feedback */
  maxPromptChars: number;
  /** how long a paid job waits for its invoice to be settled before it expires */
  paymentTimeoutMs: number;
  /** one generation, from the request to Ollama to its last token */
  jobTimeoutMs: number;
  /** shown in the NIP-89 announcement */
  name: string;
  about: string;
}

export interface ProviderTuning {
  /** at most one partial feedback per this interval… */
  partialIntervalMs: number;
  /** …unless this much new text is waiting */
  partialMaxChars: number;
  /** how often the wallet is asked whether an invoice is settled */
  invoicePollMs: number;
  /** the announcement is re-published this often while serving */
  announceRefreshMs: number;
  /** on stop, running jobs may finish for this long before they are cut off with an error */
  shutdownGraceMs: number;
  /** jobs waiting for payment beyond which new paid jobs are refused as busy */
  maxAwaitingPayment: number;
  /** a job older than this (by its created_at) is stale: not taken */
  maxJobAgeSecs: number;
  /** a relay we could not connect to for publishing is skipped this long before the next try */
  relayRetryMs: number;
  relay: RelayGroupTuning;
}

/** The two wallet calls a paid provider needs (NwcClient has them). */
export type InvoiceWallet = Pick<NwcClient, 'makeInvoice' | 'lookupInvoice'>;

export interface ProviderLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface ProviderDeps {
  secretKey: Uint8Array;
  /** required when priceMsats > 0 */
  wallet: InvoiceWallet | null;
  /** where served jobs are recorded (lane 'served'); null: not recorded */
  history: HistoryStore | null;
  /** default: OllamaLane */
  local?: LocalLane;
  log?: ProviderLog;
}

export type ProviderStartErrorKind =
  | 'config' // settings that cannot work (price without a wallet, no model)
  | 'model-missing' // Ollama does not have an offered model
  | 'ollama-unavailable' // Ollama cannot be asked
  | 'no-relay'; // no relay could be reached

export interface ProviderStartError {
  kind: ProviderStartErrorKind;
  message: string;
}

export type ProviderStart =
  | { ok: true; pubkey: string; relays: string[]; unreachable: { url: string; reason: string }[]; announcedOn: string[] }
  | { ok: false; error: ProviderStartError };

/** Where one job a provider saw stands. */
export type ServedJobState =
  | 'refused' // an error feedback said why (model, bid, size, busy, unreadable)
  | 'payment-required'
  | 'queued'
  | 'processing'
  | 'completed'
  | 'failed'
  | 'cancelled'; // the customer withdrew it (kind 5)

export type ProviderEvent =
  { type: 'job'; jobId: string; customer: string; state: ServedJobState; message: string } | { type: 'announced'; relays: string[] } | { type: 'stopped' };

export interface ProviderStatus {
  serving: boolean;
  running: number;
  queued: number;
  awaitingPayment: number;
  completed: number;
  failed: number;
}
