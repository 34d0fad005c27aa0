// Runs inside the chat webview (bundled to media/chat.js). It renders what the
// host sends and reports what the user does; it decides nothing. Answers come
// from strangers: markdown is rendered with raw HTML escaped, then sanitised
// with DOMPurify, and the CSP allows no script but this one.
import { Marked } from 'marked';
import DOMPurify from 'dompurify';
import type { ChatEntry, ChatMode, ConsentChoice, ConsentRequest, HostMessage, ModelList, WebviewMessage, WebviewState } from '../src/ui-model/protocol';
import { ERROR_ACTION_LABELS, MODE_LABELS } from '../src/ui-model/protocol';
import { formatDuration, formatSats, withTag, withoutLatest } from '../src/ui-model/format';
import { renderAnswerActions } from './answer-actions';
import { decorateCodeBlocks } from './code-blocks';
import { announceError, installKeyboard } from './keyboard';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): WebviewState | undefined;
  setState(state: WebviewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: WebviewMessage) => vscode.postMessage(m);

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// Raw HTML in an answer is shown as the text it is, never as markup.
const markdown = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
  },
});

export function renderMarkdown(source: string): string {
  const html = markdown.parse(source, { async: false }) as string;
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style'],
  });
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const log = $<HTMLElement>('log');
const empty = $<HTMLElement>('empty');
const prompt = $<HTMLTextAreaElement>('prompt');
const sendButton = $<HTMLButtonElement>('send');
const stopButton = $<HTMLButtonElement>('stop');
const modeSelect = $<HTMLSelectElement>('mode');
const modelSelect = $<HTMLSelectElement>('model');
const modelsError = $<HTMLElement>('models-error');
const consentBox = $<HTMLElement>('consent');

interface Shown {
  entry: ChatEntry;
  root: HTMLElement;
  renderQueued: boolean;
}
const shown = new Map<string, Shown>();
let busy = false;
let currentModel = '';

const saved = vscode.getState();
if (saved?.draft) prompt.value = saved.draft;
const newestId = (): string | undefined => [...shown.keys()].at(-1);
const saveState = () => {
  // A hidden or closing view (no height) moves scrollTop by layout, not by the reader: keep what was saved.
  if (log.clientHeight === 0) return;
  vscode.setState({ draft: prompt.value, scrollTop: log.scrollTop, atEnd: nearBottom(), newestId: newestId() });
};

for (const [mode, label] of Object.entries(MODE_LABELS)) {
  const o = document.createElement('option');
  o.value = mode;
  o.textContent = label;
  modeSelect.append(o);
}

function nearBottom(): boolean {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
}

