// The row of buttons under an ended answer (Regenerate, Ask the swarm instead,
// Edit and resend, Retry, Copy answer). The host decides which (ChatEntry.actions);
// this only draws them and reports the click.
import type { ChatEntry, ErrorAction, WebviewMessage } from '../src/ui-model/protocol';
import { ERROR_ACTION_LABELS } from '../src/ui-model/protocol';

const ICONS: Partial<Record<ErrorAction, string>> = {
  retry: 'refresh',
  regenerate: 'refresh',
  askSwarm: 'cloud',
  editResend: 'edit',
};

function button(label: string, iconName: string | undefined, onClick: () => void, data: Record<string, string>): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'secondary small';
  if (iconName) {
    const i = document.createElement('span');
    i.className = `codicon codicon-${iconName}`;
    i.setAttribute('aria-hidden', 'true');
    b.append(i);
  }
  b.append(document.createTextNode(label));
  for (const [k, v] of Object.entries(data)) b.dataset[k] = v;
  b.addEventListener('click', onClick);
  return b;
}

/** The buttons for `entry`, into `target` (emptied first). */
export function renderAnswerActions(target: HTMLElement, entry: ChatEntry, post: (m: WebviewMessage) => void): void {
  target.replaceChildren();
  if (entry.state === 'running') return;
  for (const action of entry.actions ?? []) {
    target.append(button(ERROR_ACTION_LABELS[action], ICONS[action], () => post({ type: 'action', action, entryId: entry.id }), { action }));
  }
  if (entry.answer.trim()) {
    target.append(button('Copy answer', 'copy', () => post({ type: 'copy', text: entry.answer }), { copyAnswer: '' }));
  }
}
