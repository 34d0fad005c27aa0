// The conversation of this window: runs prompts through the engine (asking
// for consent before anything goes to the swarm), turns the engine's event
// stream into chat entries, and tells the chat view and the status bar.
// It decides nothing about lanes itself: the engine does.
import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import type { Mode, RunRequest, SwarmOutbound } from '../engine/api';
import type { RunEvent } from '../fallback/events';
import type { FallbackResult } from '../fallback/result';
import type { ConversationSummary, JobRecord } from '../history/types';
import type { ChatEntry, ConsentRequest } from '../ui-model/protocol';
import type { WindowEngine } from './window-engine';
import type { Consent } from './consent';
import { formatSats } from '../ui-model/format';
import { readSettings } from './settings';
import { npubOf, shortNpub, type SecretsStore } from './secrets';
import { actionsForFailure } from '../ui-model/error-actions';
import { probeOllama, type OllamaStatus } from '../probes/ollama-status';
import { supersede, superseded, SwarmTooOffer } from '../ui-model/local-waiting';
import { entryFromRecord } from '../ui-model/chat-entry';

export { entryFromRecord } from '../ui-model/chat-entry';
import { questionFromPrompt } from '../ui-model/explain-prompt';
import { withTag } from '../ui-model/format';
import { supersededRows } from '../ui-model/entry-actions';
import { relaysOffline } from '../probes/offline-check';
import { findOnPath } from '../local/ollama-cli';
import { plainText } from '../ui-model/plain-text';
import { ollamaStartable } from '../ui-model/first-run';

export type SessionEvent =
  | { type: 'entry'; entry: ChatEntry; replaces?: string }
  | { type: 'token'; id: string; text: string }
  | { type: 'status'; id: string; lane: 'local' | 'swarm'; text: string }
  | { type: 'busy'; busy: boolean }
  | { type: 'finished'; entry: ChatEntry; result: FallbackResult }
  | { type: 'cleared' };

export interface AskOptions {
  /** markdown shown as the question; the prompt itself when absent */
  question?: string;
  /** begin a new conversation with this run (Explain Selection) instead of continuing the open one */
  newConversation?: boolean;
  mode?: Mode;
  system?: string;
  /** the entry this run takes the place of ("Never (local only)" answers in the refused entry's place) */
  replaces?: string;
  /** why the swarm is asked, for the consent card (else the engine's reason: the mode, or the local failure) */
  swarmReason?: string;
}

export interface AskOutcome {
  id: string;
  result: FallbackResult;
  entry: ChatEntry;
}

const CONVERSATIONS_LISTED = 100;

export class ChatSession implements vscode.Disposable {
  private entries: ChatEntry[] = [];
  private readonly prompts = new Map<string, string>();
  /** per run: ms spent waiting on the consent card, left out of the duration shown */
  private current: { id: string; controller: AbortController; hedgeNow?: AbortController } | null = null;
  private historyLoaded: Promise<void> | null = null;
  /** the conversation on screen, which a question typed in the chat continues; null: the next run begins one */
  private conversationId: string | null = null;
  /** per run: no relay answered before consent was asked, so nothing was asked or sent (said once, plainly) */
  private readonly offline = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<SessionEvent>();
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly engines: WindowEngine,
    private readonly consent: Consent,
    private readonly secrets: SecretsStore,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get busy(): boolean {
    return this.current !== null;
  }

  get openConversationId(): string | null {
    return this.conversationId;
  }

  /** The entries to show: the open conversation's turns (the newest conversation after a reload). */
  async snapshot(): Promise<ChatEntry[]> {
    await this.loadHistory();
    return this.entries.map((e) => ({ ...e }));
  }

  /** The entries as they are right now (call after loadHistory()). */
  entriesNow(): ChatEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  loadHistory(): Promise<void> {
    this.historyLoaded ??= (async () => {
      try {
        const engine = await this.engines.get();
        // after a reload the chat goes on where it was: the newest conversation is open again
        if (this.conversationId === null && this.entries.length === 0) this.conversationId = await engine.history.newestConversationId();
        const past = this.conversationId ? await this.pastEntries(this.conversationId) : [];
        const known = new Set(this.entries.map((e) => e.id));
        this.entries = [...past.filter((e) => !known.has(e.id)), ...this.entries];
      } catch (err) {
        this.historyLoaded = null;
        this.log.warn(`history not shown: ${message(err)}`);
      }
    })();
    return this.historyLoaded;
  }

