// Diagnose Connection: is Ollama running (version, model pulled), which relay
// answers, is a wallet connected; each finding with what to do about it.
import * as vscode from 'vscode';
import { probeOllama, type OllamaStatus } from './ollama-probe';
import { probeRelays, type RelayStatus } from './relay-probe';
import { readSettings, usesLocal, usesSwarm } from './settings';
import type { SecretsStore } from './secrets';
import { MODE_LABELS } from './protocol';

export interface DiagnoseReport {
  mode: string;
  ollama: OllamaStatus & { host: string; model: string; advice: string | null };
  relays: (RelayStatus & { advice: string | null })[];
  walletConnected: boolean;
  npub: string;
  lines: string[];
}

export async function diagnose(secrets: SecretsStore, signal: AbortSignal): Promise<DiagnoseReport> {
  const s = readSettings();
  // Local only (and local without fallback) opens no relay connection, not even to diagnose
  const contactRelays = usesSwarm(s.mode);
  const [ollama, relays, wallet, npub] = await Promise.all([
    probeOllama(s.ollamaHost, s.model, signal, 5000),
    contactRelays ? probeRelays(s.relays, 6000) : Promise.resolve([]),
    secrets.nwcUri(),
    secrets.npub(),
  ]);
  const ollamaAdvice = !ollama.running
    ? `Start Ollama (\`ollama serve\`), install it from https://ollama.com/download, or set swarmCompute.ollamaHost if it runs elsewhere.`
    : !ollama.modelPulled
      ? `Pull the model: \`ollama pull ${s.model}\` (installed: ${ollama.models.join(', ') || 'none'}).`
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
    `Wallet (NWC): ${wallet ? 'connected' : 'not connected — paid providers are refused; run "Swarm Compute: Connect Wallet"'}`,
    `Nostr identity: ${npub}`,
  ];
  return {
    mode: s.mode,
    ollama: { ...ollama, host: s.ollamaHost, model: s.model, advice: ollamaAdvice },
    relays: relayRows,
    walletConnected: !!wallet,
    npub,
    lines,
  };
}

/** Runs the diagnosis with progress, logs it, and sums it up in a notification with the fixes. */
export async function diagnoseCommand(secrets: SecretsStore, log: vscode.LogOutputChannel): Promise<DiagnoseReport> {
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Swarm Compute: checking Ollama and relays…', cancellable: true },
    (_progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      return diagnose(secrets, controller.signal);
    },
  );
  for (const line of report.lines) log.info(line);
  const s = readSettings();
  const relaysUp = report.relays.filter((r) => r.reachable).length;
  const localPart = usesLocal(s.mode) ? `Ollama ${report.ollama.running ? (report.ollama.modelPulled ? 'ready' : 'running, model missing') : 'not running'}` : null;
  const swarmPart = usesSwarm(s.mode) ? `relays ${relaysUp}/${report.relays.length} reachable, wallet ${report.walletConnected ? 'connected' : 'not connected'}` : null;
  const summary = `Swarm Compute: ${[localPart, swarmPart].filter(Boolean).join('; ')}.`;
  const actions: string[] = ['Show Log'];
  if (usesLocal(s.mode) && !report.ollama.running) actions.push('Start Ollama');
  if (usesLocal(s.mode) && report.ollama.running && !report.ollama.modelPulled) actions.push('Pull Model');
  if (usesSwarm(s.mode) && !report.walletConnected) actions.push('Connect Wallet');
  const healthy = (!localPart || (report.ollama.running && report.ollama.modelPulled)) && (!swarmPart || relaysUp > 0);
  const show = healthy ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
  void show(summary, ...actions).then((choice) => {
    if (choice === 'Show Log') log.show(true);
    if (choice === 'Start Ollama') void vscode.commands.executeCommand('swarmCompute.startOllama');
    if (choice === 'Pull Model') void vscode.commands.executeCommand('swarmCompute.pullModel');
    if (choice === 'Connect Wallet') void vscode.commands.executeCommand('swarmCompute.connectWallet');
  });
  return report;
}
