import { randomUUID } from 'node:crypto';
import type { Engine, EngineSettings, Logger, RunHandle, RunRequest, SwarmOutbound } from './api';
import { ConfigError } from '../fallback/errors';
import { FallbackManager, type FallbackTrace } from '../fallback/fallback-manager';
import type { RunEvent } from '../fallback/events';
import type { FallbackResult } from '../fallback/result';
import type { HistoryStore, JobRecord, NewJobRecord } from '../history/types';
import type { LocalLane } from '../local/types';
import type { SwarmLane } from '../swarm/types';
import type { Payer } from '../wallet/types';
import { EventChannel } from './event-channel';
import { fallbackConfigFor, validateSettings } from './settings';
import { lastLoadMs, localRecordFields } from './local-record';
import { pendingRecord } from './pending-record';
import {
  DEFAULT_CONTEXT_TOKENS,
  fitConversation,
  turnsFromMessages,
  turnsFromRows,
  withoutRetried,
  type FittedConversation,
  type Turn,
} from './conversation-turns';
import { ollamaContextTokens } from '../local/ollama-context';

export interface EngineParts {
  local: LocalLane;
  swarm: SwarmLane;
  history: HistoryStore;
  /**
   * A Payer for one run (its dedupe and reservations live as long as the
   * run; across runs the history is the record): with a wallet when nwcUri
   * is set, else one that refuses. `close` releases the wallet connection.
   */
  makePayer(nwcUri: string | null, settings: EngineSettings): { payer: Payer; close(): void };
  log: Logger;
}

/**
 * Runs one request through the FallbackManager and keeps exactly one history
 * row for it: inserted before anything is sent, finished when the run ends.
 */
