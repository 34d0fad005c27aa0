// Every command of the extension, and what the chat's error actions do.
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import type { ChatSession } from './chat-session';
import type { Consent } from './consent';
import type { ChatViewProvider } from './chat-view';
import type { WindowEngine } from './window-engine';
import type { MetricsPanel } from './metrics-panel';
import type { ModelSharing, ShareFix, ShareOutcome } from './model-sharing';
import type { ProvidersList } from './providers-list';
import type { ErrorAction } from '../ui-model/protocol';
import { checkNwcUri, parseNostrSecretKey, type SecretsStore } from './secrets';
import { diagnoseCommand } from './diagnose';
import { explainSelection } from './explain';
import { readSettings, SECTION } from './settings';
import { readShareSettings } from './model-sharing';
import { formatSats } from '../ui-model/format';
import { checkModelName, findOnPath, ollamaHostEnv, quoteArg } from '../local/ollama-cli';
import { installPlan, type InstallPlan } from '../ui-model/first-run';
import { writeSetting } from './settings';
import { checkWallet, type WalletCheck } from '../probes/wallet-connection';
import { loadEngineModule } from './window-engine';
import { plainText } from '../ui-model/plain-text';
import { defaultExportPath, exportRows } from '../ui-model/history-export';

export interface CommandDeps {
  session: ChatSession;
  consent: Consent;
  chat: ChatViewProvider;
  engines: WindowEngine;
  secrets: SecretsStore;
  metrics: MetricsPanel;
  sharing: ModelSharing;
  providers: ProvidersList;
  log: vscode.LogOutputChannel;
}

export const COMMANDS = {
  explainSelection: 'swarmCompute.explainSelection',
  openChat: 'swarmCompute.openChat',
  showMetrics: 'swarmCompute.showMetrics',
  setNostrKey: 'swarmCompute.setNostrKey',
  connectWallet: 'swarmCompute.connectWallet',
  disconnectWallet: 'swarmCompute.disconnectWallet',
  diagnoseConnection: 'swarmCompute.diagnoseConnection',
  exportHistory: 'swarmCompute.exportHistory',
  clearHistory: 'swarmCompute.clearHistory',
  stop: 'swarmCompute.stop',
  startOllama: 'swarmCompute.startOllama',
  pullModel: 'swarmCompute.pullModel',
  showLog: 'swarmCompute.showLog',
  shareModel: 'swarmCompute.shareModel',
  stopSharing: 'swarmCompute.stopSharing',
  toggleSharing: 'swarmCompute.toggleSharing',
  showProviders: 'swarmCompute.showProviders',
  resetConsent: 'swarmCompute.resetConsent',
  installOllama: 'swarmCompute.installOllama',
  getStarted: 'swarmCompute.getStarted',
  useSwarmOnly: 'swarmCompute.useSwarmOnly',
} as const;

export const WALKTHROUGH = 'swarm-compute.swarm-compute#gettingStarted';

/** What Start Ollama / Pull the model did (the commands return it; tests read it). */
export type OllamaRun =
  | { ran: true; terminal: string; program: string; args: string[]; ollamaHost: string }
  | { ran: false; reason: 'bad-model' | 'bad-host' | 'not-installed'; message: string };

/**
 * Runs `ollama <args>` in a terminal of its own, against the configured
 * Ollama (OLLAMA_HOST from swarmCompute.ollamaHost). The program is started
 * directly, not through a shell, so nothing in the arguments is ever parsed
 * as a command; the model name is checked before that anyway.
 */
