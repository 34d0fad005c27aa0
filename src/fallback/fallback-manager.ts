import { planFor, type FallbackConfig } from './config';
import type { Emit } from './events';
import type { FailedResult, FallbackResult } from './result';
import type { ChatMessage, SwarmOutbound } from '../engine-api';
import type { LocalLane, LocalOutcome } from '../local/types';
import type { SwarmDeps, SwarmLane, SwarmOutcome, SwarmRequest } from '../swarm/types';

export const FALLBACK_DISABLED = 'fallback disabled';
export const SWARM_DECLINED = 'not sent: sending this prompt to the swarm was declined';

export interface FallbackRequest {
  prompt: string;
  model: string;
  ollamaHost: string;
  system?: string;
  /** the conversation for the local lane (RunRequest.messages) */
  messages?: ChatMessage[];
  /** everything the swarm lane needs beyond prompt/model/cap */
  swarm: Omit<SwarmRequest, 'prompt' | 'model' | 'maxPriceMsats'>;
  /** consent: asked right before the swarm lane runs; false = nothing is sent */
  confirmSwarm?: (outbound: SwarmOutbound, signal: AbortSignal) => Promise<boolean>;
}

/** What happened, in enough detail for the history row and metrics. */
export interface FallbackTrace {
  result: FallbackResult;
  /** how long the run waited on the consent question (not part of durationMs) */
  consentMs: number;
  cancelled: boolean;
  local: LocalOutcome | null;
  swarm: SwarmOutcome | null;
  swarmStart: 'direct' | 'fallback' | null;
}

/**
 * Decides the lane and runs it. Pure: no sockets of its own, no vscode; the
 * lanes are injected. Never throws for lane failures (only ConfigError for a
 * bad config, before anything runs).
 */
export class FallbackManager {
  constructor(
    private readonly lanes: { local: LocalLane; swarm: SwarmLane },
  ) {}

  async run(
    config: FallbackConfig,
    request: FallbackRequest,
    swarmDeps: Omit<SwarmDeps, 'emit'>,
    emit: Emit,
    signal: AbortSignal,
  ): Promise<FallbackTrace> {
    const plan = planFor(config);
    const started = Date.now();
    // Time spent waiting on the user's consent is not the job's: left out of durationMs.
    let consentMs = 0;
    const elapsed = () => Date.now() - started - consentMs;

    let local: LocalOutcome | null = null;
    if (plan !== 'swarm-only') {
      emit({ type: 'status', lane: 'local', state: 'started', message: `Asking ${request.model} on ${request.ollamaHost}` });
      local = await this.lanes.local.run(
        {
          prompt: request.prompt,
          model: request.model,
          host: request.ollamaHost,
          timeoutMs: config.localTimeoutSecs * 1000,
          system: request.system,
          ...(request.messages ? { messages: request.messages } : {}),
        },
        signal,
        (text) => emit({ type: 'token', lane: 'local', text }),
      );
      if (local.ok) {
        return this.finish(emit, { result: { lane: 'local', response: local.response, durationMs: elapsed() }, cancelled: false, local, swarm: null, swarmStart: null });
      }
      const cancelled = local.error.kind === 'cancelled' || signal.aborted;
      const stop = (swarmError: string | null, swarmErrorKind?: FailedResult['swarmErrorKind']): FallbackTrace =>
        this.finish(emit, {
          result: {
            lane: 'failed',
            localError: local!.ok ? null : local!.error.message,
            localErrorKind: local!.ok ? undefined : local!.error.kind,
            swarmError,
            swarmErrorKind,
            partialResponse: local!.ok ? undefined : local!.partial || undefined,
            cancelled: cancelled || undefined,
          },
          cancelled,
          local,
          swarm: null,
          swarmStart: null,
        });
      if (cancelled) return stop(plan === 'local-only' ? null : 'not attempted: cancelled', plan === 'local-only' ? undefined : 'cancelled');
      if (plan === 'local-only') return stop(null);
      if (plan === 'local-no-fallback') return stop(FALLBACK_DISABLED, 'disabled');
      // Never switch lanes mid-answer: the user already saw part of a local answer.
      if (local.partial.length > 0) return stop('not attempted: the local answer had already started streaming', 'not-attempted');
      emit({ type: 'status', lane: 'swarm', state: 'fallback', message: `Local inference failed: ${local.error.message} - falling back to marketplace` });
    }

    if (request.confirmSwarm) {
      const askedAt = Date.now();
      const allowed = await request
        .confirmSwarm(
          {
            prompt: request.prompt,
            model: request.model,
            relays: request.swarm.relays,
            providers: request.swarm.providers,
            encrypt: request.swarm.encrypt,
            maxPriceMsats: config.maxPriceMsats,
            reason: local && !local.ok ? `local inference failed: ${local.error.message}` : 'swarm only',
          },
          signal,
        )
        .catch(() => false);
      consentMs = Date.now() - askedAt;
      if (!allowed || signal.aborted) {
        const cancelled = signal.aborted;
        return this.finish(emit, {
          result: {
            lane: 'failed',
            localError: local && !local.ok ? local.error.message : null,
            localErrorKind: local && !local.ok ? local.error.kind : undefined,
            swarmError: cancelled ? 'not attempted: cancelled' : SWARM_DECLINED,
            swarmErrorKind: cancelled ? 'cancelled' : 'declined',
            cancelled: cancelled || undefined,
          },
          cancelled,
          local,
          swarm: null,
          swarmStart: null,
        }, consentMs);
      }
    }

    const swarm = await this.lanes.swarm.run(
      { ...request.swarm, prompt: request.prompt, model: request.model, maxPriceMsats: config.maxPriceMsats },
      { ...swarmDeps, emit },
      signal,
    );
    const swarmStart = local ? 'fallback' : 'direct';
    if (swarm.ok) {
      return this.finish(emit, {
        result: { lane: 'swarm', jobId: swarm.jobId, provider: swarm.provider, costMsats: swarm.costMsats, durationMs: elapsed(), response: swarm.response },
        cancelled: false,
        local,
        swarm,
        swarmStart,
      }, consentMs);
    }
    const cancelled = swarm.error.kind === 'cancelled' || signal.aborted;
    return this.finish(emit, {
      result: {
        lane: 'failed',
        localError: local && !local.ok ? local.error.message : null,
        localErrorKind: local && !local.ok ? local.error.kind : undefined,
        swarmError: swarm.error.message,
        swarmErrorKind: swarm.error.kind,
        partialResponse: swarm.partial || undefined,
        cancelled: cancelled || undefined,
      },
      cancelled,
      local,
      swarm,
      swarmStart,
    }, consentMs);
  }

  private finish(emit: Emit, trace: Omit<FallbackTrace, 'consentMs'>, consentMs = 0): FallbackTrace {
    emit({ type: 'done', result: trace.result });
    return { ...trace, consentMs };
  }
}
