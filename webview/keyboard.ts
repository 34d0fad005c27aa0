// Keyboard and screen-reader behaviour of the chat log:
// - the log takes focus and scrolls with PageUp/PageDown/Home/End, also from
//   the prompt (PageUp/PageDown, Ctrl+Home/Ctrl+End);
// - one tab stop for all past entries (roving tabindex): Tab reaches the
//   current entry's buttons only, ArrowUp/ArrowDown move between entries;
// - only an error that happens now is announced: old entries' error boxes
//   carry no role="alert".

export function installKeyboard(log: HTMLElement, prompt: HTMLTextAreaElement): void {
  log.tabIndex = 0;
  let current: HTMLElement | null = null;

  const entries = () => Array.from(log.querySelectorAll<HTMLElement>('article.entry'));
  const page = (dir: 1 | -1) => log.scrollBy({ top: dir * Math.max(40, log.clientHeight * 0.9) });
  const edge = (end: boolean) => (log.scrollTop = end ? log.scrollHeight : 0);

  /** every focusable thing inside the entries but the current one leaves the Tab order */
  const roving = () => {
    const all = entries();
    if (!current || !all.includes(current)) current = all.at(-1) ?? null;
    for (const e of all) {
      const on = e === current;
      e.tabIndex = on ? 0 : -1;
      for (const f of Array.from(e.querySelectorAll<HTMLElement>('button, a[href], pre[tabindex], [tabindex]:not(article)'))) f.tabIndex = on ? 0 : -1;
    }
  };
  let queued = false;
  new MutationObserver((mutations) => {
    // a new entry becomes the current one: Tab after the log reaches the newest answer's buttons
    if (mutations.some((m) => m.target === log && Array.from(m.addedNodes).some((n) => n instanceof HTMLElement && n.matches('article.entry')))) current = null;
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      roving();
    });
  }).observe(log, { childList: true, subtree: true });

  log.addEventListener('focusin', (e) => {
    const entry = (e.target as HTMLElement).closest<HTMLElement>('article.entry');
    if (entry && entry !== current) {
      current = entry;
      roving();
    }
  });

  log.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement;
    const onEntryOrLog = target === log || target.matches('article.entry');
    switch (e.key) {
      case 'PageUp':
      case 'PageDown':
        e.preventDefault();
        page(e.key === 'PageUp' ? -1 : 1);
        return;
      case 'Home':
      case 'End':
        if (!onEntryOrLog) return;
        e.preventDefault();
        edge(e.key === 'End');
        return;
      case 'ArrowUp':
      case 'ArrowDown': {
        if (!onEntryOrLog) return;
        e.preventDefault();
        // from the log itself, the first arrow enters the current (newest) entry
        if (target === log && current) {
          current.focus();
          return;
        }
        const all = entries();
        const at = current ? all.indexOf(current) : all.length;
        const next = all[Math.min(all.length - 1, Math.max(0, at + (e.key === 'ArrowUp' ? -1 : 1)))];
        if (next) {
          current = next;
          roving();
          next.focus();
        }
        return;
      }
    }
  });

  prompt.addEventListener('keydown', (e) => {
    if (e.key === 'PageUp' || e.key === 'PageDown') {
      e.preventDefault();
      page(e.key === 'PageUp' ? -1 : 1);
    } else if ((e.key === 'Home' || e.key === 'End') && e.ctrlKey && !prompt.value.includes('\n')) {
      e.preventDefault();
      edge(e.key === 'End');
    }
  });
}

const running = new Set<string>();

/**
 * role="alert" only on an error that happened while this view watched the
 * run (it was running here, now it failed); any older alert loses the role so
 * a screen reader does not read old failures again.
 */
export function announceError(errorBox: HTMLElement, id: string, state: string, hasError: boolean): void {
  if (state === 'running') {
    running.add(id);
    errorBox.removeAttribute('role');
    return;
  }
  if (hasError && running.has(id)) {
    running.delete(id);
    for (const old of Array.from(document.querySelectorAll('.error[role="alert"]'))) if (old !== errorBox) old.removeAttribute('role');
    errorBox.setAttribute('role', 'alert');
    return;
  }
  running.delete(id);
  if (!hasError) errorBox.removeAttribute('role');
}
