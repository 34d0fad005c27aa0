// Start Ollama, Pull the model and Install Ollama: each runs in a terminal of
// its own, where the user sees what runs (and, to install, presses Enter).
import * as vscode from 'vscode';
import { readSettings, SECTION } from './settings';
import { COMMANDS } from './command-ids';
import { checkModelName, findOnPath, ollamaHostEnv, quoteArg } from '../local/ollama-cli';
import { installPlan, type InstallPlan } from '../ui-model/first-run';

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
export async function runOllama(args: string[], log: vscode.LogOutputChannel): Promise<OllamaRun> {
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

export async function pullModel(model: string, log: vscode.LogOutputChannel): Promise<OllamaRun> {
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

/**
 * Install Ollama the way this platform does (the extension host's: where
 * Ollama must run): the command is typed into a terminal but not run, so the
 * user sees what it does before pressing Enter; else the download page.
 */
export async function installOllama(log: vscode.LogOutputChannel): Promise<InstallPlan> {
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
