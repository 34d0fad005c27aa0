// The first-run picture: is anything set up yet (a local model ready, a
// wallet, or an answer ever given), and how Ollama is installed on the
// machine the extension runs on. No vscode here: unit-tested on its own.

export interface SetupFacts {
  /** the ollama program is on PATH */
  ollamaInstalled: boolean;
  /** what the last Ollama probe saw (null: not probed, e.g. swarm only) */
  ollama: { running: boolean; modelPulled: boolean } | null;
  walletConnected: boolean;
  /** answers ever given (local + swarm successes in the history); null while the history is not open */
  answers: number | null;
  /** Share My Model is on: something is set up */
  sharing?: boolean;
}

/** Nothing is configured yet: show "set up", not an alarm. */
export function needsSetup(f: SetupFacts): boolean {
  const localReady = f.ollama?.running === true && f.ollama.modelPulled;
  if (localReady || f.walletConnected || f.sharing) return false;
  // an answer was given before (a free provider, or Ollama now stopped): this is not a first start
  return f.answers === null || f.answers === 0;
}

/** The context keys the walkthrough's steps complete on. */
export function setupContext(f: SetupFacts): Record<string, boolean> {
  return {
    'swarmCompute.ollamaInstalled': f.ollamaInstalled || f.ollama?.running === true,
    'swarmCompute.ollamaRunning': f.ollama?.running === true,
    'swarmCompute.modelPulled': f.ollama?.running === true && f.ollama.modelPulled,
    'swarmCompute.walletConnected': f.walletConnected,
    'swarmCompute.needsSetup': needsSetup(f),
  };
}

export interface InstallPlan {
  /** what the terminal is given (typed, not run: the user reads it and presses Enter) */
  command: string | null;
  /** opened in the browser when there is no command to type */
  url: string;
  /** one line for the user */
  summary: string;
}

export const OLLAMA_DOWNLOAD = 'https://ollama.com/download';

/** How Ollama is installed on `platform` (the extension host's: where Ollama has to run). */
export function installPlan(platform: NodeJS.Platform, onPath: (program: string) => boolean): InstallPlan {
  switch (platform) {
    case 'linux':
      return {
        command: 'curl -fsSL https://ollama.com/install.sh | sh',
        url: `${OLLAMA_DOWNLOAD}/linux`,
        summary: 'Ollama’s install script is typed in a terminal: read it, then press Enter.',
      };
    case 'darwin':
      return onPath('brew')
        ? { command: 'brew install ollama', url: `${OLLAMA_DOWNLOAD}/mac`, summary: 'brew install ollama is typed in a terminal: press Enter to run it.' }
        : { command: null, url: `${OLLAMA_DOWNLOAD}/mac`, summary: 'Download Ollama for macOS, open it, then come back here.' };
    case 'win32':
      return onPath('winget')
        ? {
            command: 'winget install --id Ollama.Ollama -e',
            url: `${OLLAMA_DOWNLOAD}/windows`,
            summary: 'winget install Ollama.Ollama is typed in a terminal: press Enter to run it.',
          }
        : { command: null, url: `${OLLAMA_DOWNLOAD}/windows`, summary: 'Download the Ollama installer for Windows, run it, then come back here.' };
    default:
      return { command: null, url: OLLAMA_DOWNLOAD, summary: 'Install Ollama for this system, then come back here.' };
  }
}

/** The line under the model picker when Ollama gave no model list, and the one action that helps. */
export function modelsProblem(host: string, error: string, ollamaInstalled: boolean): { message: string; action: 'installOllama' | 'startOllama' | null } {
  // another machine's Ollama: nothing to install or start here
  if (!isThisMachine(host)) return { message: `Ollama is not answering at ${host} (${error}).`, action: null };
  if (!ollamaInstalled) return { message: 'Ollama is not installed on this machine: install it for local answers, or use the swarm.', action: 'installOllama' };
  return { message: `Ollama is not answering at ${host} (${error}): start it to list your models.`, action: 'startOllama' };
}

/** The Ollama URL points at this machine (loopback): installing or starting Ollama here can help. */
export function isThisMachine(host: string): boolean {
  return /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:|\/|$)/i.test(host);
}

/** "Start Ollama" can help: the program is here, or Ollama is meant to run on another machine (then nothing is installed here). */
export function ollamaStartable(host: string, onPath: boolean): boolean {
  return onPath || !isThisMachine(host);
}
