// The sidebar chat: a webview view that shows the session's entries. The
// webview script (webview/chat.ts → media/chat.js) only draws; every decision
// happens in the session, the policies of src/ui-model/ or the engine. Nothing
// is posted before the webview says `ready`; what happened meanwhile is sent
// in `init`. The consent card is an awaited request (ui-model/host-requests.ts).
import * as vscode from 'vscode';
import type { ChatSession } from './chat-session';
import type { ChatEntry, ChatMode, ConsentChoice, ConsentRequest, ErrorAction, HostMessage, ModelList, WebviewMessage } from '../ui-model/protocol';
import { HostRequestChannel } from '../ui-model/host-requests';
import { listModelPlaces } from '../probes/ollama-status';
import { withoutLatest } from '../text/format';
import { readSettings, SECTION, writeSetting, MODES } from './settings';
import { presentEntry } from '../ui-model/entry-actions';
import { swarmRefused } from '../ui-model/consent-policy';
import { modelsProblem } from '../ui-model/first-run';
import { findOnPath } from '../local/ollama-cli';
import { insertAtCursor } from './insert-code';
import { chatHtml } from './chat-html';

export const CHAT_VIEW_ID = 'swarmCompute.chat';

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | null = null;
  private ready = false;
  private readyWaiters: (() => void)[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private viewDisposables: vscode.Disposable[] = [];
  /** settings written from the webview; a send waits for them so it runs with what the user just picked */
  private settingsWrite: Promise<unknown> = Promise.resolve();
  private readonly requests = new HostRequestChannel((m) => this.post(m), { consent: 'cancel' });
  private readonly becameVisible = new vscode.EventEmitter<void>();
  /** the chat was shown again (the status bar looks at Ollama then) */
  readonly onDidBecomeVisible = this.becameVisible.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly session: ChatSession,
    private readonly runAction: (action: ErrorAction, entryId: string) => Promise<void>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      session.onDidChange((m) => this.post(m.type === 'entry' ? { type: 'entry', entry: this.present(m.entry) } : m)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SECTION)) return;
        const s = readSettings();
        this.post({ type: 'settings', mode: s.mode, model: s.model });
        // what an entry offers depends on the mode ("never" is local only): show them again
        if (e.affectsConfiguration(`${SECTION}.mode`)) session.showAgain();
        if (e.affectsConfiguration(`${SECTION}.ollamaHost`) || e.affectsConfiguration(`${SECTION}.model`)) void this.sendModels();
      }),
    );
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Opens the chat and resolves once its webview has said `ready` (or after `timeoutMs`). */
  async reveal(timeoutMs = 10_000): Promise<boolean> {
    if (this.view && this.ready) {
      this.view.show(true);
      return true;
    }
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (this.ready) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Shows the consent card in the chat and awaits its answer; undefined when the chat could not be shown. */
  async askConsent(request: ConsentRequest, signal: AbortSignal): Promise<ConsentChoice | undefined> {
    if (signal.aborted) return 'cancel';
    if (!(await this.reveal())) return undefined;
    return this.requests.request('consent', request.id, request, signal);
  }

  /** The consent card on screen (or waiting for the chat to open), if any. */
  get consentShown(): ConsentRequest | null {
    return this.requests.pending?.params ?? null;
  }

  /** Answers the consent card, as its buttons do; false when no card with this id is open. */
  answerConsent(id: string, choice: ConsentChoice): boolean {
    return this.requests.answer(id, choice);
  }

  focusInput(): void {
    this.post({ type: 'focusInput' });
  }

  /** Edit and resend: the prompt goes back into the input, focused. */
  setDraft(text: string): void {
    this.post({ type: 'draft', text });
  }

  /** An entry as the webview shows it: with what can be done with it now. */
  private present(entry: ChatEntry): ChatEntry {
    const mode = readSettings().mode;
    return presentEntry(entry, { swarmRefused: swarmRefused(mode), mode });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    for (const d of this.viewDisposables) d.dispose();
    this.view = view;
    this.ready = false;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = chatHtml(view.webview, this.extensionUri);
    this.viewDisposables = [
      view.webview.onDidReceiveMessage((m: WebviewMessage) => void this.receive(m)),
      view.onDidChangeVisibility(() => {
        if (!view.visible) return;
        void this.sendModels();
        this.becameVisible.fire();
      }),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = null;
          this.ready = false;
        }
      }),
    ];
  }

  private async receive(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready': {
        const [models] = await Promise.all([this.models(), this.session.loadHistory()]);
        // Read the entries and open the gate in one synchronous step, so no change falls between them.
        const s = readSettings();
        const entries = this.session.entriesNow().map((e) => this.present(e));
        this.ready = true;
        this.post({ type: 'init', entries, mode: s.mode, model: s.model, models, busy: this.session.busy, pending: this.requests.pending });
        for (const w of this.readyWaiters.splice(0)) w();
        return;
      }
      case 'send':
        await this.settingsWrite;
        if (message.prompt.trim()) await this.session.ask(message.prompt.trim());
        return;
      case 'stop':
        this.session.stop();
        return;
      case 'setMode':
        // choosing a swarm mode by hand is all it takes to undo "never" (it is the mode)
        if (MODES.includes(message.mode)) await this.write('mode', message.mode satisfies ChatMode);
        return;
      case 'setModel':
        if (message.model.trim()) await this.write('model', withoutLatest(message.model));
        return;
      case 'refreshModels':
        await this.sendModels();
        return;
      case 'action': {
        // "Edit and resend" stays in this view: the question goes back into its input
        const prompt = message.action === 'editResend' ? this.session.promptOf(message.entryId) : undefined;
        if (message.action === 'editResend') {
          if (prompt !== undefined) this.setDraft(prompt);
        } else await this.runAction(message.action, message.entryId);
        return;
      }
      case 'response':
        this.requests.receive(message);
        return;
      case 'askSwarmToo':
        this.session.askSwarmToo(message.entryId);
        return;
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        void vscode.window.setStatusBarMessage('$(check) Copied', 2000);
        return;
      case 'insert':
        await insertAtCursor(message.text);
        return;
    }
  }

  private write(key: string, value: unknown): Promise<unknown> {
    const next = this.settingsWrite.then(() => writeSetting(key, value)).catch((err) => this.log.warn(`setting ${key} not saved: ${String(err)}`));
    this.settingsWrite = next;
    return next;
  }

  private async models(): Promise<ModelList> {
    const s = readSettings();
    try {
      const { models, remote } = await listModelPlaces(s.ollamaHost, new AbortController().signal);
      return { models, ...(Object.keys(remote).length ? { remote } : {}), error: null };
    } catch (err) {
      const problem = modelsProblem(s.ollamaHost, err instanceof Error ? err.message : String(err), findOnPath('ollama') !== null);
      return { models: [], error: problem.message, action: problem.action };
    }
  }

  /** Lists the models again (Ollama came up or went away). */
  refreshModels(): Promise<void> {
    return this.sendModels();
  }

  private async sendModels(): Promise<void> {
    if (this.ready) this.post({ type: 'models', models: await this.models() });
  }

  private post(message: HostMessage): void {
    if (!this.view || !this.ready) return;
    this.view.webview.postMessage(message).then(undefined, (err) => this.log.warn(`chat view: ${String(err)}`));
  }

  dispose(): void {
    this.becameVisible.dispose();
    for (const d of [...this.disposables, ...this.viewDisposables]) d.dispose();
  }
}