  /** A conversation's turns as chat entries, oldest first. */
  private async pastEntries(conversationId: string): Promise<ChatEntry[]> {
    const engine = await this.engines.get();
    const records = await engine.history.conversation(conversationId);
    // rows kept after Clear History only to record money spent have no conversation left to show
    const kept = records.filter((r) => r.lane !== 'served' && r.prompt !== '');
    // a run refused and answered again (Never → local in the same entry) shows once
    const superseded = supersededRows(kept);
    const shown = kept.filter((r) => !superseded.has(r.id));
    const ollama = await this.ollamaNowIfNeeded(shown);
    const context = {
      walletConnected: (await this.secrets.nwcUri()) !== null,
      swarmRefused: this.consent.choice === 'never',
      ollamaInstalled: ollamaStartable(readSettings().ollamaHost, findOnPath('ollama') !== null),
    };
    return shown.map((r) => {
      this.prompts.set(r.id, r.prompt);
      return entryFromRecord(r, ollama, context);
    });
  }

  /** Past conversations, most recently active first. */
  async conversations(): Promise<ConversationSummary[]> {
    return (await this.engines.get()).history.conversations(CONVERSATIONS_LISTED);
  }

  /** "New chat": the chat empties and the next question begins a new conversation. false while answering. */
  newChat(): boolean {
    if (this.current) {
      void vscode.window.showInformationMessage('Swarm Compute is still answering: stop it first, then start a new chat.');
      return false;
    }
    this.show(null, []);
    return true;
  }

  /** Shows a past conversation; the next question continues it. false when it is not there (or while answering). */
  async openConversation(conversationId: string): Promise<boolean> {
    if (this.current) {
      void vscode.window.showInformationMessage('Swarm Compute is still answering: stop it first, then open another conversation.');
      return false;
    }
    await this.loadHistory();
    const entries = await this.pastEntries(conversationId);
    if (entries.length === 0) {
      void vscode.window.showWarningMessage('Swarm Compute: that conversation is no longer in the history.');
      return false;
    }
    this.show(conversationId, entries);
    this.log.info(`conversation ${conversationId} reopened (${entries.length} turn(s))`);
    return true;
  }

  /** Deletes one conversation (its money records stay, as Clear History keeps them); the chat empties when it was open. */
  async deleteConversation(conversationId: string): Promise<void> {
    if (this.conversationId === conversationId) this.stop();
    await (await this.engines.get()).history.deleteConversation(conversationId);
    this.log.info(`conversation ${conversationId} deleted`);
    if (this.conversationId === conversationId)
      this.show(
        null,
        this.entries.filter((e) => e.state === 'running'),
      );
  }

  private show(conversationId: string | null, entries: ChatEntry[]): void {
    this.conversationId = conversationId;
    this.entries = entries;
    this.emitter.fire({ type: 'cleared' });
    for (const e of this.entries) this.emitter.fire({ type: 'entry', entry: { ...e } });
  }

  /** Ollama as it is now, when a past run failed locally: its error's kind is not stored, so the actions come from what is true now. */
  private async ollamaNowIfNeeded(records: JobRecord[]): Promise<OllamaStatus | null> {
    // only rows from before the kinds were stored need Ollama as it is now
    if (!records.some((r) => r.state === 'failed' && r.localOutcome === 'failure' && r.localErrorKind === null)) return null;
    const host = readSettings().ollamaHost;
    return probeOllama(host, '', new AbortController().signal, 1500).catch(() => null);
  }

  stop(): boolean {
    if (!this.current) return false;
    this.log.info(`stopping ${this.current.id}`);
    this.current.controller.abort();
    return true;
  }

  /** "Ask the swarm too" on the waiting entry: the swarm job starts alongside local (consent first). */
  askSwarmToo(id: string): boolean {
    if (!this.current || this.current.id !== id || !this.current.hedgeNow || this.current.hedgeNow.signal.aborted) return false;
    this.log.info(`run ${id}: asking the swarm too`);
    this.current.hedgeNow.abort();
    const entry = this.entries.find((e) => e.id === id);
    if (entry) {
      entry.askSwarmToo = false;
      this.emit({ type: 'entry', entry });
    }
    return true;
  }

  clear(): void {
    // the conversation went with the history (a run still answering keeps it)
    if (!this.current) this.conversationId = null;
    this.entries = this.entries.filter((e) => e.state === 'running');
    this.emitter.fire({ type: 'cleared' });
    for (const e of this.entries) this.emitter.fire({ type: 'entry', entry: { ...e } });
  }

  promptOf(id: string): string | undefined {
    return this.prompts.get(id);
  }

  questionOf(id: string): string | undefined {
    return this.entries.find((e) => e.id === id)?.question;
  }

