// `npm start`: builds and packs the extension, installs the VS Code server
// (code-server@4.100.3 into .vscode-test/, or with --host newest
// code-server@4.139.1 on Node 24 into .vscode-test-next/) if needed, installs
// the .vsix into it and starts a real VS Code on loopback, printing the URL.
//   npm start [-- --port 8090] [--folder PATH] [--host oldest|newest]
// State (settings, history, secrets) persists in the host folder's start/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot, host, ensureHost, makeDirs, writeUserSettings, installVsix, startServer } from './host.mjs';

const args = process.argv.slice(2);
const arg = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const port = Number(arg('--port') ?? process.env.PORT ?? 8090);
const base = join(host.root, 'start');

const step = (what, cmd, cmdArgs) => {
  console.log(`▸ ${what}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error(`✗ ${what} failed`);
    process.exit(1);
  }
};

step('building and packing the extension', 'npm', ['run', '--silent', 'package']);
console.log('▸ checking the VS Code server (first time: 1–2 minutes)');
ensureHost();

const dirs = makeDirs(base);
const settingsFile = join(dirs.ud, 'User/settings.json');
if (!existsSync(settingsFile)) writeUserSettings(dirs);
let folder = arg('--folder') ? resolve(arg('--folder')) : dirs.ws;
if (!arg('--folder') && !existsSync(join(dirs.ws, 'example.ts'))) {
  mkdirSync(dirs.ws, { recursive: true });
  writeFileSync(
    join(dirs.ws, 'example.ts'),
    `// Select some code and run "Swarm Compute: Explain Selection" (Ctrl+Alt+E).
export function debounce<T extends (...args: unknown[]) => void>(fn: T, waitMs: number): T {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return ((...args: unknown[]) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), waitMs);
  }) as T;
}
`,
  );
}
console.log('▸ installing swarm-compute.vsix');
installVsix({ ...dirs, sd: dirs.ud }, join(projectRoot, 'swarm-compute.vsix'));

// code-server's entry rather than the bare server: the bare one answers POST /mint-key with 405, so
// VS Code web cannot keep secrets (the Nostr key, the wallet) across reloads. The tests keep the bare server.
// --user-data-dir holds what --server-data-dir held before (history, global state).
const server = await startServer(dirs, { port, codeServer: true });
const url = server.workbenchUrl(folder);
console.log(`\n✓ VS Code with Swarm Compute is running:\n\n    ${url}\n\nOpen it in a browser (Ollama on http://127.0.0.1:11434 answers locally).`);
console.log(`State: ${base}   Stop: Ctrl+C\n`);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.child.on('exit', (code) => {
  console.error(`VS Code server exited (${code})`);
  process.exit(code ?? 1);
});
