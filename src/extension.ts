// activate() wires the views and commands; it stays light: the engine (sql.js,
// nostr-tools, ollama) is a separate bundle loaded on first use. Every
// disposable has one owner: context.subscriptions.
import * as vscode from 'vscode';
import { getPublicKey } from 'nostr-tools/pure';
import type { HistoryStore } from './history/types';
import { ChatSession, type AskOptions, type AskOutcome } from './vscode/chat-session';
import { ChatViewProvider, CHAT_VIEW_ID } from './vscode/chat-view';
import { registerCommands, errorActionHandler, type CommandDeps } from './vscode/commands';
import { Consent, type ConsentChoice } from './vscode/consent';
import { WindowEngine } from './vscode/window-engine';
import { MetricsPanel } from './vscode/metrics-panel';
import type { ChatEntry, ConsentChoice as ConsentAnswer, ConsentRequest } from './ui-model/protocol';
import { SecretsStore } from './vscode/secrets';
import { CostStatusBar, type StatusSnapshot } from './vscode/status-bar';
import { ModelSharing, type SharingStatus } from './vscode/model-sharing';
import { SharingStatusItem, type SharingSnapshot } from './vscode/sharing-status';
import { ProvidersList, type ProviderPick } from './vscode/providers-list';
import { registerConversationCommands } from './vscode/conversation-commands';
import { LmConsent, type LmConsentChoice } from './vscode/lm-consent';
import { SwarmLmProvider, registerLmProvider } from './vscode/lm-provider';
import { LocalGateway, registerGatewayCommands, type GatewayStatus } from './vscode/local-gateway';

/** What the extension exports (used by its integration tests). */
export interface SwarmComputeApi {
  ask(prompt: string, options?: AskOptions): Promise<AskOutcome | undefined>;
  stop(): boolean;
  readonly busy: boolean;
  setConsent(choice: ConsentChoice): Promise<void>;
  /** the consent card on screen, if any */
  consentRequest(): ConsentRequest | null;
  /** answers the open consent card as its buttons do; false when none is open */
  answerConsent(choice: ConsentAnswer): boolean;
  history(): Promise<HistoryStore>;
  /** where this window's history lives (the global storage, shared by every window) */
  readonly historyFile: string;
  refreshStatus(): Promise<StatusSnapshot>;
  /** the status bar as it stands, without probing */
  readonly status: StatusSnapshot | null;
  readonly chatReady: boolean;
  /** Share My Model: where it stands, and its status-bar item */
  sharing(): { status: SharingStatus; item: SharingSnapshot };
  /** the open Show Providers picker, if any */
  providerPicker(): { busy: boolean; items: ProviderPick[]; title: string | undefined } | null;
  /** the chat's entries as they stand (a copy) */
  entries(): ChatEntry[];
  /** every entry the chat is sent, as it is sent (each intermediate state too) */
  onDidShowEntry(listener: (entry: ChatEntry) => void): vscode.Disposable;
  /** "Ask the swarm too" on the waiting entry, as its button does; false when not offered */
  askSwarmToo(entryId: string): boolean;
  /** what the chat shows: the open conversation's entries, and its id (null: the next question begins one) */
  chatEntries(): Promise<ChatEntry[]>;
  readonly conversationId: string | null;
  /** true when the models are offered to VS Code's language model API (VS Code 1.104 and later) */
  readonly languageModelsRegistered: boolean;
  /** what a caller of the language model API chose in the swarm question ("Always Allow" / "Never"), per extension id */
  lmConsent(caller: string): LmConsentChoice | undefined;
  setLmConsent(caller: string, choice: LmConsentChoice | undefined): Promise<void>;
  /** Start/Stop Local Gateway: where it stands */
  gateway(): GatewayStatus;
}

let engines: WindowEngine | undefined;
let sharing: ModelSharing | undefined;
let localGateway: LocalGateway | undefined;

