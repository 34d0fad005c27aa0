// The chat webview's page: its content security policy (only our own script,
// by nonce) and the static layout webview/chat.ts fills in.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function chatHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = makeNonce();
  const uri = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', file)).toString();
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${uri('codicon.css')}" rel="stylesheet">
<link href="${uri('chat.css')}" rel="stylesheet">
<link href="${uri('highlight.css')}" rel="stylesheet">
<title>Swarm Compute Chat</title>
</head>
<body>
<div id="app" class="app">
<div class="toolbar" role="toolbar" aria-label="Chat settings">
  <label class="picker"><span class="codicon codicon-settings-gear" aria-hidden="true"></span>
    <span class="visually-hidden">Mode</span>
    <select id="mode" aria-label="Mode: where answers come from"></select></label>
  <label class="picker"><span class="codicon codicon-hubot" aria-hidden="true"></span>
    <span class="visually-hidden">Model</span>
    <select id="model" aria-label="Model"></select></label>
  <button id="refresh-models" class="icon-button" title="Refresh the model list" aria-label="Refresh the model list"><span class="codicon codicon-refresh"></span></button>
</div>
<div id="models-error" class="models-error" role="status" hidden></div>
<main id="log" class="log" role="log" aria-live="polite" aria-label="Conversation" tabindex="0"></main>
<div id="empty" class="empty" hidden>
  <p><span class="codicon codicon-comment-discussion" aria-hidden="true"></span></p>
  <p>Ask anything. Answers come from your local model first, and from the Nostr compute marketplace when it cannot answer.</p>
  <p>Select code and run <strong>Swarm Compute: Explain Selection</strong> (Ctrl+Alt+E).</p>
  <p><button id="get-started" type="button" class="secondary"><span class="codicon codicon-rocket" aria-hidden="true"></span> Get started</button></p>
</div>
<section id="consent" class="consent" role="alertdialog" aria-labelledby="consent-title" aria-describedby="consent-what" hidden></section>
<form id="composer" class="composer">
  <textarea id="prompt" rows="3" placeholder="Ask a question (Enter to send, Shift+Enter for a new line)" aria-label="Prompt"></textarea>
  <div class="composer-actions">
    <button id="send" type="submit" class="primary" aria-label="Send"><span class="codicon codicon-send"></span> Send</button>
    <button id="stop" type="button" class="secondary" aria-label="Stop the answer" hidden><span class="codicon codicon-debug-stop"></span> Stop</button>
  </div>
</form>
</div>
<script nonce="${nonce}" src="${uri('chat.js')}"></script>
</body>
</html>`;
}