async function runOllama(args: string[], log: vscode.LogOutputChannel): Promise<OllamaRun> {
  const host = readSettings().ollamaHost;
  const ollamaHost = ollamaHostEnv(host);
  if (!ollamaHost) {
    const message = `swarmCompute.ollamaHost (${host}) is not an http:// or https:// URL.`;
    void vscode.window.showErrorMessage(`Swarm Compute: ${message}`);
    return { ran: false, reason: 'bad-host', message };
  }
  const program = findOnPath('ollama');
  if (!program) {
    const where = vscode.env.remoteName ? ` on the ${vscode.env.remoteName} machine` : '';
    const message = `The ollama program is not installed${where} (not found on PATH). Install Ollama, then try again.`;
    log.warn(`ollama ${args[0]}: ${message}`);
    const install = 'Install Ollama';
    void vscode.window.showWarningMessage(`Swarm Compute: ${message}`, install).then((a) => {
      if (a === install) void vscode.commands.executeCommand(COMMANDS.installOllama);
    });
    return { ran: false, reason: 'not-installed', message };
  }
  const name = `Ollama ${args[0]}`;
  const alive = vscode.window.terminals.find(
    (t) => t.name === name && t.exitStatus === undefined && (t.creationOptions as vscode.TerminalOptions).env?.OLLAMA_HOST === ollamaHost,
  );
  // `serve` already running against this host: show it rather than start a second one
  if (alive && args[0] === 'serve') {
    alive.show();
    return { ran: true, terminal: name, program, args, ollamaHost };
  }
  log.info(`running ${[program, ...args].map(quoteArg).join(' ')} with OLLAMA_HOST=${ollamaHost}`);
  const terminal = vscode.window.createTerminal({ name, shellPath: program, shellArgs: args, env: { OLLAMA_HOST: ollamaHost } });
  terminal.show();
  return { ran: true, terminal: name, program, args, ollamaHost };
}

