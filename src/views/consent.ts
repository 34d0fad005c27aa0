// Asks before a prompt first leaves the machine for the swarm: allow once,
// always, or never (which switches to local only). The answer "always" or
// "never" is remembered in globalState (it is a preference, not a secret).
import * as vscode from 'vscode';
import { writeSetting } from './settings';
import { formatSats } from './format';

export { formatSats };

export type ConsentChoice = 'always' | 'never' | undefined;
const KEY = 'swarmCompute.swarmConsent';

export interface SwarmSendPreview {
  prompt: string;
  model: string;
  relays: string[];
  maxPriceMsats: number;
  encrypt: boolean;
}

export class Consent {
  constructor(private readonly state: vscode.Memento) {}

  get choice(): ConsentChoice {
    return this.state.get<ConsentChoice>(KEY);
  }

  async set(choice: ConsentChoice): Promise<void> {
    await this.state.update(KEY, choice);
  }

  /** true when the prompt may go to the swarm now */
  async ask(preview: SwarmSendPreview): Promise<boolean> {
    if (this.choice === 'always') return true;
    const allowOnce = 'Allow once';
    const always = 'Always allow';
    const never = 'Never (local only)';
    const clipped = preview.prompt.length > 600 ? `${preview.prompt.slice(0, 600)}…` : preview.prompt;
    const detail = [
      `Your prompt will be published to ${preview.relays.length} Nostr relay(s) (${preview.relays.join(', ')}) and answered by a stranger's machine for at most ${formatSats(preview.maxPriceMsats)}.`,
      preview.encrypt ? 'It is encrypted for the chosen provider.' : 'It is not encrypted: anyone reading these relays can see it.',
      `Model asked for: ${preview.model}`,
      '',
      'What will be sent:',
      clipped,
    ].join('\n');
    const answer = await vscode.window.showWarningMessage(
      'Send this prompt to the Nostr compute marketplace?',
      { modal: true, detail },
      allowOnce,
      always,
      never,
    );
    if (answer === always) {
      await this.set('always');
      return true;
    }
    if (answer === never) {
      await this.set('never');
      await writeSetting('mode', 'local-only');
      void vscode.window.showInformationMessage('Swarm Compute now answers with your local model only. Change it with the mode picker or the swarmCompute.mode setting.');
      return false;
    }
    return answer === allowOnce;
  }
}