function scrollToEnd(force = false): void {
  if (force || nearBottom()) log.scrollTop = log.scrollHeight;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Text with `code` spans shown as code (consent and error messages quote names that way); never parsed as HTML. */
function withCode(text: string): Node[] {
  return text
    .split(/(`[^`\n]+`)/)
    .filter(Boolean)
    .map((part) => (/^`[^`]+`$/.test(part) ? el('code', undefined, part.slice(1, -1)) : document.createTextNode(part)));
}

function icon(name: string): HTMLElement {
  const i = el('span', `codicon codicon-${name}`);
  i.setAttribute('aria-hidden', 'true');
  return i;
}

function setMarkdown(target: HTMLElement, source: string, final = true): void {
  target.innerHTML = renderMarkdown(source);
  decorateCodeBlocks(target, post, final);
}

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
function renderSuperseded(root: HTMLElement, entry: ChatEntry): void {
  const box = root.querySelector<HTMLElement>('.superseded');
  if (!box) return;
  if (!entry.superseded) {
    box.replaceChildren();
    return;
  }
  const note = el('div', 'superseded-note');
  note.append(icon('debug-disconnect'), document.createTextNode(` ${entry.superseded.note}`));
  const text = el('div', 'md superseded-text');
  setMarkdown(text, entry.superseded.text);
  box.replaceChildren(note, text);
}

function build(entry: ChatEntry): HTMLElement {
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

function render(s: Shown): void {
  s.renderQueued = false;
  const { entry, root } = s;
  root.dataset.state = entry.state;
  root.dataset.lane = entry.lane ?? '';
  const qmd = root.querySelector<HTMLElement>('.question .md')!;
  if (qmd.dataset.source !== entry.question) {
    qmd.dataset.source = entry.question;
    setMarkdown(qmd, entry.question);
  }
  const label = root.querySelector<HTMLElement>('.label')!;
  label.replaceChildren(laneBadge(entry), ...cloudBadge(entry), ...labelParts(entry).map((p) => el('span', 'meta', p)));
  renderSuperseded(root, entry);
  const body = root.querySelector<HTMLElement>('.answer-body')!;
  setMarkdown(body, entry.answer, entry.state !== 'running');
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

function queueRender(s: Shown): void {
  if (s.renderQueued) return;
  s.renderQueued = true;
  requestAnimationFrame(() => {
    const follow = nearBottom();
    render(s);
    if (follow) scrollToEnd(true);
  });
}

function upsert(entry: ChatEntry, replaces?: string): void {
  const old = replaces ? shown.get(replaces) : undefined;
  if (old && replaces !== entry.id && !shown.has(entry.id)) {
    // the same entry under a new run (Never → local only): keep its place on screen
    shown.delete(replaces!);
    old.root.dataset.id = entry.id;
    shown.set(entry.id, { entry, root: old.root, renderQueued: false });
  }
  let s = shown.get(entry.id);
  if (!s) {
    s = { entry, root: build(entry), renderQueued: false };
    shown.set(entry.id, s);
    log.append(s.root);
    render(s);
    scrollToEnd(true);
  } else {
    s.entry = entry;
    queueRender(s);
  }
  empty.hidden = shown.size > 0;
}

let consentId: string | null = null;

function showConsent(request: ConsentRequest | null): void {
  consentId = request?.id ?? null;
  consentBox.replaceChildren();
  consentBox.hidden = !request;
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
  else fact('Relays', request.relays.join(', '), 'relays');
  if (!request.remoteHost) {
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
  const choices: [ConsentChoice, string, string][] = [
    ['once', 'Allow once', 'primary'],
    ['always', 'Always allow', 'secondary'],
    ['never', 'Never (local only)', 'secondary'],
    ['cancel', 'Cancel', 'secondary'],
  ];
  // a cloud model's question is for this send only: nothing to remember
  for (const [choice, text, cls] of request.remoteHost ? choices.filter(([c]) => c === 'once' || c === 'cancel') : choices) {
    const b = el('button', cls, text);
    b.type = 'button';
    b.dataset.choice = choice;
    b.addEventListener('click', () => {
      if (consentId) post({ type: 'consent', id: consentId, choice });
    });
    buttons.append(b);
  }
  consentBox.append(title, why, facts, label, preview, buttons);
  (buttons.firstElementChild as HTMLElement).focus();
}

function setBusy(value: boolean): void {
  busy = value;
  stopButton.hidden = !value;
  sendButton.disabled = value;
}

let modelList: ModelList = { models: [], error: null };

/** The model picker: installed models, plus the configured one marked when it is not installed. */
function renderModels(): void {
  const installed = modelList.models;
  const found = installed.find((m) => withTag(m) === withTag(currentModel));
  const match = found === undefined ? undefined : withoutLatest(found);
  // models Ollama serves from another machine are marked: choosing one sends prompts there
  const options = installed.map((n) => [withoutLatest(n), modelList.remote?.[n] ? `${withoutLatest(n)} (Ollama cloud)` : withoutLatest(n)] as const);
  if (currentModel && !match) options.unshift([currentModel, installed.length ? `${currentModel} (not pulled)` : currentModel]);
  modelSelect.replaceChildren(
    ...options.map(([value, label]) => {
      const o = el('option', undefined, label);
      o.value = value;
      return o;
    }),
  );
  modelSelect.value = match ?? currentModel;
  modelsError.hidden = !modelList.error;
  modelsError.replaceChildren(document.createTextNode(modelList.error ?? ''));
  const action = modelList.action;
  if (modelList.error && action) {
    const b = el('button', 'secondary small', ERROR_ACTION_LABELS[action]);
    b.type = 'button';
    b.dataset.action = action;
    b.addEventListener('click', () => post({ type: 'action', action, entryId: '' }));
    modelsError.append(' ', b);
  }
}

function setModels(list: ModelList): void {
  modelList = list;
  renderModels();
}

function setSettings(mode: ChatMode, model: string): void {
  modeSelect.value = mode;
  if (model !== currentModel) {
    currentModel = model;
    renderModels();
  }
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const m = event.data;
  switch (m.type) {
    case 'init':
      shown.clear();
      log.replaceChildren();
      currentModel = m.model;
      setSettings(m.mode, m.model);
      setModels(m.models);
      for (const e of m.entries) upsert(e);
      empty.hidden = shown.size > 0;
      setBusy(m.busy);
      showConsent(m.consent);
      // back where the reader was, unless that was the end (or nothing was saved): then the newest answer
      // (a newer answer than the one the reader saw also means: show the newest)
      if (
        saved?.scrollTop !== undefined &&
        saved.atEnd === false &&
        saved.newestId === newestId() &&
        saved.scrollTop < log.scrollHeight - log.clientHeight - 10
      )
        log.scrollTop = saved.scrollTop;
      else {
        scrollToEnd(true);
        // once fonts and code blocks have their final size
        requestAnimationFrame(() => scrollToEnd(true));
        setTimeout(() => scrollToEnd(true), 300);
      }
      break;
    case 'entry':
      upsert(m.entry, m.replaces);
      break;
    case 'draft':
      prompt.value = m.text;
      prompt.focus();
      prompt.setSelectionRange(m.text.length, m.text.length);
      saveState();
      break;
    case 'token': {
      const s = shown.get(m.id);
      if (s) {
        s.entry.answer += m.text;
        queueRender(s);
      }
      break;
    }
    case 'status': {
      const s = shown.get(m.id);
      if (s) {
        s.entry.status = m.text;
        s.entry.lane = m.lane;
        queueRender(s);
      }
      break;
    }
    case 'consent':
      showConsent(m.request);
      break;
    case 'consentDone':
      if (consentId === m.id) showConsent(null);
      break;
    case 'busy':
      setBusy(m.busy);
      break;
    case 'settings':
      setSettings(m.mode, m.model);
      break;
    case 'models':
      setModels(m.models);
      break;
    case 'cleared':
      shown.clear();
      log.replaceChildren();
      empty.hidden = false;
      break;
    case 'focusInput':
      prompt.focus();
      break;
  }
});

function send(): void {
  const text = prompt.value.trim();
  if (!text || busy) return;
  post({ type: 'send', prompt: text });
  prompt.value = '';
  saveState();
}

$<HTMLFormElement>('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  send();
});
prompt.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});
prompt.addEventListener('input', saveState);
log.addEventListener('scroll', saveState, { passive: true });
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && busy) {
    e.preventDefault();
    post({ type: 'stop' });
  }
});
stopButton.addEventListener('click', () => post({ type: 'stop' }));
modeSelect.addEventListener('change', () => post({ type: 'setMode', mode: modeSelect.value as ChatMode }));
modelSelect.addEventListener('change', () => {
  currentModel = modelSelect.value;
  post({ type: 'setModel', model: modelSelect.value });
});
$<HTMLButtonElement>('refresh-models').addEventListener('click', () => post({ type: 'refreshModels' }));
$<HTMLButtonElement>('get-started').addEventListener('click', () => post({ type: 'action', action: 'setup', entryId: '' }));

installKeyboard(log, prompt);
post({ type: 'ready' });
