// Explain Selection: the selected code, its language and file name become a
// prompt; the chat opens (and is waited for) and streams the answer.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { AskOutcome, ChatSession } from './chat-session';
import type { ChatViewProvider } from './chat-view';
import { explainPrompt, type ExplainInput } from '../ui-model/explain-prompt';

export { explainPrompt, questionFromPrompt, type ExplainInput } from '../ui-model/explain-prompt';

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
  // the first turn of a new conversation: the code, file name, language and lines are in the prompt
  return session.ask(prompt, { question, newConversation: true });
}