export class EngineCore implements Engine {
  private readonly manager: FallbackManager;
  private settings: EngineSettings;
  private secretKey: Uint8Array;
  private nwcUri: string | null;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly parts: EngineParts,
    init: { settings: EngineSettings; secretKey: Uint8Array; nwcUri: string | null },
  ) {
    this.manager = new FallbackManager({ local: parts.local, swarm: parts.swarm });
    this.settings = init.settings;
    this.secretKey = init.secretKey;
    this.nwcUri = init.nwcUri;
  }

  get history(): HistoryStore {
    return this.parts.history;
  }

  updateSettings(settings: EngineSettings): void {
    this.settings = settings;
  }

  updateSecrets(secrets: { secretKey?: Uint8Array; nwcUri?: string | null }): void {
    if (secrets.secretKey) this.secretKey = secrets.secretKey;
    if (secrets.nwcUri !== undefined) this.nwcUri = secrets.nwcUri;
  }

  run(request: RunRequest, signal: AbortSignal = new AbortController().signal): RunHandle {
    const settings = { ...this.settings, model: request.model ?? this.settings.model };
    const mode = request.mode ?? settings.mode;
    validateSettings(settings, mode);
    if (!request.prompt.trim()) {
      throw new ConfigError('prompt must not be empty');
    }
    const config = fallbackConfigFor(settings, mode);
    const id = randomUUID();
    // a new conversation is named after its first run
    const conversationId = request.conversationId ?? id;
    const channel = new EventChannel<RunEvent>();
    const result = this.execute(id, conversationId, request, settings, config, signal, channel).finally(() => channel.close());
    this.running.add(result);
    void result.finally(() => this.running.delete(result)).catch(() => {});
    return { id, conversationId, events: channel, result };
  }

  /**
   * The turns before this one (from the caller, else the history) and this
   * run's turn number. A history that cannot be read costs the context, not
   * the run: it goes on as a first turn, with a warning.
   */
  private async earlierTurns(request: RunRequest, conversationId: string): Promise<{ turns: Turn[]; system: string | undefined; turn: number }> {
    let rows: JobRecord[] = [];
    if (request.conversationId !== undefined) {
      try {
        rows = await this.parts.history.conversation(conversationId);
      } catch (e) {
        this.parts.log.warn(`history: could not read conversation ${conversationId}; sending the prompt alone: ${(e as Error).message}`);
      }
    }
    const turn = rows.reduce((n, r) => Math.max(n, r.turn), 0) + 1;
    if (request.messages) {
      const given = turnsFromMessages(messagesBeforePrompt(request.messages, request.prompt));
      return { turns: given.turns, system: request.system ?? given.system, turn };
    }
    return { turns: withoutRetried(turnsFromRows(rows), request.prompt), system: request.system, turn };
  }

  private async execute(
    id: string,
    conversationId: string,
    request: RunRequest,
    settings: EngineSettings,
    config: ReturnType<typeof fallbackConfigFor>,
    signal: AbortSignal,
    channel: EventChannel<RunEvent>,
  ): Promise<FallbackResult> {
    const { history, log } = this.parts;
    const submittedAt = Date.now();
    const earlier = await this.earlierTurns(request, conversationId);
    let conversation: FittedConversation | null = null;
    if (earlier.turns.length > 0) {
      const contextTokens = (await ollamaContextTokens(settings.ollamaHost, settings.model, signal)) ?? DEFAULT_CONTEXT_TOKENS;
      conversation = fitConversation(earlier.turns, request.prompt, earlier.system, contextTokens);
      channel.push({
        type: 'context',
        conversationId,
        earlierTurns: conversation.earlierTurns,
        leftOutTurns: conversation.leftOutTurns,
        contextTokens,
      });
      if (conversation.leftOutTurns > 0) {
        log.info(
          `conversation ${conversationId}: ${conversation.leftOutTurns} earlier turn(s) left out to fit ${settings.model}'s context of ${contextTokens} tokens`,
        );
      }
    }
    // no earlier turn left to send: exactly a first turn (the prompt alone)
    const followUp = conversation !== null && conversation.earlierTurns > 0 ? conversation : null;
    const base: NewJobRecord = {
      ...pendingRecord(id, settings.model, request.prompt, submittedAt),
      question: request.question ?? request.prompt,
      localAttempted: config.mode !== 'swarm-only',
      conversationId,
      turn: earlier.turn,
      source: request.source ?? null,
      caller: request.caller ?? null,
    };
    // The local request does not wait for the row to be durable (it only
    // costs latency there); nothing goes to the swarm before it is, so a
    // crash after a job was sent or paid still leaves its row.
    const inserted = history.insert(base).catch((e) => log.error(`history: could not record the job: ${(e as Error).message}`));
    const confirmSwarm = async (outbound: SwarmOutbound, sig: AbortSignal) => {
      await inserted;
      return request.confirmSwarm ? request.confirmSwarm(outbound, sig) : true;
    };

    let publishedJobId: string | null = null;
    let paymentWarning: string | null = null;
    let pendingWrite: Promise<void> = inserted;
    const emit = (event: RunEvent) => {
      // the last refused payment's warning is kept with the row, shown again on past answers
      if (event.type === 'payment' && event.outcome === 'refused') paymentWarning = event.message;
      if (event.type === 'job') {
        publishedJobId = event.jobId;
        // The row carries the NIP-90 id from the moment a relay holds the job,
        // so a crash afterwards still leaves a findable trace.
        pendingWrite = pendingWrite
          .then(() => history.update(id, { jobId: event.jobId, state: 'processing', swarmStart: config.mode === 'swarm-only' ? 'direct' : 'fallback' }))
          .catch((e) => log.warn(`history: could not record job id: ${(e as Error).message}`));
      }
      channel.push(event);
    };

    let trace: FallbackTrace;
    const { payer, close: closePayer } = this.parts.makePayer(this.nwcUri, settings);
    try {
      trace = await this.manager.run(
        config,
        {
          prompt: request.prompt,
          model: settings.model,
          ollamaHost: settings.ollamaHost,
          system: earlier.system,
          lastLoadMs: () => lastLoadMs(history, settings.model),
          hedgeNow: request.hedgeNow,
          confirmRemoteModel: request.confirmRemoteModel,
          ...(followUp ? { messages: followUp.messages, earlierTurns: followUp.earlierTurns } : {}),
          confirmSwarm,
          swarm: {
            relays: settings.relays,
            providers: settings.providers,
            encrypt: settings.encrypt,
            timeoutMs: settings.swarmTimeoutSecs * 1000,
            offerWindowMs: settings.offerWindowSecs * 1000,
            maxResponseBytes: settings.maxResponseBytes,
          },
        },
        { secretKey: this.secretKey, payer },
        emit,
        signal,
      );
    } catch (e) {
      closePayer();
      // A bug, not a lane failure: keep the row honest, then surface it.
      await pendingWrite;
      await history.update(id, { state: 'failed', lane: 'failed', error: `internal error: ${(e as Error).message}`, completedAt: Date.now() });
      throw e;
    }
    closePayer();
    await pendingWrite;
    const completedAt = Date.now();
    await history.update(id, {
      ...recordPatch(trace, publishedJobId, paymentWarning, completedAt - submittedAt - trace.consentMs, completedAt),
      ...localRecordFields(trace),
    });
    return trace.result;
  }

  async recordUnstarted(reason: string, settingsModel = this.settings.model): Promise<string> {
    const id = randomUUID();
    const now = Date.now();
    await this.parts.history.insert({
      ...pendingRecord(id, settingsModel, '', now),
      state: 'cancelled',
      lane: 'failed',
      localAttempted: false,
      error: reason,
      durationMs: 0,
      completedAt: now,
    });
    return id;
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.running]);
    await this.parts.history.close();
  }
}

