// The wallet secret off the command line: --nwc-file (refused when others can
// read it, exit 2 naming it, nothing sent) and SWARM_COMPUTE_NWC pay without
// a word; --nwc on argv still pays but warns that other users can read it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestRelay } from '../support/relay';
import type { TestProvider } from '../support/test-provider';
import type { NwcTestWallet } from '../support/nwc-wallet';
import { startPaidMarket, type PaidMarket } from '../support/paid-market';
import { runCli } from '../support/cli';

let market: PaidMarket;
let relay: TestRelay, wallet: NwcTestWallet, provider: TestProvider;

before(async () => {
  market = await startPaidMarket();
  ({ relay, wallet } = market);
  provider = await market.addProvider({ paymentRequired: { amountMsats: 300 }, result: 'paid' });
});
after(() => market.stop());

function secretFile(mode: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sc-nwc-')), 'wallet.nwc');
  writeFileSync(file, `# my wallet\n${wallet.uri}\n`);
  chmodSync(file, mode);
  return file;
}
const submit = (extra: string[], env: Record<string, string> = {}) =>
  runCli(
    [
      'submit',
      '--prompt',
      'pay',
      '--relay',
      relay.url,
      '--provider',
      provider.pubkey,
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'sc-nwc-dir-')),
      '--swarm-timeout-secs',
      '10',
      '--json',
      ...extra,
    ],
    { env },
  );
const secret = () => new URL(wallet.uri).searchParams.get('secret')!;

test('--nwc-file readable by others is refused, naming the file; nothing is sent', async () => {
  const file = secretFile(0o644);
  const opened = relay.connectionsOpened();
  const r = await submit(['--nwc-file', file]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    new RegExp(`--nwc-file ${file.replace(/[.]/g, '\\.')} can be read or changed by other users \\(mode 0644\\); make it private first: chmod 600`),
  );
  assert.ok(!r.stderr.includes(secret()), 'the secret is never echoed');
  assert.equal(relay.connectionsOpened(), opened);
  const missing = await submit(['--nwc-file', join(tmpdir(), 'no-such-wallet-file')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--nwc-file .*no-such-wallet-file cannot be read \(ENOENT\)/);
});

test('--nwc-file with mode 0600 and SWARM_COMPUTE_NWC pay without a warning', async () => {
  const before = wallet.payments.length;
  const fromFile = await submit(['--nwc-file', secretFile(0o600)]);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.doesNotMatch(fromFile.stderr, /other users/);
  const fromEnv = await submit([], { SWARM_COMPUTE_NWC: wallet.uri });
  assert.equal(fromEnv.code, 0, fromEnv.stderr);
  assert.doesNotMatch(fromEnv.stderr, /other users/);
  assert.equal(wallet.payments.length - before, 2);
});

test('--nwc on the command line still pays, and warns that other users can read it', async () => {
  const before = wallet.payments.length;
  const r = await submit(['--nwc', wallet.uri]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: --nwc puts the wallet secret on the command line, where other users of this machine can read it/);
  assert.ok(!r.stderr.includes(secret()));
  assert.equal(wallet.payments.length - before, 1);
  const both = await submit(['--nwc', wallet.uri, '--nwc-file', secretFile(0o600)]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /either --nwc or --nwc-file, not both/);
});

test('serve: --nwc-file readable by others is exit 2 naming it; --nwc on argv warns', async () => {
  const file = secretFile(0o640);
  const r = await runCli([
    'serve',
    '--model',
    'llama3.2',
    '--price-msats',
    '10',
    '--relay',
    relay.url,
    '--nwc-file',
    file,
    '--data-dir',
    mkdtempSync(join(tmpdir(), 'sc-nwc-serve-')),
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--nwc-file .*wallet\.nwc can be read or changed by other users \(mode 0640\)/);
  // --nwc on argv: the warning comes first, before Ollama is asked (none listens here: exit 1 or 2 after it)
  const w = await runCli([
    'serve',
    '--model',
    'llama3.2',
    '--relay',
    relay.url,
    '--ollama-host',
    'http://127.0.0.1:9',
    '--nwc',
    wallet.uri,
    '--price-msats',
    '10',
    '--data-dir',
    mkdtempSync(join(tmpdir(), 'sc-nwc-serve-')),
  ]);
  assert.match(w.stderr, /^warning: --nwc puts the wallet secret on the command line/);
});
