// The consent card: the host's awaited `consent` request drawn — what would
// be sent, where, at what cap — and answered once through `respond`.
import type { ConsentChoice, ConsentRequest } from '../src/ui-model/protocol';
import { formatSats } from '../src/text/format';
import { el, icon, withCode } from './dom';

const CHOICES: [ConsentChoice, string, string][] = [
  ['once', 'Allow once', 'primary'],
  ['always', 'Always allow', 'secondary'],
  ['never', 'Never (local only)', 'secondary'],
  ['cancel', 'Cancel', 'secondary'],
];

/** Draws the card for `request` into `box` (hidden when null). */
export function showConsentCard(box: HTMLElement, request: ConsentRequest | null, respond: (choice: ConsentChoice) => void): void {
  box.replaceChildren();
  box.hidden = !request;
  if (!request) return;
  const title = el('h2', 'consent-title');
  title.id = 'consent-title';
  title.append(
    icon('cloud-upload'),
    document.createTextNode(
      request.remoteHost ? ` Send this prompt to Ollama cloud (${request.remoteHost})?` : ' Send this prompt to the Nostr compute marketplace?',
    ),
  );
  const why = el('p', 'consent-reason');
  why.append(...withCode(request.reason));
  why.id = 'consent-what';
  const facts = el('dl', 'consent-facts');
  const fact = (name: string, value: string, key: string, title?: string) => {
    const dd = el('dd', undefined, value);
    dd.dataset.fact = key;
    if (title) dd.title = title;
    facts.append(el('dt', undefined, name), dd);
  };
  fact('Model', request.model, 'model');
  if (request.remoteHost) fact('Sent to', `${request.remoteHost} (Ollama serves this model from there, not from this machine)`, 'remote');
  else {
    fact('Relays', request.relays.join(', '), 'relays');
    fact(
      'Providers',
      request.providers.length > 0 ? request.providers.map((p) => `${p.slice(0, 12)}…${p.slice(-4)}`).join(', ') : "any provider (someone else's machine)",
      'providers',
      request.providers.join('\n') || undefined,
    );
    fact('Price cap', `at most ${formatSats(request.maxPriceMsats)}`, 'cap');
    fact('Encryption', request.encrypt ? 'encrypted for the provider' : 'not encrypted: anyone reading these relays can see it', 'encrypt');
  }
  const earlier = request.earlierTurns ?? 0;
  const turns = `${earlier} earlier turn${earlier === 1 ? '' : 's'}`;
  if (earlier > 0) fact('Conversation', `this prompt and the ${turns} of this conversation go too`, 'turns');
  const label = el('div', 'consent-label', earlier > 0 ? `What will be sent (after the ${turns}):` : 'What will be sent:');
  const clipped = request.prompt.length > 4000 ? `${request.prompt.slice(0, 4000)}…` : request.prompt;
  const preview = el('pre', 'consent-prompt', clipped);
  preview.tabIndex = 0;
  const buttons = el('div', 'consent-actions');
  // a cloud model's question is for this send only: nothing to remember
  for (const [choice, text, cls] of request.remoteHost ? CHOICES.filter(([c]) => c === 'once' || c === 'cancel') : CHOICES) {
    const b = el('button', cls, text);
    b.type = 'button';
    b.dataset.choice = choice;
    b.addEventListener('click', () => respond(choice));
    buttons.append(b);
  }
  box.append(title, why, facts, label, preview, buttons);
  (buttons.firstElementChild as HTMLElement).focus();
}
