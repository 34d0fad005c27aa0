// Consent for requests that come through VS Code's language model API: before
// another extension's request may leave the machine for the swarm, a modal
// says what would be sent where and at what price cap. The answer is kept per
// caller (the requesting extension): "Always allow" for what was shown (a
// wider send asks again, as in the chat), "Never" keeps that caller on the
// local model from then on. Kept in globalState: a preference, not a secret.
import * as vscode from 'vscode';
import type { SwarmOutbound } from '../engine/api';
import type { ConsentChoice } from '../ui-model/protocol';
import { describeSend } from './consent';
import { afterAnswer, beforeSending, consentRequest, type ConsentScope } from '../ui-model/consent-policy';

const KEY = 'swarmCompute.lmConsent';

export type LmConsentChoice = { choice: 'always'; scope: ConsentScope } | { choice: 'never' };

/** Shows the question; resolves with the button chosen (undefined: dismissed or not shown). */
export type LmConsentPresenter = (message: string, detail: string, buttons: string[]) => Thenable<string | undefined>;

export const LM_BUTTONS = { once: 'Allow Once', always: 'Always Allow', never: 'Never (Local Only)' } as const;

export class LmConsent {
  constructor(
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
    private readonly present: LmConsentPresenter = (message, detail, buttons) => vscode.window.showWarningMessage(message, { modal: true, detail }, ...buttons),
  ) {}

  private all(): Record<string, LmConsentChoice> {
    return this.state.get<Record<string, LmConsentChoice>>(KEY) ?? {};
  }

  choiceOf(caller: string): LmConsentChoice | undefined {
    return this.all()[caller];
  }

  /** true when this caller chose "Never": its requests run on the local model only */
  keepsLocal(caller: string): boolean {
    return this.choiceOf(caller)?.choice === 'never';
  }

  async set(caller: string, choice: LmConsentChoice | undefined): Promise<void> {
    const all = { ...this.all() };
    if (choice) all[caller] = choice;
    else delete all[caller];
    await this.state.update(KEY, all);
  }

  /** The engine's confirmSwarm for one language-model request from `caller`. */
  async ask(caller: string, callerName: string, outbound: SwarmOutbound, signal: AbortSignal): Promise<boolean> {
    // the same words as the chat's consent card: where it goes, for how much, why now
    const request = consentRequest(outbound);
    const kept = this.choiceOf(caller);
    if (kept?.choice === 'never') return false;
    // the chat's rules (ui-model/consent-policy.ts), remembered per calling extension
    const step = beforeSending(kept?.choice === 'always' ? { always: true, scope: kept.scope } : { always: false }, request, callerName);
    if (step.verdict === 'allow') return true;
    const message = `${callerName} asks a Swarm Compute model. Send its request to the Nostr compute marketplace?`;
    const detail =
      `${step.request.reason}\n\n${describeSend(request)}\n\n` +
      (outbound.earlierTurns
        ? `It sends the conversation (${outbound.earlierTurns} earlier turn${outbound.earlierTurns === 1 ? '' : 's'}) and its last message, which starts: `
        : `It sends this message, which starts: `) +
      `“${outbound.prompt.slice(0, 200)}${outbound.prompt.length > 200 ? '…' : ''}”\n\n` +
      `“Never” keeps ${callerName} on your local model.`;
    let picked: string | undefined;
    try {
      const question = Promise.resolve(this.present(message, detail, [LM_BUTTONS.once, LM_BUTTONS.always, LM_BUTTONS.never]));
      const stopped = new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }));
      picked = await Promise.race([question, stopped]);
    } catch (err) {
      // a window that cannot show dialogs (e.g. under test) sends nothing
      this.log.warn(`the swarm question for ${callerName} could not be shown: ${err instanceof Error ? err.message : String(err)}`);
      picked = undefined;
    }
    if (signal.aborted) return false;
    const answers: Record<string, ConsentChoice> = { [LM_BUTTONS.once]: 'once', [LM_BUTTONS.always]: 'always', [LM_BUTTONS.never]: 'never' };
    const outcome = afterAnswer(picked === undefined ? undefined : answers[picked], request);
    if (outcome.remember && 'always' in outcome.remember) await this.set(caller, { choice: 'always', scope: outcome.remember.always });
    // "Never" is this caller's, not the window's mode: it stays on the local model from now on
    if (outcome.remember && 'mode' in outcome.remember) await this.set(caller, { choice: 'never' });
    return outcome.verdict === true;
  }
}