async function pullModel(model: string, log: vscode.LogOutputChannel): Promise<OllamaRun> {
  const problem = checkModelName(model);
  if (problem) {
    log.warn(`not pulling: ${problem}`);
    const open = 'Open Settings';
    void vscode.window.showErrorMessage(`Swarm Compute: not pulled. ${problem}`, open).then((a) => {
      if (a === open) void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.model`);
    });
    return { ran: false, reason: 'bad-model', message: problem };
  }
  return runOllama(['pull', model], log);
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { session, chat, engines, secrets, metrics, sharing, providers, log } = deps;
  const reg = (id: string, fn: (...args: any[]) => unknown) => vscode.commands.registerCommand(id, fn);
  return [
    reg(COMMANDS.explainSelection, () => explainSelection(session, chat)),
    reg(COMMANDS.openChat, async () => {
      await chat.reveal();
      chat.focusInput();
    }),
    reg(COMMANDS.showMetrics, () => metrics.show()),
    reg(COMMANDS.stop, () => session.stop()),
    reg(COMMANDS.showLog, () => log.show(true)),

    reg(COMMANDS.setNostrKey, async (value?: string) => {
      const input =
        value ??
        (await vscode.window.showInputBox({
          title: 'Swarm Compute: Nostr secret key',
          prompt: "Your Nostr secret key (nsec1… or 64 hex characters). It is kept in VS Code's secret storage only. Leave empty to keep the current one.",
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) => (!v.trim() ? null : typeof parseNostrSecretKey(v) === 'string' ? (parseNostrSecretKey(v) as string) : null),
        }));
      if (!input?.trim()) return false;
      const key = parseNostrSecretKey(input);
      if (typeof key === 'string') {
        void vscode.window.showErrorMessage(`Swarm Compute: ${key}`);
        return false;
      }
      await secrets.setNostrSecretKey(key);
      const npub = await secrets.npub();
      log.info(`Nostr identity set: ${npub}`);
      if (value === undefined) void vscode.window.showInformationMessage(`Swarm Compute: Nostr identity set to ${npub}.`);
      return true;
    }),

    reg(COMMANDS.connectWallet, async (value?: string, options?: { saveUnchecked?: boolean }) => {
      const input =
        value ??
        (await vscode.window.showInputBox({
          title: 'Swarm Compute: connect a Lightning wallet (Nostr Wallet Connect)',
          prompt:
            'Paste the nostr+walletconnect://… connection string from your wallet (Alby, Mutiny, Coinos…). Kept in secret storage only; payments never exceed swarmCompute.maxPriceMsats per job.',
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) => (!v.trim() ? null : checkNwcUri(v)),
        }));
      if (!input?.trim()) return false;
      const problem = checkNwcUri(input);
      if (problem) {
        void vscode.window.showErrorMessage(`Swarm Compute: ${problem}`);
        return false;
      }
      // Ask the wallet before saying "connected": a well-formed URI with a dead relay is not a wallet.
      const check = await askWallet(input.trim());
      log.info(`wallet check: ${check.summary}`);
      if (!check.ok && options?.saveUnchecked !== true) {
        const again = 'Try Again';
        const anyway = 'Save Anyway';
        void vscode.window.showErrorMessage(`Swarm Compute: wallet not connected: ${plainText(check.summary)}`, again, anyway).then(async (a) => {
          if (a === again) await vscode.commands.executeCommand(COMMANDS.connectWallet, input.trim());
          if (a === anyway) await vscode.commands.executeCommand(COMMANDS.connectWallet, input.trim(), { saveUnchecked: true });
        });
        return false;
      }
      await secrets.setNwcUri(input.trim());
      log.info(check.ok ? 'wallet connected (NWC)' : 'wallet saved without a successful check');
      const cap = formatSats(readSettings().maxPriceMsats);
      if (check.ok)
        void vscode.window.showInformationMessage(`Swarm Compute: wallet connected. ${check.summary} Paid providers can answer, at most ${cap} a job.`);
      else void vscode.window.showWarningMessage(`Swarm Compute: wallet saved, but it did not answer (${check.message}). Payments fail until it does.`);
      return true;
    }),

    reg(COMMANDS.disconnectWallet, async () => {
      await secrets.setNwcUri(null);
      log.info('wallet disconnected');
      void vscode.window.showInformationMessage('Swarm Compute: wallet disconnected.');
    }),

    reg(COMMANDS.diagnoseConnection, () => diagnoseCommand(secrets, log, askWallet)),

    reg(COMMANDS.exportHistory, async (target?: vscode.Uri, options?: { includeServed?: boolean }) => {
      const history = (await engines.get()).history;
      const all = await history.exportAll();
      let includeServed = options?.includeServed ?? false;
      const served = all.filter((r) => r.lane === 'served').length;
      if (!target && served > 0 && options?.includeServed === undefined) {
        const leave = {
          label: 'Leave them out',
          description: 'recommended',
          detail: `The ${served} served job(s) keep only time, model, amount and outcome.`,
          include: false,
        };
        const keep = { label: 'Include them', detail: "Strangers' prompts and the answers your model gave them go into the file.", include: true };
        const picked = await vscode.window.showQuickPick([leave, keep], {
          title: `Export History: ${served} job(s) you served for others`,
          placeHolder: 'Their prompts are not yours to share: leave them out?',
          ignoreFocusOut: true,
        });
        if (!picked) return undefined;
        includeServed = picked.include;
      }
      const rows = exportRows(all, includeServed);
      const uri =
        target ??
        (await vscode.window.showSaveDialog({
          title: 'Export Swarm Compute history',
          // the home folder, not the workspace: an export there is easily committed by accident
          defaultUri: vscode.Uri.file(defaultExportPath(homedir())),
          filters: { JSON: ['json'] },
          saveLabel: 'Export',
        }));
      if (!uri) return undefined;
      await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify(rows, null, 2) + '\n'));
      log.info(
        `exported ${rows.length} history rows to ${uri.toString()}${served ? ` (served jobs' prompts ${includeServed ? 'included' : 'left out'})` : ''}`,
      );
      if (!target) {
        void vscode.window.showInformationMessage(`Swarm Compute: exported ${rows.length} jobs.`, 'Open').then((a) => {
          if (a === 'Open') void vscode.window.showTextDocument(uri);
        });
      }
      return uri;
    }),

    reg(COMMANDS.clearHistory, async (confirmed?: boolean) => {
      if (confirmed !== true) {
        const yes = 'Clear History';
        const answer = await vscode.window.showWarningMessage(
          'Delete every Swarm Compute job from the history? Spend totals and metrics start again from zero.',
          { modal: true },
          yes,
        );
        if (answer !== yes) return false;
      }
      await (await engines.get()).history.clear();
      session.clear();
      log.info('history cleared');
      return true;
    }),

    reg(COMMANDS.shareModel, (options?: ShareOptions) => startSharing(sharing, options)),
    reg(COMMANDS.stopSharing, () => stopSharing(sharing)),
    reg(COMMANDS.toggleSharing, (options?: ShareOptions) => (sharing.active ? stopSharing(sharing) : startSharing(sharing, options))),
    reg(COMMANDS.showProviders, () => providers.show()),
    reg(COMMANDS.resetConsent, async () => {
      const was = deps.consent.choice;
      await deps.consent.reset();
      log.info(`swarm consent reset (was ${was ?? 'ask each time'})`);
      void vscode.window.showInformationMessage('Swarm Compute: consent reset. You will be asked again before a prompt goes to the Nostr marketplace.');
      return true;
    }),

    reg(COMMANDS.startOllama, () => runOllama(['serve'], log)),
    reg(COMMANDS.installOllama, () => installOllama(log)),
    reg(COMMANDS.getStarted, () => vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH, false)),
    reg(COMMANDS.useSwarmOnly, async () => {
      await writeSetting('mode', 'swarm-only');
      log.info('mode set to swarm only (Get Started)');
      if (!(await secrets.nwcUri())) return vscode.commands.executeCommand<boolean>(COMMANDS.connectWallet);
      return true;
    }),
    reg(COMMANDS.pullModel, (model?: string) => pullModel(typeof model === 'string' ? model.trim() : readSettings().model, log)),
  ];
}

/** `confirmed`: the user already agreed to serve strangers (tests, a restart after a settings change) */
interface ShareOptions {
  confirmed?: boolean;
}

/**
 * Asks before this machine serves strangers, naming what it serves, for how
 * much and where. A quick pick, not a modal: it reads the same with a
 * keyboard and a screen reader, and Escape is "no".
 */
async function confirmSharing(): Promise<boolean> {
  const s = readShareSettings();
  const price = s.priceMsats > 0 ? `for ${formatSats(s.priceMsats)} a job` : 'for free';
  const where = s.relays.length === 1 ? `the relay ${s.relays[0]}` : `${s.relays.length} relays: ${s.relays.join(', ')}`;
  const start = {
    label: `$(broadcast) Start sharing ${s.model} ${price}`,
    detail: `Anyone on ${where} can send prompts that run on your Ollama (${s.ollamaHost}), ${s.maxConcurrent} at a time${s.priceMsats > 0 ? ', each once its invoice is paid to your wallet' : ''}.`,
    start: true,
  };
  const cancel = { label: 'Cancel', detail: 'Nothing is announced; no job reaches this machine.', start: false };
  const picked = await vscode.window.showQuickPick([start, cancel], {
    title: `Share ${s.model} with strangers on the Nostr marketplace ${price}?`,
    placeHolder: 'Their prompts and the answers are kept in your history; sharing stops when you stop it or close this window.',
    ignoreFocusOut: true,
  });
  return picked?.start === true;
}

/** Starts sharing and tells the user how it went, with the fix at hand when it did not start. */
async function startSharing(sharing: ModelSharing, options: ShareOptions = {}): Promise<ShareOutcome | false> {
  if (!sharing.active && options.confirmed !== true && !(await confirmSharing())) return false;
  const outcome = await sharing.start();
  const s = readShareSettings();
  if (outcome.ok) {
    const price = s.priceMsats > 0 ? `for ${formatSats(s.priceMsats)} a job` : 'for free';
    void vscode.window.showInformationMessage(
      `Swarm Compute: sharing ${s.model} with the swarm ${price} on ${outcome.relays.length} relay(s). It stops when you close this window.`,
    );
    return outcome;
  }
  void vscode.window
    .showErrorMessage(`Swarm Compute: cannot share ${s.model}: ${plainText(outcome.message)}`, ...outcome.fixes)
    .then(async (fix?: ShareFix) => {
      switch (fix) {
        case 'Connect Wallet':
          if (await vscode.commands.executeCommand<boolean>(COMMANDS.connectWallet)) await startSharing(sharing, { confirmed: true });
          return;
        case 'Pull Model':
          await vscode.commands.executeCommand(COMMANDS.pullModel, s.model);
          return;
        case 'Start Ollama':
          await vscode.commands.executeCommand(COMMANDS.startOllama);
          return;
        case 'Open Settings':
          await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.share`);
          return;
        case 'Diagnose Connection':
          await vscode.commands.executeCommand(COMMANDS.diagnoseConnection);
          return;
      }
    });
  return outcome;
}