export function activate(context: vscode.ExtensionContext): SwarmComputeApi {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('Swarm Compute', { log: true });
  const secrets = new SecretsStore(context.secrets, context.globalState, (why) => {
    log.warn(
      `the Nostr key could not be kept in this VS Code's secret storage (${why === 'not-read-back' ? 'it could not be read back after saving' : 'the key made last time is gone'}); a new identity is made on every reload`,
    );
    const set = 'Set Nostr Key…';
    void vscode.window
      .showWarningMessage(
        "Swarm Compute: your Nostr key could not be kept in this VS Code's secret storage; it changes on every reload. Set Nostr Key… to use a key of your own (you will have to set it again after a reload here).",
        set,
      )
      .then((a) => {
        if (a === set) void vscode.commands.executeCommand('swarmCompute.setNostrKey');
      });
  });
  engines = new WindowEngine(context.globalStorageUri, secrets, log);
  // the consent card is the chat's (an awaited request); `chat` is made below, before anything can ask
  const consent: Consent = new Consent(context.globalState, (request, signal) => chat.askConsent(request, signal));
  const session: ChatSession = new ChatSession(engines, consent, secrets, log);
  const metrics = new MetricsPanel(context.extensionUri, engines, session);
  const share = (sharing = new ModelSharing(engines, secrets, log));
  const providers = new ProvidersList(
    engines,
    log,
    async () => getPublicKey(await secrets.nostrSecretKey()),
    () => secrets.nostrSecretKey(),
  );
  const chat: ChatViewProvider = new ChatViewProvider(context.extensionUri, session, errorActionHandler(session), log);
  const deps: CommandDeps = { session, consent, chat, engines, secrets, metrics, sharing: share, providers, log };
  const gateway = (localGateway = new LocalGateway(engines, log));
  const statusBar = new CostStatusBar(engines, session, log, share, gateway, secrets);
  const sharingItem = new SharingStatusItem(share);
  const lmConsent = new LmConsent(context.globalState, log);
  const lmProvider = new SwarmLmProvider(engines, lmConsent, log);
  // VS Code's language model API for providers is there from 1.104: feature-detected, nothing on 1.100
  const lmRegistration = registerLmProvider(lmProvider);

  context.subscriptions.push(
    log,
    secrets,
    engines,
    session,
    metrics,
    chat,
    statusBar,
    share,
    sharingItem,
    providers,
    gateway,
    ...registerGatewayCommands(gateway),
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chat),
    ...registerCommands(deps),
    ...registerConversationCommands(session, chat),
    chat.onDidBecomeVisible(() => void statusBar.refreshLocal()),
    statusBar.onDidChangeOllama(() => void chat.refreshModels()),
    lmProvider,
    ...(lmRegistration ? [lmRegistration, statusBar.onDidChangeOllama(() => lmProvider.refresh())] : []),
    session.onDidChange((e) => {
      if (e.type === 'busy') void vscode.commands.executeCommand('setContext', 'swarmCompute.busy', e.busy);
    }),
  );
  // Open the history shortly after start-up so the status bar can show today's spend.
  const warmUp = setTimeout(() => void engines?.get().catch(() => {}), 1500);
  context.subscriptions.push({ dispose: () => clearTimeout(warmUp) });
  log.info(
    `activated in ${Date.now() - started} ms (VS Code ${vscode.version}${vscode.env.remoteName ? `, ${vscode.env.remoteName} extension host` : ''}; language models ${lmRegistration ? 'offered to vscode.lm' : 'not offered: this VS Code has no provider API'})`,
  );

  const service = engines;
  return {
    ask: (prompt, options) => session.ask(prompt, options),
    stop: () => session.stop(),
    get busy() {
      return session.busy;
    },
    setConsent: (choice) => consent.set(choice),
    consentRequest: () => chat.consentShown,
    answerConsent: (choice) => {
      const shown = chat.consentShown;
      return shown !== null && chat.answerConsent(shown.id, choice);
    },
    history: async () => (await service.get()).history,
    historyFile: service.historyFile,
    refreshStatus: () => statusBar.refresh(),
    get status() {
      return statusBar.snapshot;
    },
    get chatReady() {
      return chat.isReady;
    },
    sharing: () => ({ status: share.status, item: sharingItem.update() }),
    providerPicker: () => providers.current,
    entries: () => session.entriesNow(),
    onDidShowEntry: (listener) => session.onDidChange((m) => m.type === 'entry' && listener(m.entry)),
    askSwarmToo: (entryId) => session.askSwarmToo(entryId),
    chatEntries: () => session.snapshot(),
    get conversationId() {
      return session.openConversationId;
    },
    languageModelsRegistered: lmRegistration !== undefined,
    lmConsent: (caller) => lmConsent.choiceOf(caller),
    setLmConsent: (caller, choice) => lmConsent.set(caller, choice),
    gateway: () => gateway.status,
  };
}

/** Stops sharing (the announcement is withdrawn), then waits for the engine to finish its runs and save the history. */
export async function deactivate(): Promise<void> {
  await localGateway?.stop();
  localGateway = undefined;
  await sharing?.stop();
  sharing = undefined;
  await engines?.close();
  engines = undefined;
}
