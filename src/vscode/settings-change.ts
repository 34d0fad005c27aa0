// The one way a part of the extension hears that a swarmCompute.* setting
// changed (any of them: each part reads what it needs again).
import * as vscode from 'vscode';
import { SECTION } from './settings';

export function onSettingsChange(fn: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(SECTION)) fn();
  });
}