async function stopSharing(sharing: ModelSharing): Promise<boolean> {
  if (!sharing.active) return false;
  const { running, queued, awaitingPayment } = sharing.status;
  if (running + queued + awaitingPayment > 0) {
    const stop = 'Stop Sharing';
    const answer = await vscode.window.showWarningMessage(
      `Stop sharing now? ${running} job(s) running and ${queued + awaitingPayment} waiting get a few seconds to finish, then an error reply.`,
      { modal: true },
      stop,
    );
    if (answer !== stop) return false;
  }
  const { model, completed, failed } = sharing.status;
  await sharing.stop();
  const served = `${completed} job${completed === 1 ? '' : 's'} answered${failed ? `, ${failed} failed` : ''}`;
  void vscode.window.showInformationMessage(
    `Swarm Compute: stopped sharing ${model ?? 'your model'} (${served}). Your announcement is withdrawn; no new jobs come in.`,
  );
  return true;
}

export function errorActionHandler(deps: CommandDeps): (action: ErrorAction, entryId: string) => Promise<void> {
  return async (action, entryId) => {
    switch (action) {
      case 'startOllama':
        await vscode.commands.executeCommand(COMMANDS.startOllama);
        return;
      case 'installOllama':
        await vscode.commands.executeCommand(COMMANDS.installOllama);
        return;
      case 'setup':
        await vscode.commands.executeCommand(COMMANDS.getStarted);
        return;
      case 'retry':
      case 'regenerate': {
        const prompt = deps.session.promptOf(entryId);
        if (prompt) await deps.session.ask(prompt, { question: deps.session.questionOf(entryId) });
        return;
      }
      case 'editResend': {
        const prompt = deps.session.promptOf(entryId);
        if (prompt !== undefined) deps.chat.setDraft(prompt);
        return;
      }
      case 'pullModel':
        await vscode.commands.executeCommand(COMMANDS.pullModel);
        return;
      case 'connectWallet':
        await vscode.commands.executeCommand(COMMANDS.connectWallet);
        return;
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', 'swarmCompute');
        return;
      case 'diagnose':
        await vscode.commands.executeCommand(COMMANDS.diagnoseConnection);
        return;
      case 'askSwarm': {
        const prompt = deps.session.promptOf(entryId);
        if (prompt)
          await deps.session.ask(prompt, { mode: 'swarm-only', question: deps.session.questionOf(entryId), swarmReason: 'You chose “Ask the swarm instead”.' });
        return;
      }
    }
  };
}