  /**
   * Runs one prompt. Resolves with the finished entry, or undefined when
   * nothing ran (busy, bad settings: the user was told).
   */
  async ask(prompt: string, options: AskOptions = {}): Promise<AskOutcome | undefined> {
    const outcome = await this.runOnce(prompt, options);
    // "Never (local only)" while nothing was tried locally (swarm only): the local model answers, in the same entry.
    if (outcome && this.answersLocallyNext(outcome.result)) {
      this.log.info(`run ${outcome.id}: the swarm was refused for good; asking the local model`);
      return this.runOnce(prompt, { ...options, mode: 'local-only', replaces: outcome.id });
    }
    return outcome;
  }

  private answersLocallyNext(r: FallbackResult): boolean {
    return r.lane === 'failed' && !r.cancelled && r.swarmErrorKind === 'declined' && r.localError === null && this.consent.choice === 'never';
  }

  private async runOnce(prompt: string, options: AskOptions): Promise<AskOutcome | undefined> {
    if (this.current) {
      void vscode.window.showInformationMessage('Swarm Compute is still answering: stop it first (Escape in the chat, or the stop button).');
      return undefined;
    }
    const controller = new AbortController();
    // Reserve the slot before the first await so two quick asks cannot both start.
    this.current = { id: '', controller };
    this.emitter.fire({ type: 'busy', busy: true });
    try {
      await this.loadHistory();
      const engine = await this.engines.get();
      const settings = readSettings();
      const mode: Mode = options.mode ?? settings.mode;
      if (controller.signal.aborted) return undefined;
      if (options.newConversation) this.show(null, []);

      let entry: ChatEntry | undefined;
      const hedgeNow = mode === 'fallback' ? new AbortController() : undefined;
      this.current.hedgeNow = hedgeNow;
      const request: RunRequest = {
        prompt,
        question: options.question,
        ...(this.conversationId ? { conversationId: this.conversationId } : {}),
        mode,
        system: options.system,
        ...(hedgeNow ? { hedgeNow: hedgeNow.signal } : {}),
        confirmRemoteModel: (info, signal) => this.confirmRemoteModel(entry, info, signal),
        // Nothing leaves the machine without consent: the engine asks right before it would.
        confirmSwarm: (outbound, signal) => this.confirmSwarm(entry, outbound, signal, options.swarmReason),
      };
      let handle;
      try {
        handle = engine.run(request, controller.signal);
      } catch (err) {
        this.log.error(`not sent: ${message(err)}`);
        const action = 'Open Settings';
        void vscode.window.showErrorMessage(`Swarm Compute: ${plainText(message(err))}`, action).then((a) => {
          if (a === action) void vscode.commands.executeCommand('workbench.action.openSettings', 'swarmCompute');
        });
        return undefined;
      }
      this.current.id = handle.id;
      this.conversationId = handle.conversationId;
      this.prompts.set(handle.id, prompt);
      entry = {
        id: handle.id,
        question: options.question ?? prompt,
        answer: '',
        state: 'running',
        lane: mode === 'swarm-only' ? 'swarm' : 'local',
        model: settings.model,
        provider: null,
        costMsats: 0,
        durationMs: null,
        status: null,
        error: null,
        submittedAt: Date.now(),
      };
      const at = options.replaces ? this.entries.findIndex((e) => e.id === options.replaces) : -1;
      if (at >= 0) this.entries[at] = entry;
      else this.entries.push(entry);
      this.emitter.fire({ type: 'entry', entry: { ...entry }, replaces: at >= 0 ? options.replaces : undefined });
      this.log.info(`run ${handle.id}: mode ${mode}, model ${settings.model}`);

      // half the first-token deadline without a token: offer "Ask the swarm too"
      const offer = hedgeNow
        ? new SwarmTooOffer((settings.localTimeoutSecs * 1000) / 2, () => {
            if (!entry || entry.state !== 'running' || entry.awaiting === 'consent' || entry.answer) return;
            entry.askSwarmToo = true;
            this.emit({ type: 'entry', entry });
          })
        : null;
      try {
        for await (const event of handle.events) {
          if (offer?.seen(event) && entry.askSwarmToo) {
            entry.askSwarmToo = false;
            this.emit({ type: 'entry', entry });
          }
          this.apply(entry, event);
        }
      } finally {
        offer?.dispose();
      }
      const result = await handle.result;
      await this.finish(entry, result);
      this.emitter.fire({ type: 'finished', entry: { ...entry }, result });
      return { id: entry.id, result, entry: { ...entry } };
    } catch (err) {
      this.log.error(`run failed: ${message(err)}`);
      void vscode.window.showErrorMessage(`Swarm Compute: ${plainText(message(err))}`);
      return undefined;
    } finally {
      this.current = null;
      this.emitter.fire({ type: 'busy', busy: false });
    }
  }

