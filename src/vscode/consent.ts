// Stores and shows consent; decides nothing (ui-model/consent-policy.ts does).
// The question appears in the chat (the consent card, an awaited request)
// when the chat is there, else as a notification. "Always allow" and what it
// covered are kept in globalState (a preference, not a secret); "Never" is
// kept once, as the mode: local only.
import * as vscode from 'vscode';
import type { SwarmConsent } from '../engine/api';
import { readSettings, writeSetting } from './settings';
import { formatSats } from '../text/format';
import { npubOf } from '../text/npub';
import { afterAnswer, beforeSending, scopeOf, type ConsentOutcome, type ConsentScope, type ConsentStep, type StoredConsent } from '../ui-model/consent-policy';
import type { ConsentChoice as Answer, ConsentRequest } from '../ui-model/protocol';

export type ConsentChoice = 'always' | 'never' | undefined;
const KEY = 'swarmCompute.swarmConsent';
/** what "Always allow" covered: asked again when a later send would go further */
const SCOPE_KEY = 'swarmCompute.swarmConsentScope';

/** Shows the question somewhere and resolves with the answer; undefined when it could not be shown. */
export type ConsentPresenter = (request: ConsentRequest, signal: AbortSignal) => Promise<Answer | undefined>;

export class Consent {
  constructor(
    private readonly state: vscode.Memento,
    private readonly present: ConsentPresenter,
  ) {}

  /** "always", or nothing remembered ("never" is the mode: see swarmRefused in consent-policy.ts) */
  get choice(): 'always' | undefined {
    return this.state.get<string>(KEY) === 'always' ? 'always' : undefined;
  }

  private get stored(): StoredConsent {
    return { always: this.choice === 'always', scope: this.state.get<ConsentScope>(SCOPE_KEY) };
  }

  /** From the API: "always" covers what would be sent now; "never" is local only; undefined asks again. */
  async set(choice: ConsentChoice, scope?: ConsentScope): Promise<void> {
    if (choice === 'never') return this.remember({ verdict: 'local', remember: { mode: 'local-only' } }, false);
    await this.state.update(KEY, choice);
    await this.state.update(SCOPE_KEY, choice === 'always' ? (scope ?? currentScope()) : undefined);
  }

  /** Reset Consent: the next send asks again. */
  async reset(): Promise<void> {
    await this.set(undefined);
  }

  /** Send now, or ask first (and with what reason). */
  step(request: ConsentRequest): ConsentStep {
    return beforeSending(this.stored, request);
  }

  /** Asks (the request from step()) and carries out what the answer means for what is remembered. */
  async ask(request: ConsentRequest, signal: AbortSignal): Promise<SwarmConsent> {
    const answer = (await this.present(request, signal)) ?? (await this.askWithNotification(request, signal));
    if (signal.aborted) return false;
    const outcome = afterAnswer(answer, request);
    await this.remember(outcome, true);
    return outcome.verdict;
  }

  private async remember(outcome: ConsentOutcome, tell: boolean): Promise<void> {
    const what = outcome.remember;
    if (!what) return;
    if ('always' in what) return this.set('always', what.always);
    await this.set(undefined);
    await writeSetting('mode', what.mode);
    if (tell)
      void vscode.window.showInformationMessage(
        'Swarm Compute now answers with your local model only. Change it with the mode picker or the swarmCompute.mode setting.',
      );
  }

  private async askWithNotification(request: ConsentRequest, signal: AbortSignal): Promise<Answer> {
    const labels: Partial<Record<Exclude<Answer, 'cancel'>, string>> = request.remoteHost
      ? { once: 'Allow once' }
      : { once: 'Allow once', always: 'Always allow', never: 'Never (local only)' };
    const title = request.remoteHost ? `Send this prompt to Ollama cloud (${request.remoteHost})?` : 'Send this prompt to the Nostr compute marketplace?';
    const question = vscode.window.showWarningMessage(
      `${title} ${request.reason} ${request.remoteHost ? '' : `${describeSend(request)} `}It starts: “${request.prompt.slice(0, 160)}${request.prompt.length > 160 ? '…' : ''}”`,
      ...Object.values(labels),
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
  return scopeOf({ maxPriceMsats: s.maxPriceMsats, relays: s.relays, providers: s.providers.map(npubOf), encrypt: s.encrypt });
}
