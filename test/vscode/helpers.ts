// Shared by the integration tests: the extension's API, settings helpers, an editor with a selection.
import * as vscode from 'vscode';
import type { SwarmComputeApi } from '../../src/extension';

export const EXTENSION_ID = 'swarm-compute.swarm-compute';

export async function api(): Promise<SwarmComputeApi> {
  const ext = vscode.extensions.getExtension<SwarmComputeApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this extension host`);
  return ext.activate();
}

export function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('swarmCompute');
}

/** Sets user settings and waits until the change event has gone round. */
export async function setSettings(values: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    await config().update(key, value, vscode.ConfigurationTarget.Global);
  }
}

export async function resetSettings(keys: string[]): Promise<void> {
  await setSettings(Object.fromEntries(keys.map((k) => [k, undefined])));
}

/** Opens a document with `text` and selects `selected` in it. */
export async function editorWithSelection(text: string, selected: string, language = 'typescript'): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ content: text, language });
  const editor = await vscode.window.showTextDocument(doc);
  const start = text.indexOf(selected);
  if (start < 0) throw new Error('selection not in text');
  editor.selection = new vscode.Selection(doc.positionAt(start), doc.positionAt(start + selected.length));
  return editor;
}

export async function closeEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

export async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
