// One prompt through the engine, as the chat shows it: the entry is the run's
// one shape (engine/finished-run.ts) folded from the engine's events, with
// what only the chat knows on top (waiting on the consent card, "Ask the
// swarm too"); once the run ends it is the engine's own summary. Consent goes
// through the policy (ui-model/consent-policy.ts); "Never" is carried out by
// the engine, in the same run. It decides nothing about lanes itself.
import * as vscode from 'vscode';
import type { Mode, RunHandle, RunRequest, SwarmConsent, SwarmOutbound } from '../engine/api';
import { foldRun, startRun, type RunSummary } from '../engine/finished-run';
import type { FallbackResult } from '../run/result';
import type { ChatEntry } from '../ui-model/protocol';
import { entryOfRun, NO_CONTEXT, type EntryContext } from '../ui-model/chat-entry';
import { consentRequest, remoteModelRequest, swarmRefused } from '../ui-model/consent-policy';
import { SwarmTooOffer } from '../ui-model/local-waiting';
import { ollamaStartable } from '../ui-model/first-run';
import { relaysOffline } from '../probes/offline-check';
import { findOnPath } from '../local/ollama-cli';
import type { Consent } from './consent';
import type { SecretsStore } from './secrets';
import { readSettings } from './settings';

export interface AskOutcome {
  id: string;
  result: FallbackResult;
  entry: ChatEntry;
}

/** What the chat knows about a running entry beyond the run itself. */
interface Overlay {
  /** the consent card is open: the entry says so */
  waiting: string | null;
  askSwarmToo: boolean;
  /** no relay answered before consent was asked, so nothing was asked or sent */
  offline: string | null;
}

export interface RunDeps {
  consent: Consent;
  secrets: SecretsStore;
  log: vscode.LogOutputChannel;
  /** the entry changed (shown in the chat) */
  show(entry: ChatEntry): void;
}

/** The entry's context for a failure's actions, as things are now. */
export async function entryContext(secrets: SecretsStore, offline: string | null = null, run?: RunSummary): Promise<EntryContext> {
  const s = readSettings();
  return {
    walletConnected: (!run || run.swarmErrorKind === 'payment-failed') && (await secrets.nwcUri()) !== null,
    swarmRefused: swarmRefused(s.mode),
    ollamaInstalled: ollamaStartable(s.ollamaHost, findOnPath('ollama') !== null),
    ollamaHost: s.ollamaHost,
    offline,
  };
}

/** One run of the chat: built before the engine starts it, so its hooks can reach the entry. */
export class ChatRun {
  private run: RunSummary | null = null;
  private readonly overlay: Overlay = { waiting: null, askSwarmToo: false, offline: null };
  readonly hedgeNow: AbortController | undefined;

  constructor(
    private readonly deps: RunDeps,
    readonly mode: Mode,
    private readonly swarmReason?: string,
  ) {
    this.hedgeNow = mode === 'fallback' ? new AbortController() : undefined;
  }

  /** The engine's hooks for this run. */
  hooks(): Pick<RunRequest, 'confirmSwarm' | 'confirmRemoteModel' | 'hedgeNow'> {
    return {
      ...(this.hedgeNow ? { hedgeNow: this.hedgeNow.signal } : {}),
      confirmRemoteModel: (info, signal) => this.confirmRemoteModel(info, signal),
      // Nothing leaves the machine without consent: the engine asks right before it would.
      confirmSwarm: (outbound, signal) => this.confirmSwarm(outbound, signal),
    };
  }

  get entry(): ChatEntry | null {
    if (!this.run) return null;
    const base = entryOfRun(this.run, { ...NO_CONTEXT, offline: this.overlay.offline });
    if (this.run.state !== 'running') return base;
    return {
      ...base,
      ...(this.overlay.waiting ? { status: this.overlay.waiting, awaiting: 'consent' as const } : {}),
      askSwarmToo: this.overlay.askSwarmToo,
    };
  }

