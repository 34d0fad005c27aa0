// `npm run test:vscode`: the integration suite in a real extension host, then
// the UI tests against the packed .vsix; ends with one 'vscode: N passed, N failed'.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './host.mjs';

function run(script) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'scripts/vscode', script)], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      process.stdout.write(b);
    });
    child.on('exit', (code) => {
      const m = /(\d+) passed, (\d+) failed\s*$/.exec(out.trimEnd());
      resolve({ code: code ?? 1, passed: Number(m?.[1] ?? 0), failed: Number(m?.[2] ?? (code === 0 ? 0 : 1)) });
    });
  });
}

const results = [await run('run-integration.mjs'), await run('run-e2e.mjs')];
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0) + (results.some((r) => r.code !== 0) && results.every((r) => r.failed === 0) ? 1 : 0);
console.log(`vscode: ${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
