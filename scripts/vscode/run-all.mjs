// `npm run test:vscode`: on each VS Code test host (the oldest the extension
// accepts, then the newest; host.mjs), the integration suite in a real
// extension host, then the UI tests against the packed .vsix (packed once);
// ends with one 'vscode: N passed, N failed' summed over both hosts.
//   node scripts/vscode/run-all.mjs [--host oldest|newest]   (default: both)
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { HOSTS, projectRoot } from './host.mjs';

function run(script, hostName, env) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'scripts/vscode', script)], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env, SWARM_VSCODE_HOST: hostName },
    });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      process.stdout.write(b);
    });
    child.on('exit', (code) => {
      const m = /(\d+) passed, (\d+) failed\s*$/.exec(out.trimEnd());
      resolve({ code: code ?? 1, passed: Number(m?.[1] ?? 0), failed: Number(m?.[2] ?? (code === 0 ? 0 : 1)), ms: Date.now() - started });
    });
  });
}

const argv = process.argv.slice(2);
const only = argv.includes('--host') ? argv[argv.indexOf('--host') + 1] : undefined;
if (only && !Object.hasOwn(HOSTS, only)) {
  console.error(`unknown VS Code test host "${only}": use one of ${Object.keys(HOSTS).join(', ')}`);
  process.exit(2);
}
const env = {};
const results = [];
if (!process.env.SWARM_VSIX) {
  // one .vsix for every host's UI tests
  const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error('packing the .vsix failed');
    results.push({ code: 1, passed: 0, failed: 1, ms: 0 });
  } else env.SWARM_VSIX = join(projectRoot, 'swarm-compute.vsix');
}
const timings = [];
for (const name of only ? [only] : Object.keys(HOSTS)) {
  if (!env.SWARM_VSIX && !process.env.SWARM_VSIX) break;
  const integration = await run('run-integration.mjs', name, env);
  const ui = await run('run-e2e.mjs', name, env);
  results.push(integration, ui);
  timings.push(`VS Code ${HOSTS[name].vscodeVersion}: integration ${(integration.ms / 1000).toFixed(0)} s, ui ${(ui.ms / 1000).toFixed(0)} s`);
}
for (const t of timings) console.log(t);
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0) + (results.some((r) => r.code !== 0) && results.every((r) => r.failed === 0) ? 1 : 0);
console.log(`vscode: ${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
