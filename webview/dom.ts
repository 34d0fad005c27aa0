// Small DOM helpers the chat's parts share: elements, codicons, and text
// with `code` spans — never parsed as HTML.

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function icon(name: string): HTMLElement {
  const i = el('span', `codicon codicon-${name}`);
  i.setAttribute('aria-hidden', 'true');
  return i;
}

/** Text with `code` spans shown as code (consent and error messages quote names that way). */
export function withCode(text: string): Node[] {
  return text
    .split(/(`[^`\n]+`)/)
    .filter(Boolean)
    .map((part) => (/^`[^`]+`$/.test(part) ? el('code', undefined, part.slice(1, -1)) : document.createTextNode(part)));
}

export const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
