// The sidebar chat: a webview view that shows the session's entries and
// streams answers. The webview script (webview/chat.ts → media/chat.js) only
// renders; every decision happens here or in the engine. Nothing is posted
// before the webview says `ready`; what happens meanwhile is sent in `init`.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { ChatSession, SessionEvent } from './chat-session';
import type { Consent } from './consent';
import type { ChatMode, ConsentChoice, ConsentRequest, ErrorAction, HostMessage, ModelList, WebviewMessage } from '../ui-model/protocol';
import { listModelPlaces } from '../probes/ollama-status';
import { withoutLatest } from '../ui-model/format';
import { readSettings, SECTION, writeSetting, MODES, usesSwarm } from './settings';
import { entryActions } from '../ui-model/entry-actions';
import { modelsProblem } from '../ui-model/first-run';
import { findOnPath } from '../local/ollama-cli';
import { insertAtCursor } from './insert-code';
import type { ChatEntry } from '../ui-model/protocol';

export const CHAT_VIEW_ID = 'swarmCompute.chat';

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | null = null;
  private ready = false;
  private readyWaiters: (() => void)[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private viewDisposables: vscode.Disposable[] = [];
  /** settings written from the webview; a send waits for them so it runs with what the user just picked */
  private settingsWrite: Promise<unknown> = Promise.resolve();
  private pendingConsent: { request: ConsentRequest; answer: (choice: ConsentChoice) => void } | null = null;
  /** the consent choice the posted entries' actions were worked out with */
  private actionsChoice: string | null = null;
  private readonly becameVisible = new vscode.EventEmitter<void>();
  /** the chat was shown again (the status bar looks at Ollama then) */
  readonly onDidBecomeVisible = this.becameVisible.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly session: ChatSession,
    private readonly consent: Consent,
    private readonly runAction: (action: ErrorAction, entryId: string) => Promise<void>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      session.onDidChange((e) => this.forward(e)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SECTION)) return;
        const s = readSettings();
        this.post({ type: 'settings', mode: s.mode, model: s.model });
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

  /** Shows the consent card in the chat; undefined when the chat could not be shown. */
  async askConsent(request: ConsentRequest, signal: AbortSignal): Promise<ConsentChoice | undefined> {
    if (signal.aborted) return 'cancel';
    if (!(await this.reveal())) return undefined;
    return new Promise<ConsentChoice>((resolve) => {
      const answer = (choice: ConsentChoice) => {
        if (this.pendingConsent?.request.id !== request.id) return;
        this.pendingConsent = null;
        this.post({ type: 'consentDone', id: request.id });
        resolve(choice);
      };
      this.pendingConsent?.answer('cancel');
      this.pendingConsent = { request, answer };
      signal.addEventListener('abort', () => answer('cancel'), { once: true });
      this.post({ type: 'consent', request });
    });
  }

  /** The consent card on screen (or waiting for the chat to open), if any. */
  get consentShown(): ConsentRequest | null {
    return this.pendingConsent?.request ?? null;
  }

  /** Answers the consent card, as its buttons do; false when no card with this id is open. */
  answerConsent(id: string, choice: ConsentChoice): boolean {
    if (this.pendingConsent?.request.id !== id) return false;
    this.pendingConsent.answer(choice);
    return true;
  }

  focusInput(): void {
    this.post({ type: 'focusInput' });
  }

  /** Edit and resend: the prompt goes back into the input, focused. */
  setDraft(text: string): void {
    this.post({ type: 'draft', text });
  }

  /** An entry as the webview shows it: with what can be done with it now. */
  private withActions(entry: ChatEntry): ChatEntry {
    return { ...entry, actions: entryActions(entry, { swarmRefused: this.consent.choice === 'never', mode: readSettings().mode }) };
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    for (const d of this.viewDisposables) d.dispose();
    this.view = view;
    this.ready = false;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview);
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
        // Read the entries and open the gate in one synchronous step, so no token falls between them.
        const s = readSettings();
        this.actionsChoice = this.consent.choice ?? null;
        const entries = this.session.entriesNow().map((e) => this.withActions(e));
        this.ready = true;
        this.post({
          type: 'init',
          entries,
          mode: s.mode,
          model: s.model,
          models,
          busy: this.session.busy,
          consent: this.pendingConsent?.request ?? null,
        });
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
        if (!MODES.includes(message.mode)) return;
        // Choosing a swarm mode by hand undoes an earlier "never": ask again before sending.
        if (usesSwarm(message.mode) && this.consent.choice === 'never') void this.consent.set(undefined);
        await this.write('mode', message.mode satisfies ChatMode);
        return;
      case 'setModel':
        if (message.model.trim()) await this.write('model', withoutLatest(message.model));
        return;
      case 'refreshModels':
        await this.sendModels();
        return;
      case 'action':
        await this.runAction(message.action, message.entryId);
        return;
      case 'consent':
        this.answerConsent(message.id, message.choice);
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

  private forward(e: SessionEvent): void {
    switch (e.type) {
      case 'entry':
        return this.post({ type: 'entry', entry: this.withActions(e.entry), replaces: e.replaces });
      case 'token':
        return this.post({ type: 'token', id: e.id, text: e.text });
      case 'status':
        return this.post({ type: 'status', id: e.id, lane: e.lane, text: e.text });
      case 'busy':
        return this.post({ type: 'busy', busy: e.busy });
      case 'cleared':
        return this.post({ type: 'cleared' });
      case 'finished': {
        // "Never" (or Reset Consent) changes what older entries offer: show them again with today's actions
        const choice = this.consent.choice ?? null;
        if (choice === this.actionsChoice) return;
        this.actionsChoice = choice;
        for (const entry of this.session.entriesNow()) this.post({ type: 'entry', entry: this.withActions(entry) });
        return;
      }
    }
  }

  private post(message: HostMessage): void {
    if (!this.view || !this.ready) return;
    this.view.webview.postMessage(message).then(undefined, (err) => this.log.warn(`chat view: ${String(err)}`));
  }

  private html(webview: vscode.Webview): string {
    const nonce = makeNonce();
    const uri = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', file)).toString();
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${uri('codicon.css')}" rel="stylesheet">
<link href="${uri('chat.css')}" rel="stylesheet">
<link href="${uri('highlight.css')}" rel="stylesheet">
<title>Swarm Compute Chat</title>
</head>
<body>
<div id="app" class="app">
  <div class="toolbar" role="toolbar" aria-label="Chat settings">
    <label class="picker"><span class="codicon codicon-settings-gear" aria-hidden="true"></span>
      <span class="visually-hidden">Mode</span>
      <select id="mode" aria-label="Mode: where answers come from"></select></label>
    <label class="picker"><span class="codicon codicon-hubot" aria-hidden="true"></span>
      <span class="visually-hidden">Model</span>
      <select id="model" aria-label="Model"></select></label>
    <button id="refresh-models" class="icon-button" title="Refresh the model list" aria-label="Refresh the model list"><span class="codicon codicon-refresh"></span></button>
  </div>
  <div id="models-error" class="models-error" role="status" hidden></div>
  <main id="log" class="log" role="log" aria-live="polite" aria-label="Conversation" tabindex="0"></main>
  <div id="empty" class="empty" hidden>
    <p><span class="codicon codicon-comment-discussion" aria-hidden="true"></span></p>
    <p>Ask anything. Answers come from your local model first, and from the Nostr compute marketplace when it cannot answer.</p>
    <p>Select code and run <strong>Swarm Compute: Explain Selection</strong> (Ctrl+Alt+E).</p>
    <p><button id="get-started" type="button" class="secondary"><span class="codicon codicon-rocket" aria-hidden="true"></span> Get started</button></p>
  </div>
  <section id="consent" class="consent" role="alertdialog" aria-labelledby="consent-title" aria-describedby="consent-what" hidden></section>
  <form id="composer" class="composer">
    <textarea id="prompt" rows="3" placeholder="Ask a question (Enter to send, Shift+Enter for a new line)" aria-label="Prompt"></textarea>
    <div class="composer-actions">
      <button id="send" type="submit" class="primary" aria-label="Send"><span class="codicon codicon-send"></span> Send</button>
      <button id="stop" type="button" class="secondary" aria-label="Stop the answer" hidden><span class="codicon codicon-debug-stop"></span> Stop</button>
    </div>
  </form>
</div>
<script nonce="${nonce}" src="${uri('chat.js')}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.becameVisible.dispose();
    for (const d of [...this.disposables, ...this.viewDisposables]) d.dispose();
  }
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}
