// Runs test/vscode/*.test.ts with mocha inside a real VS Code extension host:
// bundles the suite into out/test/vscode/, starts the VS Code server on a free
// loopback port with fresh folders, opens the workbench in headless Chromium
// with the extensionDevelopmentPath/extensionTestsPath payload, relays the
// output the workbench hands to codeAutomationLog and exits with the suite's
// code after printing 'N passed, N failed'.
//   node scripts/vscode/run-integration.mjs [--grep text] [--keep] [--host oldest|newest]
// The host (host.mjs) is the oldest VS Code the extension accepts unless
// --host / SWARM_VSCODE_HOST says newest.
import { build } from 'esbuild';
import { readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { projectRoot, host, makeDirs, writeUserSettings, startServer, launchBrowser, removeDirs, installFolder } from './host.mjs';

const args = process.argv.slice(2);
const grep = args.includes('--grep') ? args[args.indexOf('--grep') + 1] : process.env.SWARM_VSCODE_GREP;
const keep = args.includes('--keep');
const timeoutMs = Number(process.env.SWARM_VSCODE_TIMEOUT_MS || 10 * 60_000);

const outDir = join(projectRoot, 'out/test/vscode');
rmSync(outDir, { recursive: true, force: true });
const testDir = join(projectRoot, 'test/vscode');
const entries = ['index.ts', ...readdirSync(testDir).filter((f) => f.endsWith('.test.ts'))].map((f) => join(testDir, f));
await build({
  entryPoints: entries,
  outdir: outDir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  packages: 'external',
  external: ['vscode'],
  logLevel: 'warning',
  absWorkingDir: projectRoot,
});

const dirs = makeDirs();
writeUserSettings(dirs);
// A second extension that uses Swarm Compute's models only through vscode.lm,
// installed (the workbench takes only one extensionDevelopmentPath from the
// URL payload: the last one given).
installFolder(dirs, join(projectRoot, 'test/lm-client'));
mkdirSync(join(dirs.ws, 'src'), { recursive: true });
writeFileSync(
  join(dirs.ws, 'src/sample.ts'),
  'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
);

// the workbench's own start-up chatter, shown with SWARM_VSCODE_VERBOSE=1
const workbenchNoise =
  /^(\[reconnection-grace-time\]|\[AgentHost|\[AccountPolicyGate\]|DialogService: Dialog requested during smoke test|Resolving connection token|Resolved connection token|Creating a socket|Ignoring fetching additional|\[Service Worker\]|ChatSessionStore|Updating additional builtin|Creation of workbench contribution)/;
let server;
let browser;
let exitCode = 1;
let counts = null;
const lines = [];
const print = (text) => {
  for (const line of String(text).split(/\r?\n/)) {
    const m = /SWARM_SUITE_RESULT (\{.*\})/.exec(line);
    if (m) counts = JSON.parse(m[1]);
    lines.push(line);
  }
  process.stdout.write(String(text).endsWith('\n') ? String(text) : String(text) + '\n');
};
try {
  server = await startServer(dirs, {
    env: { SWARM_VSCODE_GREP: grep ?? '', SWARM_TEST_WORKSPACE: dirs.ws },
    log: process.env.SWARM_VSCODE_SERVER_LOG ? (t) => process.stderr.write(t) : undefined,
  });
  browser = await launchBrowser();
  const page = await browser.newPage();
  const done = new Promise((resolve) => {
    page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      if (!process.env.SWARM_VSCODE_VERBOSE && workbenchNoise.test(text)) return;
      print(text);
    });
    page.exposeFunction('codeAutomationExit', (code) => resolve(code));
  });
  page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
  const payload = [
    ['extensionDevelopmentPath', server.remoteUri(projectRoot)],
    ['extensionTestsPath', server.remoteUri(join(outDir, 'index.js'))],
  ];
  await page.goto(server.workbenchUrl(dirs.ws, payload));
  const timeout = new Promise((resolve) =>
    setTimeout(() => {
      print(`integration suite did not finish within ${timeoutMs / 1000}s`);
      resolve(1);
    }, timeoutMs).unref(),
  );
  exitCode = await Promise.race([done, timeout]);
} catch (e) {
  print(`integration runner failed: ${e?.stack ?? e}`);
  if (server) print(server.output());
  exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
  if (!keep) removeDirs(dirs);
}
if (!counts) counts = { passed: 0, failed: exitCode === 0 ? 0 : 1 };
if (exitCode !== 0 && counts.failed === 0) counts.failed = 1;
console.log(`integration (VS Code ${host.vscodeVersion}): ${counts.passed} passed, ${counts.failed} failed`);
process.exit(exitCode === 0 ? 0 : 1);