function recordPatch(
  trace: FallbackTrace,
  publishedJobId: string | null,
  paymentWarning: string | null,
  durationMs: number,
  completedAt: number,
): Partial<JobRecord> {
  const { result, local, swarm, cancelled } = trace;
  // A cancelled attempt is neither a success nor a failure of its lane.
  const localOutcome = local === null ? null : local.ok ? 'success' : local.error.kind === 'cancelled' ? null : 'failure';
  const swarmOutcome = swarm === null ? null : swarm.ok ? 'success' : swarm.error.kind === 'cancelled' ? null : 'failure';
  const errorParts: string[] = [];
  if (result.lane === 'failed') {
    if (result.localError) errorParts.push(`local: ${result.localError}`);
    if (result.swarmError) errorParts.push(`swarm: ${result.swarmError}`);
  }
  return {
    ...(publishedJobId ? { jobId: publishedJobId } : {}),
    state: cancelled ? 'cancelled' : result.lane === 'failed' ? 'failed' : 'completed',
    lane: result.lane,
    response: result.lane === 'failed' ? (result.partialResponse ?? null) : result.response,
    error: errorParts.length ? errorParts.join('; ') : null,
    localAttempted: local !== null,
    localOutcome,
    localError: local && !local.ok ? local.error.message : null,
    swarmStart: trace.swarmStart,
    swarmOutcome,
    swarmError: swarm && !swarm.ok ? swarm.error.message : null,
    provider: swarm ? swarm.provider : null,
    costMsats: swarm ? swarm.costMsats : 0,
    feesMsats: swarm ? swarm.feesMsats : 0,
    paymentBolt11: swarm ? swarm.paymentBolt11 : null,
    paymentPreimage: swarm && swarm.ok ? swarm.paymentPreimage : null,
    paymentState: swarm?.paymentState ?? null,
    ttftMs: local?.ok ? local.ttftMs : swarm?.ok ? swarm.ttftMs : local && !local.ok ? local.ttftMs : null,
    durationMs,
    completedAt,
    // the kinds behind the messages, so past conversations offer the same actions after a reload
    localErrorKind: local && !local.ok ? local.error.kind : null,
    swarmErrorKind: (result.lane === 'failed' ? result.swarmErrorKind : undefined) ?? (swarm && !swarm.ok ? swarm.error.kind : null),
    paymentWarning,
  };
}

/**
 * Callers of chat APIs (the gateway, VS Code's language model API) hand over
 * the whole conversation, the new question last; the engine sends `prompt`
 * itself as the last turn, so a trailing copy of it is not an earlier turn.
 */
function messagesBeforePrompt(messages: readonly import('./api').ChatMessage[], prompt: string): readonly import('./api').ChatMessage[] {
  const last = messages.at(-1);
  return last && last.role === 'user' && last.content === prompt ? messages.slice(0, -1) : messages;
}