  /** The engine's consent hook: shows what would be sent, and says whether it may go. */
  private async confirmSwarm(entry: ChatEntry | undefined, outbound: SwarmOutbound, signal: AbortSignal, reason?: string): Promise<boolean> {
    const request = { ...consentRequest(outbound), ...(reason ? { reason } : {}) };
    if (this.consent.covers(request)) return true;
    // Asking to send where nothing can be reached helps no one: say it once, plainly, and send nothing.
    const offline = await relaysOffline(outbound.relays, signal);
    if (offline) {
      if (entry) this.offline.set(entry.id, offline);
      this.log.info(`swarm not asked: ${offline}`);
      return false;
    }
    if (entry) {
      entry.status = 'Waiting for your answer: send this prompt to the swarm?';
      entry.awaiting = 'consent';
      this.emit({ type: 'entry', entry });
    }
    let allowed = false;
    try {
      allowed = await this.consent.ask(request, signal);
    } finally {
      if (entry) {
        entry.awaiting = null;
        this.emit({ type: 'entry', entry });
      }
    }
    this.log.info(`swarm consent (${outbound.reason}): ${allowed ? 'given' : 'not given'}`);
    return allowed;
  }

  /** A cloud model (allowOllamaCloud): the prompt leaves the machine for `remoteHost`; ask first, naming it. */
  private async confirmRemoteModel(
    entry: ChatEntry | undefined,
    info: { model: string; remoteHost: string; prompt: string },
    signal: AbortSignal,
  ): Promise<boolean> {
    const request: ConsentRequest = {
      id: randomUUID(),
      prompt: info.prompt,
      model: info.model,
      relays: [],
      providers: [],
      maxPriceMsats: 0,
      encrypt: false,
      reason: `${info.model} is an Ollama cloud model: Ollama sends your prompt to ${info.remoteHost}, not to a model on this machine.`,
      remoteHost: info.remoteHost,
    };
    if (entry) {
      entry.status = `Waiting for your answer: send this prompt to ${info.remoteHost}?`;
      entry.awaiting = 'consent';
      this.emit({ type: 'entry', entry });
    }
    try {
      const allowed = await this.consent.askOnce(request, signal);
      this.log.info(`Ollama cloud consent (${info.model} at ${info.remoteHost}): ${allowed ? 'given' : 'not given'}`);
      return allowed;
    } finally {
      if (entry) {
        entry.awaiting = null;
        this.emit({ type: 'entry', entry });
      }
    }
  }

  private apply(entry: ChatEntry, event: RunEvent): void {
    switch (event.type) {
      case 'token':
        if (entry.lane !== event.lane) {
          entry.lane = event.lane;
          this.emit({ type: 'entry', entry });
        }
        entry.answer += event.text;
        this.emitter.fire({ type: 'token', id: entry.id, text: event.text });
        return;
      case 'status':
        if (event.state === 'fallback' && supersede(entry)) this.emit({ type: 'entry', entry });
        entry.lane = event.lane;
        entry.status = event.message;
        this.log.info(`[${event.lane}] ${event.state}: ${event.message}`);
        this.emitter.fire({ type: 'status', id: entry.id, lane: event.lane, text: event.message });
        return;
      case 'job':
        entry.lane = 'swarm';
        entry.status = `Job published to ${event.relays.length} relay(s), waiting for a provider…`;
        this.log.info(`job ${event.jobId} on ${event.relays.join(', ')}`);
        this.emitter.fire({ type: 'status', id: entry.id, lane: 'swarm', text: entry.status });
        return;
      case 'payment': {
        const who = shortNpub(event.provider);
        entry.status = event.outcome === 'paid' ? `Paid ${formatSats(event.amountMsats)} to ${who}` : `Refused to pay ${who}: ${event.message}`;
        if (event.outcome === 'paid') entry.costMsats += event.amountMsats;
        else {
          // kept after the run ends (the status line is not): the provider was not paid, and may not answer again
          entry.warning = `Not paid: ${who} asked for ${formatSats(event.amountMsats)}. ${event.message}`;
          this.emit({ type: 'entry', entry });
        }
        this.log.info(`payment ${event.outcome}: ${event.amountMsats} msats to ${event.provider} (${event.message})`);
        this.emitter.fire({ type: 'status', id: entry.id, lane: 'swarm', text: entry.status });
        return;
      }
      case 'context':
        if (event.leftOutTurns > 0) {
          entry.note =
            `${event.leftOutTurns} earlier turn${event.leftOutTurns === 1 ? '' : 's'} of this conversation ` +
            `left out to fit the model's context (${event.contextTokens} tokens); ${event.earlierTurns} sent with the question.`;
          this.emit({ type: 'entry', entry });
        }
        this.log.info(
          `conversation ${event.conversationId}: ${event.earlierTurns} earlier turn(s) sent, ${event.leftOutTurns} left out (context ${event.contextTokens} tokens)`,
        );
        return;
      case 'done':
        return;
    }
  }

