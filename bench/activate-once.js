// One cold activation of the bundled extension (dist/extension.js) against a
// stand-in for the `vscode` API in which every call succeeds and does
// nothing: what is measured is our own start-up (loading the bundle and
// running activate()), not VS Code's. Prints {"loadMs","activateMs"}.
'use strict';
const Module = require('node:module');
const { join } = require('node:path');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');

const storage = mkdtempSync(join(tmpdir(), 'bench-activate-'));

function anything(name) {
  const cache = new Map();
  const target = function () {};
  return new Proxy(target, {
    get(_, prop) {
      if (prop === Symbol.toPrimitive) return () => name;
      if (prop === 'then') return undefined; // not a promise
      if (prop === 'fsPath' || prop === 'path') return join(storage, String(name));
      if (prop === 'version') return '1.100.0';
      if (prop === 'remoteName') return undefined;
      if (!cache.has(prop)) cache.set(prop, anything(`${name}.${String(prop)}`));
      return cache.get(prop);
    },
    set(_, prop, value) {
      cache.set(prop, value);
      return true;
    },
    apply() {
      return anything(`${name}()`);
    },
    construct() {
      return anything(`new ${name}`);
    },
  });
}

// a plain object with the namespaces as own keys: the bundle copies them (esbuild's __toESM)
const vscode = {};
for (const key of ['window', 'commands', 'workspace', 'env', 'Uri', 'EventEmitter', 'ThemeColor', 'ThemeIcon', 'MarkdownString', 'StatusBarAlignment', 'ViewColumn', 'ProgressLocation', 'ConfigurationTarget', 'Disposable', 'languages', 'extensions', 'l10n', 'Range', 'Position', 'Selection', 'CancellationTokenSource', 'LogLevel']) {
  vscode[key] = anything(key);
}
vscode.version = '1.100.0';
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };

const context = {
  subscriptions: [],
  secrets: anything('secrets'),
  globalState: anything('globalState'),
  workspaceState: anything('workspaceState'),
  globalStorageUri: { fsPath: storage, path: storage, scheme: 'file' },
  extensionUri: anything('extensionUri'),
  extensionPath: join(__dirname, '..'),
  extensionMode: 1,
};

let t = performance.now();
const ext = require(join(__dirname, '..', 'dist', 'extension.js'));
const loadMs = performance.now() - t;
t = performance.now();
ext.activate(context);
const activateMs = performance.now() - t;
for (const d of context.subscriptions) {
  try {
    d.dispose?.();
  } catch {
    // a stand-in disposable
  }
}
process.stdout.write(`${JSON.stringify({ loadMs, activateMs })}\n`);
rmSync(storage, { recursive: true, force: true });
process.exit(0);
