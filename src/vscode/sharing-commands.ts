// Share My Model and Stop Sharing as the user meets them: asked first, told
// how it went, the fix at hand when it did not start.
import * as vscode from 'vscode';
import { readShareSettings, type ModelSharing, type ShareFix, type ShareOutcome } from './model-sharing';
import { SECTION } from './settings';
import { COMMANDS } from './command-ids';
import { formatSats } from '../text/format';
import { plainText } from '../ui-model/plain-text';

/** `confirmed`: the user already agreed to serve strangers (tests, a restart after a settings change) */
export interface ShareOptions {
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
export async function startSharing(sharing: ModelSharing, options: ShareOptions = {}): Promise<ShareOutcome | false> {
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

export async function stopSharing(sharing: ModelSharing): Promise<boolean> {
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
