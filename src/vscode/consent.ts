// Asks right before a prompt would leave the machine for the swarm (the
// engine's confirmSwarm hook calls it): allow once, always, or never (which
// switches to local only), showing what will be sent and why now. The
// question appears in the chat (a card with the prompt and the buttons) when
// the chat is there, else as a notification. "Always" and "never" are
// remembered in globalState (a preference, not a secret).
import * as vscode from 'vscode';
import { readSettings, writeSetting } from './settings';
import { npubOf } from './secrets';
import { formatSats } from '../ui-model/format';
import { beyondScope, type ConsentScope } from '../ui-model/consent-scope';

export { beyondScope, type ConsentScope };
import type { ConsentChoice as Answer, ConsentRequest } from '../ui-model/protocol';

export { formatSats };

export type ConsentChoice = 'always' | 'never' | undefined;
const KEY = 'swarmCompute.swarmConsent';
/** what "Always allow" covered: asked again when a later send would go further */
const SCOPE_KEY = 'swarmCompute.swarmConsentScope';

/** Shows the question somewhere and resolves with the answer; undefined when it could not be shown. */
export type ConsentPresenter = (request: ConsentRequest, signal: AbortSignal) => Promise<Answer | undefined>;

export class Consent {
  private presenter: ConsentPresenter | null = null;

  constructor(private readonly state: vscode.Memento) {}

  get choice(): ConsentChoice {
    return this.state.get<ConsentChoice>(KEY);
  }

  get scope(): ConsentScope | undefined {
    return this.state.get<ConsentScope>(SCOPE_KEY);
  }

  /** "Always allow" from the API or a card: what it covers is what would be sent now (or what the card showed). */
  async set(choice: ConsentChoice, scope?: ConsentScope): Promise<void> {
    await this.state.update(KEY, choice);
    await this.state.update(SCOPE_KEY, choice === 'always' ? (scope ?? currentScope()) : undefined);
  }

  /** Reset Consent: the next send asks again. */
  async reset(): Promise<void> {
    await this.set(undefined);
  }

  /** Why "Always allow" does not cover this send (empty: it does); null when "always" was not chosen. */
  changesSinceAlways(request: ConsentRequest): string[] | null {
    if (this.choice !== 'always') return null;
    const scope = this.scope;
    // "always" kept from a version that did not record what it covered: ask once more
    if (!scope) return ['what “Always allow” covered was not recorded'];
    return beyondScope(scope, request);
  }

  /** true when "Always allow" was chosen and covers this send */
  covers(request: ConsentRequest): boolean {
    return this.changesSinceAlways(request)?.length === 0;
  }

  setPresenter(presenter: ConsentPresenter): void {
    this.presenter = presenter;
  }

  /** true when the prompt may go to the swarm now */
  async ask(request: ConsentRequest, signal: AbortSignal): Promise<boolean> {
    const changes = this.changesSinceAlways(request);
    if (changes?.length === 0) return true;
    if (changes) request = { ...request, reason: `${request.reason} You chose “Always allow” before, but since then ${changes.join('; ')}.` };
    const answer = (await this.presenter?.(request, signal)) ?? (await this.askWithNotification(request, signal));
    if (signal.aborted) return false;
    if (answer === 'always') {
      await this.set('always', { maxPriceMsats: request.maxPriceMsats, relays: request.relays, providers: request.providers, encrypt: request.encrypt });
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

  /**
   * A one-off question that changes no remembered choice (a cloud model's
   * host): true only for "allow" (once or always, taken as once).
   */
  async askOnce(request: ConsentRequest, signal: AbortSignal): Promise<boolean> {
    const answer = (await this.presenter?.(request, signal)) ?? (await this.askWithNotification(request, signal));
    return !signal.aborted && (answer === 'once' || answer === 'always');
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

function currentScope(): ConsentScope {
  const s = readSettings();
  return { maxPriceMsats: s.maxPriceMsats, relays: s.relays, providers: s.providers.map(npubOf), encrypt: s.encrypt };
}
