// Code blocks in answers: syntax highlighting with highlight.js (core and a
// set of common languages, bundled into media/chat.js: no CDN, no inline
// style, so the CSP stays script-by-nonce only; colours come from
// media/highlight.css, which uses VS Code's theme variables), and a bar
// with the language, Copy and Insert at Cursor.
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import type { WebviewMessage } from '../src/ui-model/protocol';

const LANGUAGES = {
  bash,
  c,
  cpp,
  csharp,
  css,
  diff,
  go,
  java,
  javascript,
  json,
  kotlin,
  markdown,
  php,
  python,
  ruby,
  rust,
  shell,
  sql,
  swift,
  typescript,
  xml,
  yaml,
};
for (const [name, lang] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, lang);
hljs.registerAliases(['ts', 'tsx', 'typescriptreact'], { languageName: 'typescript' });
hljs.registerAliases(['js', 'jsx', 'javascriptreact'], { languageName: 'javascript' });
hljs.registerAliases(['sh', 'zsh', 'console'], { languageName: 'bash' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['rs'], { languageName: 'rust' });
hljs.registerAliases(['yml'], { languageName: 'yaml' });
// answers come from strangers: never let a highlighter warning reach the console as HTML advice
hljs.configure({ ignoreUnescapedHTML: true });

const MAX_HIGHLIGHT = 20_000;

function iconButton(label: string, text: string, iconName: string, onClick: () => void, cls: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `secondary small ${cls}`;
  b.setAttribute('aria-label', label);
  b.title = label;
  const i = document.createElement('span');
  i.className = `codicon codicon-${iconName}`;
  i.setAttribute('aria-hidden', 'true');
  b.append(i, document.createTextNode(text));
  b.addEventListener('click', onClick);
  return b;
}

/**
 * Wraps each <pre> of rendered markdown in a block with a bar (language,
 * Copy, Insert at Cursor) and highlights it. `final`: the answer is complete,
 * so a block without a language may be detected (not while streaming: the
 * guess would flicker).
 */
export function decorateCodeBlocks(target: HTMLElement, post: (m: WebviewMessage) => void, final: boolean): void {
  for (const pre of Array.from(target.querySelectorAll('pre'))) {
    const code = pre.querySelector('code');
    const text = (code ?? pre).textContent ?? '';
    const declared = /language-([\w+#-]+)/.exec(code?.className ?? '')?.[1]?.toLowerCase();
    let language = declared && hljs.getLanguage(declared) ? declared : undefined;
    if (code && text.length <= MAX_HIGHLIGHT && (language || final)) {
      const result = language ? hljs.highlight(text, { language, ignoreIllegals: true }) : hljs.highlightAuto(text);
      // hljs escapes the text it wraps in spans; the result holds no markup from the answer
      code.innerHTML = result.value;
      code.classList.add('hljs');
      language ??= result.language;
    }
    const wrap = document.createElement('div');
    wrap.className = 'code-block';
    const bar = document.createElement('div');
    bar.className = 'code-bar';
    const name = document.createElement('span');
    name.className = 'code-language';
    name.textContent = declared ?? language ?? 'code';
    bar.append(
      name,
      iconButton('Copy code', 'Copy', 'copy', () => post({ type: 'copy', text }), 'copy'),
      iconButton('Insert at Cursor', 'Insert', 'insert', () => post({ type: 'insert', text }), 'insert'),
    );
    pre.replaceWith(wrap);
    wrap.append(bar, pre);
  }
}
