import { randomUUID } from 'node:crypto';
import type { Engine, EngineSettings, Logger, RunHandle, RunRequest, SwarmConsent, SwarmOutbound } from './api';
import { ConfigError } from '../run/errors';
import { FallbackManager, type FallbackTrace } from '../fallback/fallback-manager';
import type { RunEvent } from '../run/events';
import type { FallbackResult } from '../run/result';
import type { HistoryStore, JobRecord, NewJobRecord } from '../history/types';
import type { LocalLane } from '../local/types';
import type { SwarmLane } from '../swarm/types';
import type { Payer } from '../wallet/types';
import { EventChannel } from './event-channel';
import { fallbackConfigFor, validateSettings } from './settings';
import { lastLoadMs } from './local-record';
import { summarizeRun, type RunSummary } from './finished-run';
import { recordPatch, totalsOf } from './row-patch';
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
    const submittedAt = Date.now();
    const done = this.execute(id, conversationId, request, settings, config, signal, channel, submittedAt).finally(() => channel.close());
    this.running.add(done);
    void done.finally(() => this.running.delete(done)).catch(() => {});
    const finished = done.then((d) => d.run);
    // a caller that only awaits the result does not leave `finished` rejected unobserved
    finished.catch(() => {});
    return { id, conversationId, submittedAt, events: channel, result: done.then((d) => d.result), finished };
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
    submittedAt: number,
  ): Promise<{ result: FallbackResult; run: RunSummary }> {
    const { history, log } = this.parts;
    const earlier = await this.earlierTurns(request, conversationId);
    let conversation: FittedConversation | null = null;
    let fitted: RunEvent | null = null;
    if (earlier.turns.length > 0) {
      const contextTokens = (await ollamaContextTokens(settings.ollamaHost, settings.model, signal)) ?? DEFAULT_CONTEXT_TOKENS;
      conversation = fitConversation(earlier.turns, request.prompt, earlier.system, contextTokens);
      fitted = { type: 'context', conversationId, earlierTurns: conversation.earlierTurns, leftOutTurns: conversation.leftOutTurns, contextTokens };
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
    // "Use local instead" (the consent card's Never): nothing is sent, and a run that tried nothing locally answers locally
    let localInstead = false;
    const confirmSwarm = async (outbound: SwarmOutbound, sig: AbortSignal) => {
      await inserted;
      let answer: SwarmConsent = true;
      try {
        if (request.confirmSwarm) answer = await request.confirmSwarm(outbound, sig);
      } catch (e) {
        // a question that could not be asked is not a yes; said, so a "declined" is never a mystery
        log.warn(`run ${id}: consent could not be asked, nothing is sent: ${(e as Error).message}`);
        answer = false;
      }
      if (answer === 'local') localInstead = config.mode === 'swarm-only';
      return answer === true;
    };

    const events: RunEvent[] = [];
    let pendingWrite: Promise<void> = inserted;
    const emit = (event: RunEvent) => {
      // the refused swarm-only attempt is not the run's end when the local model answers next
      if (event.type === 'done' && localInstead && event.result.lane === 'failed' && !event.result.cancelled) return;
      if (event.type === 'job') {
        // The row carries the NIP-90 id from the moment a relay holds the job,
        // so a crash afterwards still leaves a findable trace.
        pendingWrite = pendingWrite
          .then(() => history.update(id, { jobId: event.jobId, state: 'processing', swarmStart: config.mode === 'swarm-only' ? 'direct' : 'fallback' }))
          .catch((e) => log.warn(`history: could not record job id: ${(e as Error).message}`));
      }
      events.push(event);
      channel.push(event);
    };
    if (fitted) emit(fitted);

    let trace: FallbackTrace;
    const { payer, close: closePayer } = this.parts.makePayer(this.nwcUri, settings);
    const lanes = (c: typeof config, confirm?: typeof confirmSwarm) =>
      this.manager.run(
        c,
        {
          prompt: request.prompt,
          model: settings.model,
          ollamaHost: settings.ollamaHost,
          system: earlier.system,
          lastLoadMs: () => lastLoadMs(history, settings.model),
          hedgeNow: request.hedgeNow,
          confirmRemoteModel: request.confirmRemoteModel,
          ...(followUp ? { messages: followUp.messages, earlierTurns: followUp.earlierTurns } : {}),
          ...(confirm ? { confirmSwarm: confirm } : {}),
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
    try {
      trace = await lanes(config, confirmSwarm);
      if (localInstead && trace.result.lane === 'failed' && !trace.cancelled) {
        log.info(`run ${id}: the swarm was refused for good; asking the local model`);
        const asked = trace.consentMs;
        localInstead = false;
        trace = await lanes(fallbackConfigFor(settings, 'local-only'));
        trace = { ...trace, consentMs: trace.consentMs + asked };
      }
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
    const start = {
      id,
      question: base.question ?? request.prompt,
      model: settings.model,
      submittedAt,
      lane: config.mode === 'swarm-only' ? 'swarm' : 'local',
    } as const;
    const run = summarizeRun(start, events, totalsOf(trace, completedAt - submittedAt - trace.consentMs));
    await history.update(id, recordPatch(trace, run, completedAt));
    return { result: trace.result, run };
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

/**
 * Callers of chat APIs (the gateway, VS Code's language model API) hand over
 * the whole conversation, the new question last; the engine sends `prompt`
 * itself as the last turn, so a trailing copy of it is not an earlier turn.
 */
function messagesBeforePrompt(messages: readonly import('./api').ChatMessage[], prompt: string): readonly import('./api').ChatMessage[] {
  const last = messages.at(-1);
  return last && last.role === 'user' && last.content === prompt ? messages.slice(0, -1) : messages;
}
