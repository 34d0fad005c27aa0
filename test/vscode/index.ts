// Entry point the extension host loads through extensionTestsPath: runs every
// bundled *.test.js beside it with mocha and reports the counts in one line
// the runner (scripts/vscode/run-integration.mjs) turns into CI's summary.
import Mocha from 'mocha';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.SWARM_VSCODE_GREP;
  if (grep) mocha.grep(grep);
  for (const f of readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort())
    mocha.addFile(join(__dirname, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const { passes = 0, failures: failed = 0, pending = 0 } = runner.stats ?? {};
      console.log(`SWARM_SUITE_RESULT ${JSON.stringify({ passed: passes, failed, pending })}`);
      failures > 0 ? reject(new Error(`${failures} tests failed`)) : resolve();
    });
  });
}
