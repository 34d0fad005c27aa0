// Runs inside the chat webview (bundled to media/chat.js). It draws what the
// host sends and reports what the user does; it decides nothing. An entry
// arrives whole (its state lives in the host's session); the consent card is
// a request the host awaits, answered here once by id.
import type { ChatEntry, ConsentRequest, HostMessage, WebviewMessage, WebviewState } from '../src/ui-model/protocol';
import { installKeyboard } from './keyboard';
import { byId } from './dom';
import { buildEntry, renderEntry } from './entry-view';
import { showConsentCard } from './consent-card';
import { ModelPicker } from './model-picker';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): WebviewState | undefined;
  setState(state: WebviewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: WebviewMessage) => vscode.postMessage(m);

const log = byId<HTMLElement>('log');
const empty = byId<HTMLElement>('empty');
const prompt = byId<HTMLTextAreaElement>('prompt');
const sendButton = byId<HTMLButtonElement>('send');
const stopButton = byId<HTMLButtonElement>('stop');
const consentBox = byId<HTMLElement>('consent');
const picker = new ModelPicker(byId('mode'), byId('model'), byId('models-error'), post);

interface Shown {
  entry: ChatEntry;
  root: HTMLElement;
  renderQueued: boolean;
}
const shown = new Map<string, Shown>();
let busy = false;

// ---- where the reader was (kept across hide/show through setState)
const saved = vscode.getState();
if (saved?.draft) prompt.value = saved.draft;
const newestId = (): string | undefined => [...shown.keys()].at(-1);
const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 80;
const scrollToEnd = (force = false) => {
  if (force || nearBottom()) log.scrollTop = log.scrollHeight;
};
const saveState = () => {
  // A hidden or closing view (no height) moves scrollTop by layout, not by the reader: keep what was saved.
  if (log.clientHeight === 0) return;
  vscode.setState({ draft: prompt.value, scrollTop: log.scrollTop, atEnd: nearBottom(), newestId: newestId() });
};

/** Back where the reader was, unless that was the end (or a newer answer came): then the newest answer. */
function restoreScroll(): void {
  if (saved?.scrollTop !== undefined && saved.atEnd === false && saved.newestId === newestId() && saved.scrollTop < log.scrollHeight - log.clientHeight - 10)
    log.scrollTop = saved.scrollTop;
  else {
    scrollToEnd(true);
    // once fonts and code blocks have their final size
    requestAnimationFrame(() => scrollToEnd(true));
    setTimeout(() => scrollToEnd(true), 300);
  }
}

// ---- entries
function queueRender(s: Shown): void {
  if (s.renderQueued) return;
  s.renderQueued = true;
  requestAnimationFrame(() => {
    s.renderQueued = false;
    const follow = nearBottom();
    renderEntry(s.root, s.entry, post);
    if (follow) scrollToEnd(true);
  });
}

function upsert(entry: ChatEntry): void {
  const s = shown.get(entry.id);
  if (s) {
    s.entry = entry;
    queueRender(s);
  } else {
    const root = buildEntry(entry);
    shown.set(entry.id, { entry, root, renderQueued: false });
    log.append(root);
    renderEntry(root, entry, post);
    scrollToEnd(true);
  }
  empty.hidden = shown.size > 0;
}

function clearEntries(): void {
  shown.clear();
  log.replaceChildren();
  empty.hidden = false;
}

// ---- the consent card: one open request, answered once by its id
let consentId: string | null = null;
function showConsent(id: string | null, request: ConsentRequest | null): void {
  consentId = request ? id : null;
  showConsentCard(consentBox, request, (choice) => {
    if (consentId === id && id) post({ type: 'response', id, method: 'consent', result: choice });
  });
}

function setBusy(value: boolean): void {
  busy = value;
  stopButton.hidden = !value;
  sendButton.disabled = value;
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const m = event.data;
  switch (m.type) {
    case 'init':
      clearEntries();
      picker.setSettings(m.mode, m.model);
      picker.setModels(m.models);
      for (const e of m.entries) upsert(e);
      empty.hidden = shown.size > 0;
      setBusy(m.busy);
      showConsent(m.pending?.id ?? null, m.pending?.params ?? null);
      restoreScroll();
      // the handshake is done: what is typed now is sent (UI tests wait for this mark)
      document.body.dataset.ready = 'true';
      break;
    case 'entry':
      upsert(m.entry);
      break;
    case 'request':
      showConsent(m.id, m.params);
      break;
    case 'requestDone':
      if (consentId === m.id) showConsent(null, null);
      break;
    case 'draft':
      prompt.value = m.text;
      prompt.focus();
      prompt.setSelectionRange(m.text.length, m.text.length);
      saveState();
      break;
    case 'busy':
      setBusy(m.busy);
      break;
    case 'settings':
      picker.setSettings(m.mode, m.model);
      break;
    case 'models':
      picker.setModels(m.models);
      break;
    case 'cleared':
      clearEntries();
      break;
    case 'focusInput':
      prompt.focus();
      break;
  }
});

// ---- the composer
function send(): void {
  const text = prompt.value.trim();
  if (!text || busy) return;
  post({ type: 'send', prompt: text });
  prompt.value = '';
  saveState();
}

byId<HTMLFormElement>('composer').addEventListener('submit', (e) => {
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
byId<HTMLButtonElement>('refresh-models').addEventListener('click', () => post({ type: 'refreshModels' }));
byId<HTMLButtonElement>('get-started').addEventListener('click', () => post({ type: 'action', action: 'setup', entryId: '' }));

installKeyboard(log, prompt);
post({ type: 'ready' });
