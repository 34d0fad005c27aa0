import type { SwarmError } from '../run/errors';
import type { Emit } from '../run/events';
import type { Payer } from '../wallet/types';
import type { ChatMessage } from '../chat-message';
import { SETTINGS } from '../settings-schema';

export const KIND_TEXT_GENERATION = 5050;
export const KIND_TEXT_RESULT = 6050;
export const KIND_FEEDBACK = 7000;
/** CLI.md --max-response-bytes */
export const DEFAULT_MAX_RESPONSE_BYTES = SETTINGS.maxResponseBytes.default;

export interface SwarmRequest {
  prompt: string;
  model: string;
  maxPriceMsats: number;
  relays: string[];
  /** hex pubkeys; empty = untargeted */
  providers: string[];
  encrypt: boolean;
  timeoutMs: number;
  /** after the first offer on an untargeted job, how long to collect others */
  offerWindowMs: number;
  /** the most text (UTF-8 bytes) one answer may bring (default 1 MiB): more and the provider is cut off */
  maxResponseBytes?: number;
  /**
   * A follow-up's whole conversation (earlier turns, then the prompt as the
   * last user message): the `i` tag then carries it as labelled plain text and
   * `["param","messages",JSON]` the same turns. Absent: the prompt alone.
   */
  messages?: ChatMessage[];
  /** extra NIP-90 params (e.g. temperature), sent as ["param", k, v] */
  params?: Record<string, string>;
}

export interface SwarmDeps {
  secretKey: Uint8Array;
  payer: Payer;
  emit: Emit;
  /** the job request's id, as soon as it is signed (before publishing) */
  onJobId?: (jobId: string) => void;
}

export type SwarmOutcome =
  | {
      ok: true;
      jobId: string;
      provider: string;
      costMsats: number;
      feesMsats: number;
      paymentBolt11: string | null;
      paymentPreimage: string | null;
      /** 'unconfirmed': the wallet did not say whether it paid; costMsats counts it in full */
      paymentState?: 'paid' | 'unconfirmed' | null;
      response: string;
      ttftMs: number | null;
      durationMs: number;
    }
  | {
      ok: false;
      error: SwarmError;
      jobId: string | null;
      provider: string | null;
      /** msats actually paid even though the job did not complete */
      costMsats: number;
      feesMsats: number;
      paymentBolt11: string | null;
      paymentState?: 'paid' | 'unconfirmed' | null;
      partial: string;
      durationMs: number;
    };

export interface SwarmLane {
  run(request: SwarmRequest, deps: SwarmDeps, signal: AbortSignal): Promise<SwarmOutcome>;
}