  private async finish(entry: ChatEntry, result: FallbackResult): Promise<void> {
    entry.status = null;
    entry.askSwarmToo = false;
    if (entry.superseded) entry.superseded = superseded(entry.superseded.text, result.lane === 'swarm');
    if (result.lane === 'local') {
      Object.assign(entry, {
        state: 'completed',
        lane: 'local',
        answer: result.response,
        durationMs: result.durationMs,
        remoteHost: result.localRemoteHost ?? null,
      });
    } else if (result.lane === 'swarm') {
      Object.assign(entry, {
        state: 'completed',
        lane: 'swarm',
        answer: result.response,
        durationMs: result.durationMs,
        costMsats: result.costMsats,
        provider: shortNpub(result.provider),
      });
    } else if (this.answersLocallyNext(result)) {
      // not a failure: the local model answers next, in this entry's place
      entry.status = 'Local only from now on: asking your local model…';
      entry.awaiting = null;
      this.emit({ type: 'entry', entry });
      return;
    } else {
      entry.state = result.cancelled ? 'cancelled' : 'failed';
      entry.answer = result.partialResponse ?? entry.answer;
      if (result.swarmErrorKind === 'declined' && entry.lane === 'swarm') entry.lane = result.localError ? 'local' : null;
      if (!result.cancelled) {
        const offline = this.offline.get(entry.id);
        this.offline.delete(entry.id);
        const installed = ollamaStartable(readSettings().ollamaHost, findOnPath('ollama') !== null);
        // "start it with ollama serve" cannot help when there is no ollama program here
        const localError =
          result.localErrorKind === 'unavailable' && !installed
            ? `Ollama is not installed on this machine (${readSettings().ollamaHost} does not answer).`
            : result.localError;
        const parts = [localError && `Local: ${localError}`, offline ?? (result.swarmError && `Swarm: ${result.swarmError}`)].filter(Boolean);
        const actions = actionsForFailure(offline ? { ...result, swarmErrorKind: undefined } : result, {
          walletConnected: result.swarmErrorKind === 'payment-failed' && (await this.secrets.nwcUri()) !== null,
          swarmRefused: this.consent.choice === 'never',
          ollamaInstalled: installed,
        });
        entry.error = { message: parts.join('\n') || 'The run failed.', actions };
      }
      try {
        const record = await (await this.engines.get()).history.get(entry.id);
        if (record?.durationMs != null) entry.durationMs = record.durationMs;
        if (record?.costMsats) entry.costMsats = record.costMsats + record.feesMsats;
      } catch {
        // the entry keeps what the stream told
      }
    }
    // durationMs from the engine already leaves out the time spent on the consent card
    entry.awaiting = null;
    this.log.info(`run ${entry.id} ${entry.state} (${entry.lane ?? 'no lane'}, ${entry.durationMs ?? '?'} ms, ${entry.costMsats} msats)`);
    this.emit({ type: 'entry', entry });
  }

  private emit(event: { type: 'entry'; entry: ChatEntry }): void {
    this.emitter.fire({ type: 'entry', entry: { ...event.entry } });
  }

  dispose(): void {
    this.current?.controller.abort();
    this.emitter.dispose();
  }
}

/** The consent card's content: what the engine is about to send, with providers as npubs. */
export function consentRequest(outbound: SwarmOutbound): ConsentRequest {
  return {
    id: randomUUID(),
    prompt: outbound.prompt,
    model: outbound.model,
    relays: outbound.relays,
    providers: outbound.providers.map(npubOf),
    maxPriceMsats: outbound.maxPriceMsats,
    encrypt: outbound.encrypt,
    reason:
      outbound.reason === 'swarm only'
        ? 'The mode is “Swarm only”.'
        : /\(hedging\)/.test(outbound.reason)
          ? `Your local model is slow to start: ${outbound.reason}`
          : `Your local model could not answer: ${outbound.reason.replace(/^local inference failed: /, '')}`,
    ...(outbound.earlierTurns ? { earlierTurns: outbound.earlierTurns } : {}),
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
