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
