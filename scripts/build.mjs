// Bundles the extension, its engine, the CLI and the chat webview with esbuild,
// and puts sql.js's wasm beside them (sql.js looks for `sql-wasm.wasm` next to
// the running bundle). The engine is its own bundle (dist/engine.js) so the
// extension's activate() does not load it; the webview script and the
// codicon font go to media/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const media = join(root, 'media');
mkdirSync(dist, { recursive: true });
mkdirSync(media, { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
  // ws loads these native speed-ups only when installed
  external: ['bufferutil', 'utf-8-validate'],
};

const builds = [
  build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: [...common.external, 'vscode'] }),
  build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({
    entryPoints: ['webview/chat.ts'],
    outfile: 'media/chat.js',
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    minify: true,
    sourcemap: false,
    logLevel: 'warning',
    absWorkingDir: root,
  }),
];
if (existsSync(join(root, 'src/engine-bundle.ts'))) {
  builds.push(build({ ...common, entryPoints: ['src/engine-bundle.ts'], outfile: 'dist/engine.js' }));
}
// The history's database worker: src/history/worker-db-host.ts starts it from
// next to whichever bundle runs (dist/engine.js, dist/cli.js).
builds.push(build({ ...common, entryPoints: ['src/history/history-worker.ts'], outfile: 'dist/history-worker.js' }));
await Promise.all(builds);
chmodSync(join(dist, 'cli.js'), 0o755);
copyFileSync(join(root, 'node_modules/sql.js/dist/sql-wasm.wasm'), join(dist, 'sql-wasm.wasm'));
for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(join(root, 'node_modules/@vscode/codicons/dist', f), join(media, f));