  /** Follows the engine's events into the entry; resolves with the finished entry. */
  async follow(handle: RunHandle, question: string, model: string, localTimeoutSecs: number): Promise<AskOutcome> {
    this.run = startRun({ id: handle.id, question, model, submittedAt: handle.submittedAt, lane: this.mode === 'swarm-only' ? 'swarm' : 'local' });
    this.changed();
    // half the first-token deadline without a token: offer "Ask the swarm too"
    const offer = this.hedgeNow
      ? new SwarmTooOffer((localTimeoutSecs * 1000) / 2, () => {
          if (this.run?.state !== 'running' || this.overlay.waiting || this.run.answer) return;
          this.overlay.askSwarmToo = true;
          this.changed();
        })
      : null;
    try {
      for await (const event of handle.events) {
        if (offer?.seen(event)) this.overlay.askSwarmToo = false;
        this.run = foldRun(this.run, event);
        this.logEvent(event);
        // the run's end is shown once, below, with what can be done about it: a failure shown
        // from the bare event first (without "offline" or the actions that fit) flashed a wrong message
        if (event.type !== 'done') this.changed();
      }
    } finally {
      offer?.dispose();
    }
    const result = await handle.result;
    const finished = await handle.finished;
    this.overlay.askSwarmToo = false;
    this.overlay.waiting = null;
    const entry = entryOfRun(finished, await entryContext(this.deps.secrets, this.overlay.offline, finished));
    this.run = finished;
    this.deps.log.info(`run ${entry.id} ${entry.state} (${entry.lane ?? 'no lane'}, ${entry.durationMs ?? '?'} ms, ${entry.costMsats} msats)`);
    this.deps.show(entry);
    return { id: entry.id, result, entry };
  }

  /** "Ask the swarm too" on the waiting entry: the swarm job starts alongside local (consent first). */
  askSwarmToo(): boolean {
    if (!this.hedgeNow || this.hedgeNow.signal.aborted) return false;
    this.hedgeNow.abort();
    this.overlay.askSwarmToo = false;
    this.changed();
    return true;
  }

  private changed(): void {
    const entry = this.entry;
    if (entry) this.deps.show(entry);
  }

  private logEvent(event: Parameters<typeof foldRun>[1]): void {
    const { log } = this.deps;
    if (event.type === 'status') log.info(`[${event.lane}] ${event.state}: ${event.message}`);
    else if (event.type === 'job') log.info(`job ${event.jobId} on ${event.relays.join(', ')}`);
    else if (event.type === 'payment') log.info(`payment ${event.outcome}: ${event.amountMsats} msats to ${event.provider} (${event.message})`);
    else if (event.type === 'context')
      log.info(
        `conversation ${event.conversationId}: ${event.earlierTurns} earlier turn(s) sent, ${event.leftOutTurns} left out (context ${event.contextTokens} tokens)`,
      );
  }

  /** The engine's consent hook: the policy says send or ask; the card shows what would be sent. */
  private async confirmSwarm(outbound: SwarmOutbound, signal: AbortSignal): Promise<SwarmConsent> {
    const step = this.deps.consent.step(consentRequest(outbound, this.swarmReason));
    if (step.verdict === 'allow') return true;
    // Asking to send where nothing can be reached helps no one: say it once, plainly, and send nothing.
    const offline = await relaysOffline(outbound.relays, signal);
    if (offline) {
      this.overlay.offline = offline;
      this.deps.log.info(`swarm not asked: ${offline}`);
      return false;
    }
    const answer = await this.waitingOn('Waiting for your answer: send this prompt to the swarm?', () => this.deps.consent.ask(step.request, signal));
    this.deps.log.info(`swarm consent (${outbound.reason}): ${answer === true ? 'given' : answer === 'local' ? 'never: local only' : 'not given'}`);
    return answer;
  }

  /** A cloud model (allowOllamaCloud): the prompt leaves the machine for `remoteHost`; ask first, naming it. */
  private async confirmRemoteModel(info: { model: string; remoteHost: string; prompt: string }, signal: AbortSignal): Promise<boolean> {
    const allowed = await this.waitingOn(`Waiting for your answer: send this prompt to ${info.remoteHost}?`, () =>
      this.deps.consent.ask(remoteModelRequest(info), signal),
    );
    this.deps.log.info(`Ollama cloud consent (${info.model} at ${info.remoteHost}): ${allowed === true ? 'given' : 'not given'}`);
    return allowed === true;
  }

  private async waitingOn<T>(status: string, ask: () => Promise<T>): Promise<T> {
    this.overlay.waiting = status;
    this.changed();
    try {
      return await ask();
    } finally {
      this.overlay.waiting = null;
      this.changed();
    }
  }
}
