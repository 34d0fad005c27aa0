import { planFor, type FallbackConfig } from './config';
import type { Emit } from './events';
import type { FailedResult, FallbackResult } from './result';
import type { SwarmOutbound } from '../engine-api';
import type { LocalLane, LocalOutcome, LocalProgress, LocalRequest } from '../local/types';
import { wordCount } from '../local/ollama-errors';
import { DEFAULT_LOCAL_STALL_SECS } from './config';
import type { SwarmDeps, SwarmLane, SwarmOutcome, SwarmRequest } from '../swarm/types';

export const FALLBACK_DISABLED = 'fallback disabled';
export const SWARM_DECLINED = 'not sent: sending this prompt to the swarm was declined';

export interface FallbackRequest {
  prompt: string;
  model: string;
  ollamaHost: string;
  system?: string;
  /** the conversation as chat messages for the local lane (absent: built from system + prompt) */
  messages?: LocalRequest['messages'];
  /** how long the model took to load last time (from history), for the waiting message */
  lastLoadMs?: () => Promise<number | null>;
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
        localRequest(config, request),
        signal,
        (text) => emit({ type: 'token', lane: 'local', text }),
        loadingReporter(request, emit),
      );
      if (local.ok) {
        const result = { lane: 'local' as const, response: local.response, durationMs: elapsed(), ...(local.remoteHost ? { localRemoteHost: local.remoteHost } : {}) };
        return this.finish(emit, { result, cancelled: false, local, swarm: null, swarmStart: null });
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
            localPartial: local!.ok ? undefined : local!.partial || undefined,
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
      // Any failure before the `done` chunk goes to the swarm, also after tokens
      // streamed: the half answer is kept as localPartial, never as the answer.
      emit({ type: 'status', lane: 'swarm', state: 'fallback', message: `Local inference failed${afterWords(local.partial)}: ${local.error.message} - falling back to marketplace` });
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
            reason: local && !local.ok ? `local inference failed${afterWords(local.partial)}: ${local.error.message}` : 'swarm only',
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
            ...localPartialOf(local),
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
        result: {
          lane: 'swarm',
          jobId: swarm.jobId,
          provider: swarm.provider,
          costMsats: swarm.costMsats,
          durationMs: elapsed(),
          response: swarm.response,
          ...localPartialOf(local),
        },
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
        ...localPartialOf(local),
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

/** The local lane's request: the first token has a deadline, a flowing stream only a stall watchdog. */
export function localRequest(config: FallbackConfig, request: FallbackRequest): LocalRequest {
  return {
    prompt: request.prompt,
    model: request.model,
    host: request.ollamaHost,
    timeoutMs: 0,
    firstTokenTimeoutMs: config.localTimeoutSecs * 1000,
    stallTimeoutMs: (config.localStallSecs ?? DEFAULT_LOCAL_STALL_SECS) * 1000,
    allowRemote: config.allowOllamaCloud === true,
    ...(request.system !== undefined ? { system: request.system } : {}),
    ...(request.messages !== undefined ? { messages: request.messages } : {}),
  };
}

/** Tells the user while a model loads (Ollama's /api/ps did not list it), with last time's load. */
export function loadingReporter(request: FallbackRequest, emit: Emit): (p: LocalProgress) => void {
  let tokenSeen = false;
  return (p) => {
    if (p.type === 'first-token') tokenSeen = true;
    if (p.type !== 'loaded' || p.loaded) return;
    const say = (lastMs: number | null) => {
      if (tokenSeen) return;
      const last = lastMs !== null && lastMs > 0 ? ` — took ${Math.max(1, Math.round(lastMs / 1000))} s last time` : ' (not in memory yet)';
      emit({ type: 'status', lane: 'local', state: 'loading', message: `loading ${p.model}${last}` });
    };
    if (!request.lastLoadMs) return say(null);
    void request.lastLoadMs().then(say, () => say(null));
  };
}

function afterWords(partial: string): string {
  const n = wordCount(partial);
  return n > 0 ? ` after ${n} word${n === 1 ? '' : 's'}` : '';
}

function localPartialOf(local: LocalOutcome | null): { localPartial?: string } {
  return local && !local.ok && local.partial ? { localPartial: local.partial } : {};
}
