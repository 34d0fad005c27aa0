import { randomUUID } from 'node:crypto';
import type { Engine, EngineSettings, Logger, RunHandle, RunRequest, SwarmOutbound } from '../engine-api';
import { ConfigError } from '../fallback/errors';
import { FallbackManager, type FallbackTrace } from '../fallback/fallback-manager';
import type { RunEvent } from '../fallback/events';
import type { FallbackResult } from '../fallback/result';
import type { HistoryStore, JobRecord } from '../history/types';
import type { LocalLane } from '../local/types';
import type { SwarmLane } from '../swarm/types';
import type { Payer } from '../wallet/types';
import { EventChannel } from './event-channel';
import { fallbackConfigFor, validateSettings } from './settings';

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
    const channel = new EventChannel<RunEvent>();
    const result = this.execute(id, request, settings, config, signal, channel).finally(() => channel.close());
    this.running.add(result);
    void result.finally(() => this.running.delete(result)).catch(() => {});
    return { id, events: channel, result };
  }

  private async execute(
    id: string,
    request: RunRequest,
    settings: EngineSettings,
    config: ReturnType<typeof fallbackConfigFor>,
    signal: AbortSignal,
    channel: EventChannel<RunEvent>,
  ): Promise<FallbackResult> {
    const { history, log } = this.parts;
    const submittedAt = Date.now();
    const base: JobRecord = {
      id,
      jobId: id,
      state: 'pending',
      lane: null,
      model: settings.model,
      prompt: request.prompt,
      response: null,
      error: null,
      localAttempted: !config.forceSwarm,
      localOutcome: null,
      localError: null,
      swarmStart: null,
      swarmOutcome: null,
      swarmError: null,
      provider: null,
      costMsats: 0,
      feesMsats: 0,
      paymentBolt11: null,
      paymentPreimage: null,
      ttftMs: null,
      durationMs: null,
      submittedAt,
      completedAt: null,
      localErrorKind: null,
      swarmErrorKind: null,
      paymentWarning: null,
      source: request.source ?? null,
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
          .then(() => history.update(id, { jobId: event.jobId, state: 'processing', swarmStart: config.forceSwarm ? 'direct' : 'fallback' }))
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
          system: request.system,
          confirmSwarm,
          swarm: {
            relays: settings.relays,
            providers: settings.providers,
            encrypt: settings.encrypt,
            timeoutMs: settings.swarmTimeoutSecs * 1000,
            offerWindowMs: settings.offerWindowSecs * 1000,
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
    await history.update(id, recordPatch(trace, publishedJobId, paymentWarning, completedAt - submittedAt - trace.consentMs, completedAt));
    return trace.result;
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
    response: result.lane === 'failed' ? result.partialResponse ?? null : result.response,
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
    ttftMs: local?.ok ? local.ttftMs : swarm?.ok ? swarm.ttftMs : local && !local.ok ? local.ttftMs : null,
    durationMs,
    completedAt,
    // the kinds behind the messages, so past conversations offer the same actions after a reload
    localErrorKind: local && !local.ok ? local.error.kind : null,
    swarmErrorKind: (result.lane === 'failed' ? result.swarmErrorKind : undefined) ?? (swarm && !swarm.ok ? swarm.error.kind : null),
    paymentWarning,
  };
}
