import * as assert from 'node:assert';
import * as vscode from 'vscode';
import { api, EXTENSION_ID } from './helpers';

describe('contributions', () => {
  before(async () => {
    await api();
  });

  it('registers every contributed command, all under the "Swarm Compute" category', async () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const contributed: { command: string; category: string }[] = pkg.contributes.commands;
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of contributed) {
      assert.ok(registered.has(c.command), `${c.command} is registered`);
      assert.strictEqual(c.category, 'Swarm Compute', `${c.command} category`);
    }
    for (const id of [
      'explainSelection',
      'openChat',
      'showMetrics',
      'setNostrKey',
      'connectWallet',
      'diagnoseConnection',
      'exportHistory',
      'clearHistory',
      'shareModel',
      'stopSharing',
      'toggleSharing',
      'showProviders',
    ]) {
      assert.ok(
        contributed.some((c) => c.command === `swarmCompute.${id}`),
        `swarmCompute.${id} is contributed`,
      );
    }
  });

  it('declares every setting with a type, a default and a description', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    const props: Record<string, { type: unknown; default: unknown; description?: string; markdownDescription?: string }> =
      pkg.contributes.configuration.properties;
    for (const key of [
      'mode',
      'model',
      'ollamaHost',
      'relays',
      'maxPriceMsats',
      'localTimeoutSecs',
      'swarmTimeoutSecs',
      'dailyBudgetMsats',
      'monthlyBudgetMsats',
      'encrypt',
      'providers',
      'share.model',
      'share.priceMsats',
      'share.maxConcurrent',
    ]) {
      const p = props[`swarmCompute.${key}`];
      assert.ok(p, `swarmCompute.${key} is declared`);
      assert.ok(p.type, `${key} has a type`);
      assert.ok('default' in p, `${key} has a default`);
      assert.ok(p.description || p.markdownDescription, `${key} has a description`);
    }
    assert.strictEqual(vscode.workspace.getConfiguration('swarmCompute').get('mode'), 'fallback');
  });

  it('opens the chat view and its webview says ready', async () => {
    const swarm = await api();
    await vscode.commands.executeCommand('swarmCompute.openChat');
    const deadline = Date.now() + 20_000;
    while (!swarm.chatReady && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(swarm.chatReady, 'the chat webview answered the ready handshake');
  });

  it('Explain Selection without a selection runs nothing', async () => {
    const doc = await vscode.workspace.openTextDocument({ content: 'const x = 1;\n', language: 'typescript' });
    await vscode.window.showTextDocument(doc);
    const outcome = await vscode.commands.executeCommand('swarmCompute.explainSelection');
    assert.strictEqual(outcome, undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
