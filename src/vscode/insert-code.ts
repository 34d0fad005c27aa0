// Insert at Cursor for a code block of an answer: into the editor the user
// was last in (a side-bar view does not take the active editor away), as a
// snippet-free plain edit at every cursor, replacing a selection.
import * as vscode from 'vscode';

export async function insertAtCursor(text: string): Promise<boolean> {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) {
    void vscode.window.showInformationMessage('Swarm Compute: open a file to insert the code into, then choose Insert at Cursor again.');
    return false;
  }
  const done = await editor.edit((edit) => {
    for (const sel of editor.selections) edit.replace(sel, text);
  });
  if (done) await vscode.window.showTextDocument(editor.document, editor.viewColumn);
  return done;
}
