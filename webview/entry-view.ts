// One entry drawn: question, badges, answer, status, note, warning, error
// and the buttons under it. It draws the entry it is given and reports
// clicks; the entry's state lives in the host's session.
import type { ChatEntry, WebviewMessage } from '../src/ui-model/protocol';
import { ERROR_ACTION_LABELS } from '../src/ui-model/protocol';
import { formatDuration, formatSats } from '../src/text/format';
import { renderAnswerActions } from './answer-actions';
import { announceError } from './keyboard';
import { el, icon, withCode } from './dom';
import { setMarkdown } from './markdown';

type Post = (m: WebviewMessage) => void;

function labelParts(e: ChatEntry): string[] {
  const parts = [e.model];
  if (e.provider) parts.push(e.provider);
  if (e.lane === 'swarm' && (e.state !== 'running' || e.costMsats > 0)) parts.push(formatSats(e.costMsats));
  if (e.durationMs !== null && e.state !== 'running') parts.push(formatDuration(e.durationMs));
  return parts;
}

function laneBadge(e: ChatEntry): HTMLElement {
  const lane =
    e.state === 'failed'
      ? 'failed'
      : e.state === 'cancelled'
        ? 'cancelled'
        : e.state === 'running' && e.awaiting === 'consent'
          ? 'waiting'
          : (e.lane ?? 'local');
  const badge = el('span', `badge lane-${lane}`);
  badge.dataset.lane = lane;
  const icons: Record<string, string> = { swarm: 'cloud', failed: 'error', cancelled: 'circle-slash', waiting: 'question', local: 'vm' };
  const words: Record<string, string> = { cancelled: 'stopped', waiting: 'waiting for consent' };
  badge.append(icon(icons[lane] ?? 'vm'));
  badge.append(document.createTextNode(` ${words[lane] ?? lane}`));
  return badge;
}

/** "Ollama cloud": the answer came from a model Ollama serves from another machine. */
function cloudBadge(e: ChatEntry): HTMLElement[] {
  if (!e.remoteHost) return [];
  const b = el('span', 'badge lane-cloud');
  b.title = `served by Ollama from ${e.remoteHost}`;
  b.append(icon('cloud'), document.createTextNode(' Ollama cloud'));
  return [b];
}

/** A half local answer that stopped stays visible, dimmed and marked, above the swarm's answer. */
function renderSuperseded(root: HTMLElement, entry: ChatEntry, post: Post): void {
  const box = root.querySelector<HTMLElement>('.superseded');
  if (!box) return;
  if (!entry.superseded) {
    box.replaceChildren();
    return;
  }
  const note = el('div', 'superseded-note');
  note.append(icon('debug-disconnect'), document.createTextNode(` ${entry.superseded.note}`));
  const text = el('div', 'md superseded-text');
  setMarkdown(text, entry.superseded.text, post);
  box.replaceChildren(note, text);
}

export function buildEntry(entry: ChatEntry): HTMLElement {
  const root = el('article', 'entry');
  root.dataset.id = entry.id;
  const q = el('section', 'question');
  q.setAttribute('aria-label', 'Question');
  q.append(icon('account'), el('div', 'md'));
  const a = el('section', 'answer');
  a.setAttribute('aria-label', 'Answer');
  a.append(
    el('header', 'label'),
    el('div', 'superseded'),
    el('div', 'md answer-body'),
    el('div', 'status'),
    el('div', 'note'),
    el('div', 'warning'),
    el('div', 'error'),
    el('div', 'answer-actions'),
  );
  root.append(q, a);
  return root;
}

export function renderEntry(root: HTMLElement, entry: ChatEntry, post: Post): void {
  root.dataset.state = entry.state;
  root.dataset.lane = entry.lane ?? '';
  const qmd = root.querySelector<HTMLElement>('.question .md')!;
  if (qmd.dataset.source !== entry.question) {
    qmd.dataset.source = entry.question;
    setMarkdown(qmd, entry.question, post);
  }
  const label = root.querySelector<HTMLElement>('.label')!;
  label.replaceChildren(laneBadge(entry), ...cloudBadge(entry), ...labelParts(entry).map((p) => el('span', 'meta', p)));
  renderSuperseded(root, entry, post);
  const body = root.querySelector<HTMLElement>('.answer-body')!;
  setMarkdown(body, entry.answer, post, entry.state !== 'running');
  const answer = root.querySelector<HTMLElement>('.answer')!;
  answer.setAttribute('aria-busy', String(entry.state === 'running'));
  const status = root.querySelector<HTMLElement>('.status')!;
  status.replaceChildren();
  if (entry.state === 'running')
    status.append(el('span', 'codicon codicon-loading codicon-modifier-spin'), document.createTextNode(` ${entry.status ?? 'Thinking…'}`));
  else if (entry.state === 'cancelled') status.append(document.createTextNode('Stopped.'));
  if (entry.state === 'running' && entry.askSwarmToo) {
    const too = el('button', 'secondary ask-swarm-too', 'Ask the swarm too');
    too.addEventListener('click', () => post({ type: 'askSwarmToo', entryId: entry.id }));
    status.append(document.createTextNode(' '), too);
  }
  const note = root.querySelector<HTMLElement>('.note')!;
  note.replaceChildren();
  if (entry.note) note.append(icon('info'), document.createTextNode(` ${entry.note}`));
  const warning = root.querySelector<HTMLElement>('.warning')!;
  warning.replaceChildren();
  if (entry.warning) {
    warning.setAttribute('role', 'status');
    warning.append(icon('warning'), document.createTextNode(' '), ...withCode(entry.warning));
  }
  const error = root.querySelector<HTMLElement>('.error')!;
  error.replaceChildren();
  announceError(error, entry.id, entry.state, entry.error !== null);
  if (entry.error) {
    const msg = el('div', 'error-message');
    msg.append(icon('error'), document.createTextNode(' '), ...withCode(entry.error.message));
    const actions = el('div', 'error-actions');
    for (const action of entry.error.actions) {
      const b = el('button', 'secondary', ERROR_ACTION_LABELS[action]);
      b.dataset.action = action;
      b.addEventListener('click', () => post({ type: 'action', action, entryId: entry.id }));
      actions.append(b);
    }
    error.append(msg, actions);
  }
  renderAnswerActions(root.querySelector<HTMLElement>('.answer-actions')!, entry, post);
}
