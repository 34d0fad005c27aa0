// The engine's public shape, shared by the CLI and the extension. The
// implementation is engine-core.ts, wired by createEngine in src/engine-bundle.ts; the VS Code adapter and the CLI import only these types.
import type { RunEvent } from '../run/events';
import type { FallbackResult } from '../run/result';
import type { ChatMessage } from '../chat-message';

export type { ChatMessage } from '../chat-message';

export type { Mode } from '../settings-schema';
import type { Mode } from '../settings-schema';
export type { SwarmOutbound } from '../fallback/swarm-outbound';
import type { SwarmOutbound } from '../fallback/swarm-outbound';

export interface EngineSettings {
  mode: Mode;
  model: string;
  ollamaHost: string;
  relays: string[];
  maxPriceMsats: number;
  localTimeoutSecs: number;
  swarmTimeoutSecs: number;
  /** hex pubkeys */
  providers: string[];
  encrypt: boolean;
  offerWindowSecs: number;
  dailyBudgetMsats: number | null;
  monthlyBudgetMsats: number | null;
  /** once local tokens flow, how long the stream may go silent before it counts as failed (default 30) */
  localStallSecs?: number;
  /** fallback mode: seconds without a local token before the swarm job starts too (0 = off, the default) */
  hedgeAfterSecs?: number;
  /** may a model Ollama serves from another machine (`remote_host`) be used (default false) */
  allowOllamaCloud?: boolean;
  /** the most text (UTF-8 bytes) one swarm answer may bring; default DEFAULT_MAX_RESPONSE_BYTES (1 MiB) */
  maxResponseBytes?: number;
}

export interface RunRequest {
  prompt: string;
  /** the question as the user asked it, kept in the history (default: the prompt); the prompt may wrap it */
  question?: string;
  /** overrides settings.model */
  model?: string;
  /** overrides settings.mode for this run */
  mode?: Mode;
  /** optional system prompt (local lane) */
  system?: string;
  /**
   * Continue this conversation (CLI.md "Conversations"): its earlier turns
   * from the history (questions, and the answers that completed) go with the
   * prompt, and the run is recorded as its next turn. Absent: the run begins
   * a new conversation (whose id is the run's id). An id the history does not
   * know begins a conversation under that id.
   */
  conversationId?: string;
  /**
   * Earlier turns given by the caller instead of read from the history
   * (a chat API client sends its own): user/assistant (and system) messages
   * that come before `prompt`, oldest first.
   */
  messages?: ChatMessage[];
  /**
   * Asked right before anything is sent to the swarm (after a local failure,
   * or first in swarm-only mode). false = nothing leaves the machine and the
   * run ends as Failed with swarmError "not sent: …". 'local' = not sent,
   * and a run that tried nothing locally (swarm only) is answered by the
   * local model instead, in the same run and row. Absent = allowed.
   */
  confirmSwarm?: (outbound: SwarmOutbound, signal: AbortSignal) => Promise<SwarmConsent>;
  /**
   * Fallback mode: when this signal aborts while local has sent no token, the
   * swarm job starts as well (after consent), as hedging does — the chat's
   * "Ask the swarm too". The first lane to stream wins.
   */
  hedgeNow?: AbortSignal;
  /**
   * With allowOllamaCloud: asked before the prompt goes to a model Ollama
   * serves from another machine (`remote_host`), naming that host. false =
   * not sent (fallback mode then goes on to the swarm). Absent = allowed.
   */
  confirmRemoteModel?: (info: { model: string; remoteHost: string; prompt: string }, signal: AbortSignal) => Promise<boolean>;
  /** what asked for the run, kept in the history row: 'vscode-lm', 'gateway', …; absent for the chat and the CLI */
  source?: string;
  /** who asked through `source`, when known (e.g. the requesting extension's id) */
  caller?: string;
}

/** The answer to "may this go to the swarm?": yes, no, or no and use the local model instead. */
export type SwarmConsent = boolean | 'local';

/** A running job: consume `events`, or just await `result`. */
export interface RunHandle {
  /** id of the history row (stable from the start) */
  readonly id: string;
  /** the conversation this run is a turn of */
  readonly conversationId: string;
  /** when the run was submitted (the row's submittedAt) */
  readonly submittedAt: number;
  readonly events: AsyncIterable<RunEvent>;
  readonly result: Promise<FallbackResult>;
  /** the run's one shape once its row is written (engine/finished-run.ts): what the chat shows */
  readonly finished: Promise<import('./finished-run').RunSummary>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface EngineOptions {
  settings: EngineSettings;
  /** the Nostr identity's secret key (32 bytes) */
  secretKey: Uint8Array;
  /** NIP-47 connection URI, or null: then paid providers are refused */
  nwcUri: string | null;
  /** path of history.sqlite (CLI: data dir; extension: globalStorageUri) */
  historyFile: string;
  log: Logger;
  /** how long to wait for the wallet's answer to pay_invoice (ms, default 60 000); past it the payment is unconfirmed */
  payTimeoutMs?: number;
}

/**
 * Built by `createEngine(options)` in src/engine-bundle.ts (async: opens history).
 * `run` never throws for lane failures: they end as a `Failed` result.
 * It throws ConfigError (src/run/errors.ts) synchronously for bad settings.
 */
export interface Engine {
  run(request: RunRequest, signal?: AbortSignal): RunHandle;
  /** takes effect for the next run */
  updateSettings(settings: EngineSettings): void;
  /** e.g. when the user stores a new wallet URI */
  updateSecrets(secrets: { secretKey?: Uint8Array; nwcUri?: string | null }): void;
  readonly history: import('../history/types').HistoryStore;
  /**
   * Records a submit that was cancelled before it could start (a signal while
   * its prompt was still being read): one row, state `cancelled`, nothing sent.
   * Resolves to the row's id.
   */
  recordUnstarted(reason: string): Promise<string>;
  dispose(): Promise<void>;
}
