/** Which lane answered a hedged run, and that it was hedged. */
export interface HedgeFacts {
  /** the swarm job was started while local was still waiting for its first token */
  hedged?: boolean;
  hedgeWinner?: 'local' | 'swarm';
}

export interface LocalResult extends HedgeFacts {
  lane: 'local';
  response: string;
  durationMs: number;
  /** a model Ollama served from another machine (allowed with allowOllamaCloud) */
  localRemoteHost?: string;
}

export interface SwarmResult extends HedgeFacts {
  lane: 'swarm';
  jobId: string;
  provider: string; // hex pubkey
  costMsats: number;
  durationMs: number;
  response: string;
  /** what local streamed before it failed (not part of the answer) */
  localPartial?: string;
}

import type { LocalErrorKind, SwarmErrorKind } from './errors';

export interface FailedResult extends HedgeFacts {
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
  /** what local streamed before it failed */
  localPartial?: string;
  cancelled?: boolean;
}

export type FallbackResult = LocalResult | SwarmResult | FailedResult;
