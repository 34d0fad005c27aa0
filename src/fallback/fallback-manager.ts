import { checkFallbackConfig, DEFAULT_LOCAL_STALL_SECS, type FallbackConfig } from './config';
import type { Emit, RunEvent } from '../run/events';
import type { FailedResult, HedgeFacts } from '../run/result';
import { localError } from '../run/errors';
import { runHedged, type HedgeRun } from './hedge';
import type { SwarmOutbound } from './swarm-outbound';
import type { LocalLane, LocalOutcome, LocalProgress, LocalRequest } from '../local/types';
import { wordCount } from '../local/ollama-errors';
import type { SwarmDeps, SwarmLane, SwarmRequest } from '../swarm/types';
import { hedgeTrace, localFailure, localPartialOf, swarmTrace, type FallbackTrace } from './trace';

export type { FallbackTrace, HedgeTrace } from './trace';

export const FALLBACK_DISABLED = 'fallback disabled';
export const SWARM_DECLINED = 'not sent: sending this prompt to the swarm was declined';

export interface FallbackRequest {
  prompt: string;
  model: string;
  ollamaHost: string;
  system?: string;
  /** the conversation as chat messages for the local lane (absent: built from system + prompt) */
  messages?: LocalRequest['messages'];
  /** how many earlier turns `messages` carries (shown on the consent card) */
  earlierTurns?: number;
  /** asked before the prompt goes to a model Ollama serves from another machine (allowOllamaCloud) */
  confirmRemoteModel?: (info: { model: string; remoteHost: string; prompt: string }, signal: AbortSignal) => Promise<boolean>;
  /** aborting it starts the swarm job alongside a local attempt that has no token yet (fallback mode) */
  hedgeNow?: AbortSignal;
  /** how long the model took to load last time (from history), for the waiting message */
  lastLoadMs?: () => Promise<number | null>;
  /** everything the swarm lane needs beyond prompt/model/cap */
  swarm: Omit<SwarmRequest, 'prompt' | 'model' | 'maxPriceMsats'>;
  /** consent: asked right before the swarm lane runs; false = nothing is sent */
  confirmSwarm?: (outbound: SwarmOutbound, signal: AbortSignal) => Promise<boolean>;
}

/**
 * Decides the lane and runs it. Pure: no sockets of its own, no vscode; the
 * lanes are injected. Never throws for lane failures (only ConfigError for a
 * bad config, before anything runs).
 */
export class FallbackManager {
  constructor(
    private readonly lanes: { local: LocalLane; swarm: SwarmLane },
    /** the hedge timer (tests inject one they fire themselves) */
    private readonly setTimer?: (fn: () => void, ms: number) => () => void,
  ) {}

