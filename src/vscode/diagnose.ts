// Diagnose Connection: is Ollama running (version, model pulled), which relay
// answers, is a wallet connected; each finding with what to do about it.
import * as vscode from 'vscode';
import { probeOllama, type OllamaStatus } from '../probes/ollama-status';
import { probeRelays, type RelayStatus } from '../probes/relay-probe';
import { readSettings, usesLocal, usesSwarm } from './settings';
import type { SecretsStore } from './secrets';
import { MODE_LABELS } from '../ui-model/protocol';
import type { WalletCheck } from '../probes/wallet-connection';
import { formatSats } from '../text/format';
import { findOnPath } from '../local/ollama-cli';

export interface DiagnoseReport {
  mode: string;
  ollama: OllamaStatus & { host: string; model: string; advice: string | null };
  relays: (RelayStatus & { advice: string | null })[];
  walletConnected: boolean;
  /** what the wallet answered (get_info, get_balance); null when none is connected */
  wallet: WalletCheck | null;
  npub: string;
  lines: string[];
}

export type WalletAsker = (uri: string) => Promise<WalletCheck>;

export async function diagnose(secrets: SecretsStore, signal: AbortSignal, askWallet?: WalletAsker): Promise<DiagnoseReport> {
  const s = readSettings();
  // Local only (and local without fallback) opens no relay connection, not even to diagnose
  const contactRelays = usesSwarm(s.mode);
  const [ollama, relays, wallet, npub] = await Promise.all([
    probeOllama(s.ollamaHost, s.model, signal, 5000),
    contactRelays ? probeRelays(s.relays, 6000) : Promise.resolve([]),
    secrets.nwcUri(),
    secrets.npub(),
  ]);
  const walletCheck = wallet && askWallet ? await askWallet(wallet) : null;
  const ollamaAdvice = !ollama.running
    ? findOnPath('ollama')
      ? 'Start Ollama (ollama serve), or set swarmCompute.ollamaHost if it runs elsewhere.'
      : 'Install Ollama (Swarm Compute: Install Ollama, or https://ollama.com/download), or set swarmCompute.ollamaHost if it runs elsewhere.'
    : !ollama.modelPulled
      ? `Pull the model: ollama pull ${s.model} (installed: ${ollama.models.join(', ') || 'none'}).`
      : null;
  const relayRows = relays.map((r) => ({
    ...r,
    advice: r.reachable ? null : 'Check the URL and your network, or remove this relay from swarmCompute.relays.',
  }));
  const lines = [
    `Swarm Compute diagnosis — mode: ${MODE_LABELS[s.mode]}`,
    `Ollama at ${s.ollamaHost}: ${ollama.running ? `running, version ${ollama.version ?? '?'}` : `not reachable (${ollama.error})`}` +
      (ollama.running ? `; model ${s.model} ${ollama.modelPulled ? 'pulled' : 'NOT pulled'}` : ''),
    ...(ollamaAdvice ? [`  → ${ollamaAdvice}`] : []),
    ...(contactRelays
      ? []
      : [
          `Relays: not contacted — in mode ${MODE_LABELS[s.mode]} nothing connects to a relay` +
            (s.relays.length > 0 ? ` (would contact: ${s.relays.join(', ')}; choose a mode that uses the swarm to check them)` : ''),
        ]),
    ...relayRows.flatMap((r) => [
      `Relay ${r.url}: ${r.reachable ? `reachable (${r.latencyMs} ms)` : `NOT reachable (${r.error})`}`,
      ...(r.advice ? [`  → ${r.advice}`] : []),
    ]),
    `Wallet (NWC): ${
      !wallet
        ? 'not connected: paid providers are refused; run "Swarm Compute: Connect Wallet"'
        : walletCheck
          ? walletCheck.ok
            ? walletCheck.summary
            : `NOT answering: ${walletCheck.summary}`
          : 'saved (not checked)'
    }`,
    `Nostr identity: ${npub}`,
  ];
  return {
    mode: s.mode,
    ollama: { ...ollama, host: s.ollamaHost, model: s.model, advice: ollamaAdvice },
    relays: relayRows,
    walletConnected: !!wallet,
    wallet: walletCheck,
    npub,
    lines,
  };
}

/** Runs the diagnosis with progress, logs it, and sums it up in a notification with the fixes. */
export async function diagnoseCommand(secrets: SecretsStore, log: vscode.LogOutputChannel, askWallet?: WalletAsker): Promise<DiagnoseReport> {
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Swarm Compute: checking Ollama and relays…', cancellable: true },
    (_progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      return diagnose(secrets, controller.signal, askWallet);
    },
  );
  for (const line of report.lines) log.info(line);
  const s = readSettings();
  const relaysUp = report.relays.filter((r) => r.reachable).length;
  const localPart = usesLocal(s.mode)
    ? `Ollama ${report.ollama.running ? (report.ollama.modelPulled ? 'ready' : 'running, model missing') : 'not running'}`
    : null;
  const walletWord = !report.walletConnected
    ? 'not connected'
    : report.wallet?.ok === false
      ? 'not answering'
      : report.wallet?.ok
        ? `answering${report.wallet.balanceMsats !== null ? ` (${formatSats(report.wallet.balanceMsats)})` : ''}`
        : 'connected';
  const swarmPart = usesSwarm(s.mode) ? `relays ${relaysUp}/${report.relays.length} reachable, wallet ${walletWord}` : null;
  const summary = `Swarm Compute: ${[localPart, swarmPart].filter(Boolean).join('; ')}.`;
  const actions: string[] = ['Show Log'];
  const installed = findOnPath('ollama') !== null;
  if (usesLocal(s.mode) && !report.ollama.running) actions.push(installed ? 'Start Ollama' : 'Install Ollama');
  if (usesLocal(s.mode) && report.ollama.running && !report.ollama.modelPulled) actions.push('Pull Model');
  if (usesSwarm(s.mode) && (!report.walletConnected || report.wallet?.ok === false)) actions.push('Connect Wallet');
  const healthy = (!localPart || (report.ollama.running && report.ollama.modelPulled)) && (!swarmPart || (relaysUp > 0 && report.wallet?.ok !== false));
  const show = healthy ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  void show(summary, ...actions).then((choice) => {
    if (choice === 'Show Log') log.show(true);
    if (choice === 'Start Ollama') void vscode.commands.executeCommand('swarmCompute.startOllama');
    if (choice === 'Install Ollama') void vscode.commands.executeCommand('swarmCompute.installOllama');
    if (choice === 'Pull Model') void vscode.commands.executeCommand('swarmCompute.pullModel');
    if (choice === 'Connect Wallet') void vscode.commands.executeCommand('swarmCompute.connectWallet');
  });
  return report;
}
