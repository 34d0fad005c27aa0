// The conversation of this window: which conversation is open, its entries,
// and one run at a time (chat-run.ts). It says what changed in the protocol's
// own words (SessionMessage), which the chat view posts as they are.
import * as vscode from 'vscode';
import type { Mode } from '../engine/api';
import type { ConversationSummary } from '../history/types';
import type { ChatEntry, SessionMessage } from '../ui-model/protocol';
import type { WindowEngine } from './window-engine';
import type { Consent } from './consent';
import type { SecretsStore } from './secrets';
import { readSettings } from './settings';
import { entryFromRecord } from '../ui-model/chat-entry';
import { supersededRows } from '../ui-model/entry-actions';
import { plainText } from '../ui-model/plain-text';
import { ChatRun, entryContext, type AskOutcome } from './chat-run';

export { entryFromRecord } from '../ui-model/chat-entry';
export type { AskOutcome } from './chat-run';

export interface AskOptions {
  /** markdown shown as the question; the prompt itself when absent */
  question?: string;
  /** begin a new conversation with this run (Explain Selection) instead of continuing the open one */
  newConversation?: boolean;
  mode?: Mode;
  system?: string;
  /** why the swarm is asked, for the consent card (else the engine's reason: the mode, or the local failure) */
  swarmReason?: string;
}

const CONVERSATIONS_LISTED = 100;

export class ChatSession implements vscode.Disposable {
  private entries: ChatEntry[] = [];
  private readonly prompts = new Map<string, string>();
  private current: { id: string; controller: AbortController; run?: ChatRun } | null = null;
  private historyLoaded: Promise<void> | null = null;
  /** the conversation on screen, which a question typed in the chat continues; null: the next run begins one */
  private conversationId: string | null = null;
  private readonly emitter = new vscode.EventEmitter<SessionMessage>();
  readonly onDidChange = this.emitter.event;
  private readonly finished = new vscode.EventEmitter<AskOutcome>();
  /** a run ended (the status bar looks again) */
  readonly onDidFinish = this.finished.event;

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
    return this.entriesNow();
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

  /** A conversation's turns as chat entries, oldest first: the rows as stored, no look at Ollama now. */
  private async pastEntries(conversationId: string): Promise<ChatEntry[]> {
    const engine = await this.engines.get();
    const records = await engine.history.conversation(conversationId);
    // rows kept after Clear History only to record money spent have no conversation left to show
    const kept = records.filter((r) => r.lane !== 'served' && r.prompt !== '');
    // a run refused and answered again (Never → local, recorded as two rows before the engine did it in one) shows once
    const superseded = supersededRows(kept);
    const context = await entryContext(this.secrets);
    return kept
      .filter((r) => !superseded.has(r.id))
      .map((r) => {
        this.prompts.set(r.id, r.prompt);
        return entryFromRecord(r, context);
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

  stop(): boolean {
    if (!this.current) return false;
    this.log.info(`stopping ${this.current.id}`);
    this.current.controller.abort();
    return true;
  }

  /** "Ask the swarm too" on the waiting entry: the swarm job starts alongside local (consent first). */
  askSwarmToo(id: string): boolean {
    if (this.current?.id !== id || !this.current.run?.askSwarmToo()) return false;
    this.log.info(`run ${id}: asking the swarm too`);
    return true;
  }

  clear(): void {
    // the conversation went with the history (a run still answering keeps it)
    this.show(
      this.current ? this.conversationId : null,
      this.entries.filter((e) => e.state === 'running'),
    );
  }

  /** Every entry again, as it is now (what an entry offers depends on the mode). */
  showAgain(): void {
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
      const run = new ChatRun({ consent: this.consent, secrets: this.secrets, log: this.log, show: (e) => this.put(e) }, mode, options.swarmReason);
      let handle;
      try {
        handle = engine.run(
          {
            prompt,
            question: options.question,
            ...(this.conversationId ? { conversationId: this.conversationId } : {}),
            mode,
            system: options.system,
            ...run.hooks(),
          },
          controller.signal,
        );
      } catch (err) {
        this.log.error(`not sent: ${message(err)}`);
        const action = 'Open Settings';
        void vscode.window.showErrorMessage(`Swarm Compute: ${plainText(message(err))}`, action).then((a) => {
          if (a === action) void vscode.commands.executeCommand('workbench.action.openSettings', 'swarmCompute');
        });
        return undefined;
      }
      this.current = { id: handle.id, controller, run };
      this.conversationId = handle.conversationId;
      this.prompts.set(handle.id, prompt);
      this.log.info(`run ${handle.id}: mode ${mode}, model ${settings.model}`);
      const outcome = await run.follow(handle, options.question ?? prompt, settings.model, settings.localTimeoutSecs);
      this.finished.fire(outcome);
      return outcome;
    } catch (err) {
      this.log.error(`run failed: ${message(err)}`);
      void vscode.window.showErrorMessage(`Swarm Compute: ${plainText(message(err))}`);
      return undefined;
    } finally {
      this.current = null;
      this.emitter.fire({ type: 'busy', busy: false });
    }
  }

  /** An entry added or changed. */
  private put(entry: ChatEntry): void {
    const at = this.entries.findIndex((e) => e.id === entry.id);
    if (at >= 0) this.entries[at] = entry;
    else this.entries.push(entry);
    this.emitter.fire({ type: 'entry', entry: { ...entry } });
  }

  dispose(): void {
    this.current?.controller.abort();
    this.emitter.dispose();
    this.finished.dispose();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