  async run(config: FallbackConfig, request: FallbackRequest, swarmDeps: Omit<SwarmDeps, 'emit'>, emit: Emit, signal: AbortSignal): Promise<FallbackTrace> {
    checkFallbackConfig(config);
    const { mode } = config;
    const started = Date.now();
    // Time spent waiting on the user's consent is not the job's: left out of durationMs.
    let consentMs = 0;
    const elapsed = () => Date.now() - started - consentMs;
    const swarmRequest: SwarmRequest = {
      ...request.swarm,
      prompt: request.prompt,
      model: request.model,
      maxPriceMsats: config.maxPriceMsats,
      // a follow-up's turns go to the swarm too (the i tag and the messages param)
      ...(request.messages && request.earlierTurns ? { messages: request.messages } : {}),
    };
    const outbound = (reason: string): SwarmOutbound => ({
      prompt: request.prompt,
      model: request.model,
      relays: request.swarm.relays,
      providers: request.swarm.providers,
      encrypt: request.swarm.encrypt,
      maxPriceMsats: config.maxPriceMsats,
      reason,
      ...(request.earlierTurns ? { earlierTurns: request.earlierTurns } : {}),
    });
    const hedgeAfterMs = mode === 'fallback' ? (config.hedgeAfterSecs ?? 0) * 1000 : 0;

    let local: LocalOutcome | null = null;
    let hedge: HedgeRun | null = null;
    let hedgeFacts: HedgeFacts = {};
    if (mode !== 'swarm-only') {
      emit({ type: 'status', lane: 'local', state: 'started', message: `Asking ${request.model} on ${request.ollamaHost}` });
      if (mode === 'fallback' && (hedgeAfterMs > 0 || request.hedgeNow)) {
        hedge = await runHedged(
          this.lanes,
          {
            afterMs: hedgeAfterMs,
            now: request.hedgeNow,
            localRequest: localRequest(config, request),
            swarmRequest,
            swarmDeps,
            outbound: outbound(
              hedgeAfterMs > 0
                ? `${request.model} sent no token within ${config.hedgeAfterSecs} s: the swarm is asked as well (hedging); the first to answer wins`
                : `${request.model} has sent no token yet: the swarm is asked as well (hedging); the first to answer wins`,
            ),
            confirmSwarm: request.confirmSwarm,
            onProgress: loadingReporter(request, emit),
            onLocalFailed: (failed) => emit(fallbackStatus(failed)),
            setTimer: this.setTimer,
          },
          emit,
          signal,
        );
        local = hedge.local;
        if (hedge.hedged) hedgeFacts = { hedged: true, ...(hedge.winner ? { hedgeWinner: hedge.winner } : {}) };
        if (hedge.winner === 'swarm' && !local.ok && local.error.kind === 'cancelled' && !signal.aborted) {
          // the loser: stopped on purpose, not a failure of the local model
          local = { ...local, error: localError('cancelled', 'stopped: the swarm answered first') };
        }
      } else {
        local = await this.lanes.local.run(
          localRequest(config, request),
          signal,
          (text) => emit({ type: 'token', lane: 'local', text }),
          loadingReporter(request, emit),
        );
      }
      if (local.ok) {
        const result = {
          lane: 'local' as const,
          response: local.response,
          durationMs: elapsed(),
          ...(local.remoteHost ? { localRemoteHost: local.remoteHost } : {}),
          ...hedgeFacts,
        };
        return this.finish(emit, { result, cancelled: false, local, swarm: hedge?.swarm ?? null, swarmStart: null, hedge: hedgeTrace(hedge) });
      }
      // the hedge's swarm job answered (or ended) after local failed or lost: that is the result
      if (hedge?.swarm && (hedge.winner === 'swarm' || hedge.winner === null)) {
        return this.finish(emit, swarmTrace(hedge.swarm, local, 'fallback', elapsed(), signal, hedgeFacts, hedge));
      }
      const cancelled = local.error.kind === 'cancelled' || signal.aborted;
      const stop = (swarmError: string | null, swarmErrorKind?: FailedResult['swarmErrorKind']): FallbackTrace =>
        this.finish(emit, {
          result: {
            lane: 'failed',
            ...localFailure(local),
            swarmError,
            swarmErrorKind,
            partialResponse: local!.ok ? undefined : local!.partial || undefined,
            localPartial: local!.ok ? undefined : local!.partial || undefined,
            cancelled: cancelled || undefined,
            ...hedgeFacts,
          },
          cancelled,
          local,
          swarm: hedge?.swarm ?? null,
          swarmStart: null,
          hedge: hedgeTrace(hedge),
        });
      if (cancelled) return stop(mode === 'local-only' ? null : 'not attempted: cancelled', mode === 'local-only' ? undefined : 'cancelled');
      if (mode === 'local-only') return stop(null);
      if (mode === 'local-no-fallback') return stop(FALLBACK_DISABLED, 'disabled');
      if (hedge?.consent === 'declined') return stop(SWARM_DECLINED, 'declined');
      // Any failure before the `done` chunk goes to the swarm, also after tokens
      // streamed: the half answer is kept as localPartial, never as the answer.
      if (!hedge?.hedged || hedge.winner === 'local') emit(fallbackStatus(local));
    }

    // consent given for the hedge's job covers this run's swarm job too
    if (request.confirmSwarm && hedge?.consent !== 'allowed') {
      const askedAt = Date.now();
      const allowed = await request
        .confirmSwarm(outbound(local && !local.ok ? `local inference failed${afterWords(local.partial)}: ${local.error.message}` : 'swarm only'), signal)
        .catch(() => false);
      consentMs = Date.now() - askedAt;
      if (!allowed || signal.aborted) {
        const cancelled = signal.aborted;
        return this.finish(
          emit,
          {
            result: {
              lane: 'failed',
              ...localFailure(local),
              swarmError: cancelled ? 'not attempted: cancelled' : SWARM_DECLINED,
              swarmErrorKind: cancelled ? 'cancelled' : 'declined',
              ...localPartialOf(local),
              cancelled: cancelled || undefined,
              ...hedgeFacts,
            },
            cancelled,
            local,
            swarm: null,
            swarmStart: null,
            hedge: hedgeTrace(hedge),
          },
          consentMs,
        );
      }
    }

    const swarm = await this.lanes.swarm.run(swarmRequest, { ...swarmDeps, emit }, signal);
    return this.finish(emit, swarmTrace(swarm, local, local ? 'fallback' : 'direct', elapsed(), signal, hedgeFacts, hedge), consentMs);
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
    ...(request.confirmRemoteModel
      ? {
          confirmRemote: (remoteHost: string, signal: AbortSignal) =>
            request.confirmRemoteModel!({ model: request.model, remoteHost, prompt: request.prompt }, signal),
        }
      : {}),
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

function fallbackStatus(local: LocalOutcome): RunEvent {
  const failed = local.ok ? null : local;
  return {
    type: 'status',
    lane: 'swarm',
    state: 'fallback',
    message: `Local inference failed${afterWords(failed?.partial ?? '')}: ${failed?.error.message ?? 'no answer'} - falling back to marketplace`,
  };
}
