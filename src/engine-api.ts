// The engine's public shape, shared by the CLI and the extension. The
// implementation is src/engine.ts; views and CLI import only these types.
import type { RunEvent } from './fallback/events';
import type { FallbackResult } from './fallback/result';

export type Mode = 'fallback' | 'local-only' | 'swarm-only' | 'local-no-fallback';

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
}

export interface RunRequest {
  prompt: string;
  /** overrides settings.model */
  model?: string;
  /** overrides settings.mode for this run */
  mode?: Mode;
  /** optional system prompt (local lane) */
  system?: string;
  /**
   * Asked right before anything is sent to the swarm (after a local failure,
   * or first in swarm-only mode). false = nothing leaves the machine and the
   * run ends as Failed with swarmError "not sent: …". Absent = allowed.
   */
  confirmSwarm?: (outbound: SwarmOutbound, signal: AbortSignal) => Promise<boolean>;
  /** what asked for the run ('gateway', …): kept in the history row's `source` */
  source?: string;
  /**
   * The whole conversation, oldest first, the new user message last (a first
   * turn: system? + one user message). `prompt` is that last user message.
   */
  messages?: ChatMessage[];
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What would leave the machine, shown to the user when asking consent. */
export interface SwarmOutbound {
  prompt: string;
  model: string;
  relays: string[];
  providers: string[];
  encrypt: boolean;
  maxPriceMsats: number;
  /** why the swarm is being asked: local failed (its message), or swarm-only */
  reason: string;
}

/** A running job: consume `events`, or just await `result`. */
export interface RunHandle {
  /** id of the history row (stable from the start) */
  readonly id: string;
  readonly events: AsyncIterable<RunEvent>;
  readonly result: Promise<FallbackResult>;
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
}

/**
 * Built by `createEngine(options)` in src/engine.ts (async: opens history).
 * `run` never throws for lane failures: they end as a `Failed` result.
 * It throws ConfigError (src/fallback/errors.ts) synchronously for bad settings.
 */
export interface Engine {
  run(request: RunRequest, signal?: AbortSignal): RunHandle;
  /** takes effect for the next run */
  updateSettings(settings: EngineSettings): void;
  /** e.g. when the user stores a new wallet URI */
  updateSecrets(secrets: { secretKey?: Uint8Array; nwcUri?: string | null }): void;
  readonly history: import('./history/types').HistoryStore;
  dispose(): Promise<void>;
}
