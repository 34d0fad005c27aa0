// A second extension, loaded beside Swarm Compute in the test hosts, that uses
// Swarm Compute's models only through VS Code's language model API, as Cline,
// Roo Code or Continue would: selectChatModels({ vendor: 'swarm-compute' }),
// then sendRequest, reading the streamed text parts. The integration suite
// calls its exports; the UI test runs its command and reads the notification.
// Plain JavaScript so it needs no build.
const vscode = require('vscode');

const VENDOR = 'swarm-compute';
const PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

async function models() {
  const found = await vscode.lm.selectChatModels({ vendor: VENDOR });
  return found.map((m) => ({ id: m.id, name: m.name, vendor: m.vendor, family: m.family, version: m.version, maxInputTokens: m.maxInputTokens }));
}

async function pick(modelId) {
  const [model] = await vscode.lm.selectChatModels(modelId ? { vendor: VENDOR, id: modelId } : { vendor: VENDOR });
  if (!model) throw new Error(`no ${VENDOR} model${modelId ? ` with id ${modelId}` : ''}`);
  return model;
}

/**
 * Sends `messages` ({role: 'user'|'assistant', content, image?}[]) and collects the
 * streamed text parts. cancelAfterChunks: cancels the request's token once
 * that many parts arrived. Never throws: the error is returned.
 */
async function ask(modelId, messages, options = {}) {
  const cts = new vscode.CancellationTokenSource();
  const chunks = [];
  const started = Date.now();
  let error = null;
  try {
    const model = await pick(modelId);
    const request = messages.map((m) => {
      if (m.role === 'assistant') return vscode.LanguageModelChatMessage.Assistant(m.content);
      // image: a 1×1 PNG beside the text (LanguageModelDataPart, VS Code 1.104+)
      if (m.image) return vscode.LanguageModelChatMessage.User([new vscode.LanguageModelTextPart(m.content), vscode.LanguageModelDataPart.image(PIXEL_PNG, 'image/png')]);
      return vscode.LanguageModelChatMessage.User(m.content);
    });
    const response = await model.sendRequest(request, { justification: 'LM Client tests Swarm Compute' }, cts.token);
    for await (const part of response.stream) {
      if (part instanceof vscode.LanguageModelTextPart) {
        chunks.push(part.value);
        if (options.cancelAfterChunks && chunks.length >= options.cancelAfterChunks) cts.cancel();
      }
    }
  } catch (err) {
    const message = err && err.message !== undefined ? err.message : err;
    error = { name: err && err.name, message: typeof message === 'string' ? message : JSON.stringify(message), code: err && err.code };
  } finally {
    cts.dispose();
  }
  return { chunks, text: chunks.join(''), error, ms: Date.now() - started };
}

async function countTokens(modelId, text) {
  return (await pick(modelId)).countTokens(text);
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('lmClient.ask', async () => {
      const question = vscode.workspace.getConfiguration('lmClient').get('question');
      const found = await models();
      if (found.length === 0) {
        void vscode.window.showErrorMessage('LM Client: no swarm-compute model in vscode.lm');
        return;
      }
      const r = await ask(found[0].id, [{ role: 'user', content: question }]);
      if (r.error) void vscode.window.showErrorMessage(`LM Client failed: ${r.error.message}`);
      else void vscode.window.showInformationMessage(`LM Client answer from ${found[0].name}: ${r.text}`);
    }),
  );
  return { models, ask, countTokens };
}

module.exports = { activate, deactivate() {} };
