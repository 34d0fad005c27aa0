// Answers come from strangers: markdown is rendered with raw HTML escaped,
// then sanitised with DOMPurify (and the CSP allows no script but ours).
import { Marked } from 'marked';
import DOMPurify from 'dompurify';
import type { WebviewMessage } from '../src/ui-model/protocol';
import { decorateCodeBlocks } from './code-blocks';

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

/** Markdown into `target`, its code blocks given their buttons once the text is final. */
export function setMarkdown(target: HTMLElement, source: string, post: (m: WebviewMessage) => void, final = true): void {
  target.innerHTML = renderMarkdown(source);
  decorateCodeBlocks(target, post, final);
}
