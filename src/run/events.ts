// The vocabulary of a run, below every lane and the history: the events a run
// emits (RunEvent), the job states, and what a run ended with.
import type { FallbackResult } from './result';

export type Lane = 'local' | 'swarm';

/** Job states as stored in history and shown in views (CLI.md `history`). */
export type JobState = 'pending' | 'payment-required' | 'processing' | 'completed' | 'failed' | 'cancelled';

/**
 * One request produces one stream of these. Every view (CLI, chat, status bar)
 * consumes the stream; none re-implements a decision.
 */
export type RunEvent =
  | { type: 'status'; lane: Lane; state: JobState | 'started' | 'fallback' | 'loading' | 'hedge'; message: string }
  | { type: 'token'; lane: Lane; text: string }
  | { type: 'job'; jobId: string; relays: string[] } // the NIP-90 job request was accepted by these relays
  | {
      type: 'payment';
      jobId: string;
      provider: string;
      amountMsats: number;
      outcome: 'paid' | 'refused';
      message: string;
    }
  /**
   * A follow-up: how many earlier turns of the conversation go with the
   * prompt, and how many were left out (oldest first) to fit the model's
   * context of `contextTokens` (estimated as 4 characters a token).
   */
  | { type: 'context'; conversationId: string; earlierTurns: number; leftOutTurns: number; contextTokens: number }
  | { type: 'done'; result: FallbackResult };

export type Emit = (event: RunEvent) => void;
