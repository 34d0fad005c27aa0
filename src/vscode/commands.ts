// Registers every command of the extension (the ids: command-ids.ts), and
// says what the chat's error actions do. The longer commands live by idea:
// ollama-commands.ts, sharing-commands.ts, wallet-commands.ts.
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import type { ChatSession } from './chat-session';
import type { Consent } from './consent';
import type { ChatViewProvider } from './chat-view';
import type { WindowEngine } from './window-engine';
import type { MetricsPanel } from './metrics-panel';
import type { ModelSharing } from './model-sharing';
import type { ProvidersList } from './providers-list';
import type { ErrorAction } from '../ui-model/protocol';
import type { SecretsStore } from './secrets';
import { diagnoseCommand } from './diagnose';
import { explainSelection } from './explain';
import { readSettings, writeSetting } from './settings';
import { COMMANDS, WALKTHROUGH } from './command-ids';
import { installOllama, pullModel, runOllama } from './ollama-commands';
import { startSharing, stopSharing, type ShareOptions } from './sharing-commands';
import { askWallet, connectWallet, setNostrKey } from './wallet-commands';
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

    reg(COMMANDS.setNostrKey, (value?: string) => setNostrKey(secrets, log, value)),

    reg(COMMANDS.connectWallet, (value?: string, options?: { saveUnchecked?: boolean }) => connectWallet(secrets, log, value, options)),

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

/** What the chat's error actions do (the chat view keeps "Edit and resend" itself: it fills its own input). */
// The error actions that only open another command, with its arguments.
const ACTION_COMMANDS: Partial<Record<ErrorAction, readonly [string, ...unknown[]]>> = {
  startOllama: [COMMANDS.startOllama],
  installOllama: [COMMANDS.installOllama],
  setup: [COMMANDS.getStarted],
  pullModel: [COMMANDS.pullModel],
  connectWallet: [COMMANDS.connectWallet],
  openSettings: ['workbench.action.openSettings', 'swarmCompute'],
  diagnose: [COMMANDS.diagnoseConnection],
};

export function errorActionHandler(session: ChatSession): (action: ErrorAction, entryId: string) => Promise<void> {
  return async (action, entryId) => {
    const command = ACTION_COMMANDS[action];
    if (command) {
      await vscode.commands.executeCommand(...command);
      return;
    }
    // The rest ask again; 'editResend' is handled by the chat view itself.
    const prompt = action === 'editResend' ? undefined : session.promptOf(entryId);
    if (!prompt) return;
    const question = session.questionOf(entryId);
    if (action === 'askSwarm') {
      await session.ask(prompt, { mode: 'swarm-only', question, swarmReason: 'You chose “Ask the swarm instead”.' });
    } else if (action === 'retry' || action === 'regenerate') {
      await session.ask(prompt, { question });
    }
  };
}
