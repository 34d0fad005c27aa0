// Set Nostr Key and Connect Wallet: the two secrets the user pastes, checked
// before they are kept (the wallet is asked first), kept in secret storage.
import * as vscode from 'vscode';
import { checkNwcUri, parseNostrSecretKey, type SecretsStore } from './secrets';
import { readSettings } from './settings';
import { COMMANDS } from './command-ids';
import { loadEngineModule } from './window-engine';
import { checkWallet, type WalletCheck } from '../probes/wallet-connection';
import { formatSats } from '../text/format';
import { plainText } from '../ui-model/plain-text';

/** `value` given (a test, a script): no input box, and no message when it worked. */
export async function setNostrKey(secrets: SecretsStore, log: vscode.LogOutputChannel, value?: string): Promise<boolean> {
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
}

/** `saveUnchecked`: keep the URI although the wallet did not answer ("Save Anyway"). */
export async function connectWallet(
  secrets: SecretsStore,
  log: vscode.LogOutputChannel,
  value?: string,
  options?: { saveUnchecked?: boolean },
): Promise<boolean> {
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
  if (check.ok) void vscode.window.showInformationMessage(`Swarm Compute: wallet connected. ${check.summary} Paid providers can answer, at most ${cap} a job.`);
  else void vscode.window.showWarningMessage(`Swarm Compute: wallet saved, but it did not answer (${check.message}). Payments fail until it does.`);
  return true;
}

/** NIP-47 get_info + get_balance against the wallet, with progress; short timeouts so a dead relay is told fast. */
export function askWallet(uri: string): Promise<WalletCheck> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Swarm Compute: asking the wallet…' }, () =>
      checkWallet(() => new (loadEngineModule().NwcClient)(uri, { timeoutMs: 15_000, connectTimeoutMs: 5_000, infoTimeoutMs: 5_000, idleCloseMs: 200 })),
    ),
  );
}
