import type { LocalError } from '../run/errors';
import type { ChatMessage } from '../chat-message';

export type { ChatMessage } from '../chat-message';

export interface LocalRequest {
  prompt: string;
  model: string;
  /** Ollama base URL, e.g. http://127.0.0.1:11434 */
  host: string;
  /**
   * The whole call's budget, from the request to the last token; not positive
   * or not finite = none (the fallback lane uses firstTokenTimeoutMs and
   * stallTimeoutMs instead, so a healthy long answer is never cut).
   */
  timeoutMs: number;
  system?: string;
  /**
   * The conversation as Ollama chat messages (a first turn = system? + one
   * user message). Absent: built from `system` and `prompt`.
   */
  messages?: ChatMessage[];
  /** deadline for the FIRST token (connecting, queueing, loading); absent = none */
  firstTokenTimeoutMs?: number;
  /** once tokens flow, how long the stream may go silent; overrides the lane's option */
  stallTimeoutMs?: number;
  /** a model Ollama serves from another machine (`remote_host`) may be used */
  allowRemote?: boolean;
  /**
   * With allowRemote: asked before the prompt goes to such a model (naming
   * its host); false = not sent. Its time does not count against the
   * first-token deadline. Absent = allowRemote is the consent.
   */
  confirmRemote?: (remoteHost: string, signal: AbortSignal) => Promise<boolean>;
}

/** What Ollama's `done` chunk says about the answer (durations in ms). */
export interface LocalAnswerStats {
  loadMs: number | null;
  evalCount: number | null;
  /** generated tokens per second (eval_count / eval_duration) */
  tokensPerSec: number | null;
}

export type LocalOutcome =
  | {
      ok: true;
      response: string;
      ttftMs: number | null;
      durationMs: number;
      stats?: LocalAnswerStats;
      /** the model was served by Ollama from this host (a cloud model, allowed) */
      remoteHost?: string;
    }
  | {
      ok: false;
      error: LocalError;
      /** text streamed before the failure (the fallback mode still goes to the swarm) */
      partial: string;
      ttftMs: number | null;
      durationMs: number;
    };

/** What the lane tells while it waits for the first token. */
export type LocalProgress = { type: 'loaded'; model: string; loaded: boolean } | { type: 'first-token' };

export interface LocalLane {
  run(request: LocalRequest, signal: AbortSignal, onToken: (text: string) => void, onProgress?: (progress: LocalProgress) => void): Promise<LocalOutcome>;
}

/**
 * The answer of a quick question to Ollama (version, installed models):
 * a value, or the same classified error the lane would give. Never thrown.
 */
export type LocalProbe<T> = { ok: true; value: T } | { ok: false; error: LocalError };
