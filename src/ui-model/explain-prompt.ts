// The prompt Explain Selection sends, and the short question the chat shows for it. No vscode here.

const MAX_CHARS = 24_000;

export interface ExplainInput {
  code: string;
  languageId: string;
  fileName: string;
  startLine: number;
  endLine: number;
}

export function explainPrompt(input: ExplainInput): { prompt: string; question: string } {
  const truncated = input.code.length > MAX_CHARS;
  const code = truncated ? input.code.slice(0, MAX_CHARS) : input.code;
  const fence = code.includes('```') ? '````' : '```';
  const lines = input.startLine === input.endLine ? `line ${input.startLine}` : `lines ${input.startLine}–${input.endLine}`;
  const block = `${fence}${input.languageId}\n${code}\n${fence}`;
  const prompt =
    `Explain what this ${input.languageId} code from \`${input.fileName}\` (${lines}) does. ` +
    `Be concise: its purpose, how it works, and anything surprising or likely wrong.` +
    (truncated ? ` (The selection was cut to its first ${MAX_CHARS} characters.)` : '') +
    `\n\n${block}`;
  const question = `**Explain** \`${input.fileName}\` ${lines}\n\n${block}`;
  return { prompt, question };
}

/** Pre-v4 history rows: the question recovered from the prompt (the v4 migration uses it; nothing else should). */
export { legacyExplainQuestion as questionFromPrompt } from '../history/legacy-question';
