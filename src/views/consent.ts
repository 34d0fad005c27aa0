// Asks right before a prompt would leave the machine for the swarm (the
// engine's confirmSwarm hook calls it): allow once, always, or never (which
// switches to local only), showing what will be sent and why now. The
// question appears in the chat (a card with the prompt and the buttons) when
// the chat is there, else as a notification. "Always" and "never" are
// remembered in globalState (a preference, not a secret).
import * as vscode from 'vscode';
import { writeSetting } from './settings';
import { formatSats } from './format';
import type { ConsentChoice as Answer, ConsentRequest } from './protocol';

export { formatSats };

export type ConsentChoice = 'always' | 'never' | undefined;
const KEY = 'swarmCompute.swarmConsent';

/** Shows the question somewhere and resolves with the answer; undefined when it could not be shown. */
export type ConsentPresenter = (request: ConsentRequest, signal: AbortSignal) => Promise<Answer | undefined>;

export class Consent {
  private presenter: ConsentPresenter | null = null;

  constructor(private readonly state: vscode.Memento) {}

  get choice(): ConsentChoice {
    return this.state.get<ConsentChoice>(KEY);
  }

  async set(choice: ConsentChoice): Promise<void> {
    await this.state.update(KEY, choice);
  }

  setPresenter(presenter: ConsentPresenter): void {
    this.presenter = presenter;
  }

  /** true when the prompt may go to the swarm now */
  async ask(request: ConsentRequest, signal: AbortSignal): Promise<boolean> {
    if (this.choice === 'always') return true;
    const answer = (await this.presenter?.(request, signal)) ?? (await this.askWithNotification(request, signal));
    if (signal.aborted) return false;
    if (answer === 'always') {
      await this.set('always');
      return true;
    }
    if (answer === 'never') {
      await this.set('never');
      await writeSetting('mode', 'local-only');
      void vscode.window.showInformationMessage(
        'Swarm Compute now answers with your local model only. Change it with the mode picker or the swarmCompute.mode setting.',
      );
      return false;
    }
    return answer === 'once';
  }

  private async askWithNotification(request: ConsentRequest, signal: AbortSignal): Promise<Answer> {
    const labels: Record<Exclude<Answer, 'cancel'>, string> = { once: 'Allow once', always: 'Always allow', never: 'Never (local only)' };
    const question = vscode.window.showWarningMessage(
      `Send this prompt to the Nostr compute marketplace? ${request.reason} ${describeSend(request)} It starts: “${request.prompt.slice(0, 160)}${request.prompt.length > 160 ? '…' : ''}”`,
      labels.once,
      labels.always,
      labels.never,
    );
    const stopped = new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }));
    const picked = await Promise.race([question, stopped]);
    const found = (Object.keys(labels) as (keyof typeof labels)[]).find((k) => labels[k] === picked);
    return found ?? 'cancel';
  }
}

/** One sentence on where the prompt goes and what it may cost. */
export function describeSend(r: ConsentRequest): string {
  return (
    `It will be published to ${r.relays.length} Nostr relay(s) (${r.relays.join(', ')}) and answered by ` +
    (r.providers.length > 0 ? `${r.providers.length === 1 ? 'the provider' : 'one of the providers'} ${r.providers.join(', ')}` : "someone else's machine") +
    ` for at most ${formatSats(r.maxPriceMsats)} (model ${r.model})` +
    (r.encrypt ? ', encrypted for the chosen provider.' : '; it is not encrypted, so anyone reading these relays can see it.')
  );
}