/**
 * Install Ollama the way this platform does (the extension host's: where
 * Ollama must run): the command is typed into a terminal but not run, so the
 * user sees what it does before pressing Enter; else the download page.
 */
async function installOllama(log: vscode.LogOutputChannel): Promise<InstallPlan> {
  const plan = installPlan(process.platform, (p) => findOnPath(p) !== null);
  log.info(`install Ollama: ${plan.command ?? plan.url}`);
  if (plan.command) {
    const terminal = vscode.window.createTerminal({ name: 'Install Ollama' });
    terminal.show();
    terminal.sendText(plan.command, false);
    void vscode.window.showInformationMessage(`Swarm Compute: ${plan.summary}`, 'Open Download Page').then((a) => {
      if (a) void vscode.env.openExternal(vscode.Uri.parse(plan.url));
    });
  } else {
    await vscode.env.openExternal(vscode.Uri.parse(plan.url));
    void vscode.window.showInformationMessage(`Swarm Compute: ${plan.summary}`);
  }
  return plan;
}

/** NIP-47 get_info + get_balance against the wallet, with progress; short timeouts so a dead relay is told fast. */
function askWallet(uri: string): Promise<WalletCheck> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Swarm Compute: asking the wallet…' }, () =>
      checkWallet(() => new (loadEngineModule().NwcClient)(uri, { timeoutMs: 15_000, connectTimeoutMs: 5_000, infoTimeoutMs: 5_000, idleCloseMs: 200 })),
    ),
  );
}
