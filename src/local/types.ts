import type { LocalError } from '../fallback/errors';
import type { ChatMessage } from '../engine-api';

export interface LocalRequest {
  prompt: string;
  model: string;
  /** Ollama base URL, e.g. http://127.0.0.1:11434 */
  host: string;
  /** from the request to the last token */
  timeoutMs: number;
  system?: string;
  /** a conversation: sent to /api/chat instead of prompt/system to /api/generate */
  messages?: ChatMessage[];
}

export type LocalOutcome =
  | { ok: true; response: string; ttftMs: number | null; durationMs: number }
  | {
      ok: false;
      error: LocalError;
      /** text streamed before the failure; non-empty means no fallback */
      partial: string;
      ttftMs: number | null;
      durationMs: number;
    };

export interface LocalLane {
  run(request: LocalRequest, signal: AbortSignal, onToken: (text: string) => void): Promise<LocalOutcome>;
}

/**
 * The answer of a quick question to Ollama (version, installed models):
 * a value, or the same classified error the lane would give. Never thrown.
 */
export type LocalProbe<T> = { ok: true; value: T } | { ok: false; error: LocalError };
