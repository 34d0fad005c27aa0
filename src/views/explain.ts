// Explain Selection: the selected code, its language and file name become a
// prompt; the chat opens (and is waited for) and streams the answer.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { AskOutcome, ChatSession } from './chat-session';
import type { ChatViewProvider } from './chat-view';

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

export function selectionInput(editor: vscode.TextEditor): ExplainInput | null {
  const sel = editor.selection;
  const code = editor.document.getText(sel);
  if (!code.trim()) return null;
  return {
    code,
    languageId: editor.document.languageId,
    fileName: editor.document.isUntitled ? editor.document.uri.path : basename(editor.document.uri.path),
    startLine: sel.start.line + 1,
    endLine: sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line : sel.end.line + 1,
  };
}

export async function explainSelection(session: ChatSession, chat: ChatViewProvider): Promise<AskOutcome | undefined> {
  const editor = vscode.window.activeTextEditor;
  const input = editor ? selectionInput(editor) : null;
  if (!input) {
    void vscode.window.showInformationMessage('Swarm Compute: select some code first, then run Explain Selection.');
    return undefined;
  }
  const { prompt, question } = explainPrompt(input);
  await chat.reveal();
  return session.ask(prompt, { question });
}
