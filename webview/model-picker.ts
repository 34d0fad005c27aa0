// The toolbar's pickers: mode, and the model (installed models, plus the
// configured one marked when it is not installed), with the line under them
// when Ollama gave no list.
import type { ChatMode, ModelList, WebviewMessage } from '../src/ui-model/protocol';
import { ERROR_ACTION_LABELS, MODE_LABELS } from '../src/ui-model/protocol';
import { withTag, withoutLatest } from '../src/text/format';
import { el } from './dom';

export class ModelPicker {
  private list: ModelList = { models: [], error: null };
  private current = '';

  constructor(
    private readonly modeSelect: HTMLSelectElement,
    private readonly modelSelect: HTMLSelectElement,
    private readonly errorLine: HTMLElement,
    private readonly post: (m: WebviewMessage) => void,
  ) {
    for (const [mode, label] of Object.entries(MODE_LABELS)) {
      const o = el('option', undefined, label);
      o.value = mode;
      modeSelect.append(o);
    }
    modeSelect.addEventListener('change', () => post({ type: 'setMode', mode: modeSelect.value as ChatMode }));
    modelSelect.addEventListener('change', () => {
      this.current = modelSelect.value;
      post({ type: 'setModel', model: modelSelect.value });
    });
  }

  setModels(list: ModelList): void {
    this.list = list;
    this.render();
  }

  setSettings(mode: ChatMode, model: string): void {
    this.modeSelect.value = mode;
    if (model !== this.current) {
      this.current = model;
      this.render();
    }
  }

  private render(): void {
    const { list, current } = this;
    const installed = list.models;
    const found = installed.find((m) => withTag(m) === withTag(current));
    const match = found === undefined ? undefined : withoutLatest(found);
    // models Ollama serves from another machine are marked: choosing one sends prompts there
    const options = installed.map((n) => [withoutLatest(n), list.remote?.[n] ? `${withoutLatest(n)} (Ollama cloud)` : withoutLatest(n)] as const);
    if (current && !match) options.unshift([current, installed.length ? `${current} (not pulled)` : current]);
    this.modelSelect.replaceChildren(
      ...options.map(([value, label]) => {
        const o = el('option', undefined, label);
        o.value = value;
        return o;
      }),
    );
    this.modelSelect.value = match ?? current;
    this.errorLine.hidden = !list.error;
    this.errorLine.replaceChildren(document.createTextNode(list.error ?? ''));
    const action = list.action;
    if (list.error && action) {
      const b = el('button', 'secondary small', ERROR_ACTION_LABELS[action]);
      b.type = 'button';
      b.dataset.action = action;
      b.addEventListener('click', () => this.post({ type: 'action', action, entryId: '' }));
      this.errorLine.append(' ', b);
    }
  }
}
