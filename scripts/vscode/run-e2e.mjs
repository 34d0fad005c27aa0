// Runs the UI tests (test/e2e/*.test.ts, node's test runner through tsx) against
// the packed .vsix: packs it first unless SWARM_VSIX names one. Prints
// 'ui: N passed, N failed' at the end.
//   node scripts/vscode/run-e2e.mjs [filter…] [--host oldest|newest]
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, host, ensureHost } from './host.mjs';

if (!process.env.SWARM_VSIX) {
  const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error('packing the .vsix failed');
    console.log('ui: 0 passed, 1 failed');
    process.exit(1);
  }
}
ensureHost();
const argv = process.argv.slice(2);
const hostAt = argv.indexOf('--host');
const filter = hostAt >= 0 ? argv.filter((_, i) => i !== hostAt && i !== hostAt + 1) : argv;
const files = readdirSync(join(projectRoot, 'test/e2e'))
  .filter((f) => f.endsWith('.test.ts') && (filter.length === 0 || filter.some((x) => f.includes(x))))
  .map((f) => join('test/e2e', f));
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=300000', '--test-reporter=spec', ...files],
  { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SWARM_VSCODE_HOST: host.name } },
);
let out = '';
child.stdout.on('data', (b) => {
  out += b;
  process.stdout.write(b);
});
const code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
const count = (name) => Number(new RegExp(`ℹ ${name} (\\d+)`).exec(out)?.[1] ?? 0);
const passed = count('pass');
let failed = count('fail') + count('cancelled');
if (code !== 0 && failed === 0) failed = 1;
console.log(`ui (VS Code ${host.vscodeVersion}): ${passed} passed, ${failed} failed`);
process.exit(code === 0 ? 0 : 1);
