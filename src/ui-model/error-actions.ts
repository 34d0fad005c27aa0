// What the chat offers after a failed run, read from the error kinds the
// engine reports (FailedResult.localErrorKind / swarmErrorKind), never from
// message text. No vscode here: unit-tested on its own.
import type { FailedResult } from '../run/result';
import type { ErrorAction } from './protocol';

export interface ActionContext {
  /** an NWC wallet is stored: "connect a wallet" would not help a payment failure */
  walletConnected: boolean;
  /** the user answered "never": offering the swarm again would go against it */
  swarmRefused: boolean;
  /** the ollama program is on this machine's PATH: "Start Ollama" can work (absent: assumed installed) */
  ollamaInstalled?: boolean;
}

export function actionsForFailure(result: FailedResult, context: ActionContext): ErrorAction[] {
  const actions: ErrorAction[] = [];
  const add = (...more: ErrorAction[]) => {
    for (const a of more) if (!actions.includes(a)) actions.push(a);
  };

  // Only what can help: starting a program that is not installed cannot.
  const installed = context.ollamaInstalled !== false;
  switch (result.localErrorKind) {
    case 'unavailable':
      add(installed ? 'startOllama' : 'installOllama');
      break;
    case 'model-missing':
      add('pullModel'); // Ollama answered, so it is there (perhaps without its command line here)
      break;
    case 'timeout':
      add('openSettings'); // swarmCompute.localTimeoutSecs
      break;
  }

  // The swarm was never asked (consent declined, fallback disabled): offer it once, with consent.
  const swarmNotAsked = result.swarmErrorKind === 'declined' || result.swarmErrorKind === 'disabled';
  if (swarmNotAsked && !context.swarmRefused && !result.partialResponse) add('askSwarm');

  switch (result.swarmErrorKind) {
    case 'payment-failed':
      if (!context.walletConnected) add('connectWallet');
      add('openSettings'); // a budget or the cap may be what stopped it
      break;
    case 'price-too-high':
      add('openSettings');
      break;
    case 'no-relay':
      add('diagnose');
      break;
  }
  return actions;
}
