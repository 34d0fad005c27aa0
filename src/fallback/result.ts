export interface LocalResult {
  lane: 'local';
  response: string;
  durationMs: number;
}

export interface SwarmResult {
  lane: 'swarm';
  jobId: string;
  provider: string; // hex pubkey
  costMsats: number;
  durationMs: number;
  response: string;
}

import type { LocalErrorKind, SwarmErrorKind } from './errors';

export interface FailedResult {
  lane: 'failed';
  /** null when local was not attempted or succeeded */
  localError: string | null;
  /** null when swarm was not attempted (local-only) or succeeded */
  swarmError: string | null;
  /** the kinds behind the messages, for views that offer an action (start Ollama, pull, connect a wallet) */
  localErrorKind?: LocalErrorKind;
  swarmErrorKind?: SwarmErrorKind | 'declined' | 'disabled' | 'not-attempted';
  /** text streamed before a failure (kept, never replaced by another lane) */
  partialResponse?: string;
  cancelled?: boolean;
}

export type FallbackResult = LocalResult | SwarmResult | FailedResult;
