import * as assert from 'node:assert';
import * as vscode from 'vscode';

describe('extension host', () => {
  it('runs inside a real VS Code server extension host', () => {
    assert.ok(vscode.version.startsWith('1.'));
    assert.ok(vscode.env.remoteName, 'a remote (server) extension host');
  });
});
