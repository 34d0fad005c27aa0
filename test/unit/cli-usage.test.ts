// Bad usage: exit 2, a message naming the flag and what is wrong, and nothing
// sent anywhere (the relay sees no connection, Ollama no request) or written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay, type TestRelay } from '../support/relay';
import { runCli } from '../support/cli';

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.stop();
});

const cases: [string, string[], RegExp][] = [
  ['negative price', ['--max-price-msats', '-5'], /--max-price-msats must be a whole number ≥ 0, got "-5"/],
  ['fractional price', ['--max-price-msats', '1.5'], /--max-price-msats must be a whole number ≥ 0, got "1.5"/],
  ['price not a number', ['--max-price-msats', 'lots'], /--max-price-msats .*"lots"/],
  ['unknown job type', ['--job-type', 'image'], /--job-type "image" is not known; known types: text-generation/],
  ['unknown flag', ['--frobnicate'], /unknown flag --frobnicate/],
  ['local timeout zero', ['--local-timeout-secs', '0'], /--local-timeout-secs must be a number of seconds > 0, got "0"/],
  ['swarm timeout text', ['--swarm-timeout-secs', 'soon'], /--swarm-timeout-secs .*"soon"/],
  ['relay not ws', ['--relay', 'http://example.com'], /--relay must be a ws:\/\/ or wss:\/\/ URL, got "http:\/\/example.com"/],
  ['encrypt without provider', ['--encrypt'], /--encrypt needs exactly one --provider/],
  ['bad provider', ['--provider', 'npub1nope'], /--provider must be a 64-hex public key or an npub1… key, got "npub1nope"/],
  ['bad nwc', ['--nwc', 'https://wallet.example'], /--nwc must be a nostr\+walletconnect:\/\//],
  ['bad budget', ['--daily-budget-msats', '-1'], /--daily-budget-msats must be a whole number ≥ 0, got "-1"/],
  ['conflicting modes', ['--local-only', '--local-first'], /--local-only and --local-first cannot be combined/],
  ['bad offer window', ['--offer-window-secs', '-2'], /--offer-window-secs .*"-2"/],
  ['flag without value', ['--model'], /--model needs a value/],
  // a flag where a value belongs is a missing value: `--prompt --local-only` must not send "--local-only" to the swarm
  ['prompt that is a flag', ['--prompt', '--local-only'], /--prompt needs a value, but the next argument is the flag --local-only/],
  ['model that is a flag', ['--model', '--local-only'], /--model needs a value, but the next argument is the flag --local-only/],
  ['price that is a flag', ['--max-price-msats', '--json'], /--max-price-msats needs a value, but the next argument is the flag --json/],
];

for (const [name, extra, message] of cases) {
  test(`submit with ${name}: exit 2, names the flag, sends nothing`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sc-usage-'));
    const before = relay.received.length;
    const opened = relay.connectionsOpened();
    const extraHasPrompt = extra.includes('--prompt');
    const args = ['submit', ...(extraHasPrompt ? [] : ['--prompt', 'hello']), '--relay', relay.url, '--data-dir', dataDir, ...extra];
    const r = await runCli(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
    assert.equal(relay.received.length, before);
    assert.equal(relay.connectionsOpened(), opened);
    assert.deepEqual(readdirSync(dataDir), [], 'nothing written to the data dir');
  });
}

test('submit without --prompt is exit 2 naming --prompt', async () => {
  const r = await runCli(['submit', '--relay', relay.url]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--prompt is required/);
});

test('an invalid budget in the environment is exit 2 naming the variable', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sc-usage-'));
  const r = await runCli(['submit', '--prompt', 'x', '--relay', relay.url, '--data-dir', dataDir], { env: { SWARM_COMPUTE_MONTHLY_BUDGET_MSATS: 'ten' } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /SWARM_COMPUTE_MONTHLY_BUDGET_MSATS must be a whole number ≥ 0, got "ten"/);
  assert.equal(existsSync(join(dataDir, 'identity')), false);
});

test('an invalid SWARM_COMPUTE_NSEC is exit 2 and nothing is sent', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sc-usage-'));
  const r = await runCli(['submit', '--prompt', 'x', '--relay', relay.url, '--data-dir', dataDir], { env: { SWARM_COMPUTE_NSEC: 'nsec1broken' } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /SWARM_COMPUTE_NSEC must be an nsec1… key or 64 hex characters/);
  assert.equal(relay.connectionsOpened(), 0);
});

test('an unknown command is exit 2 listing the commands', async () => {
  const r = await runCli(['sumbit']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "sumbit".*submit, metrics, history/);
});

test('history --limit must be a whole number', async () => {
  const r = await runCli(['history', '--limit', 'all']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--limit must be a whole number ≥ 1, got "all"/);
});

// A data dir that cannot be a directory is bad configuration: exit 2 naming
// where it came from, before any connection — in every command that has one.
test('a data dir that is a file, or below one, is exit 2 naming it, for every command, and nothing is sent', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sc-usage-'));
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a directory');
  const opened = relay.connectionsOpened();
  const commands: string[][] = [
    ['submit', '--prompt', 'x', '--relay', relay.url],
    ['submit', '--prompt', 'x', '--local-only', '--json'],
    ['metrics'],
    ['history'],
    ['providers', '--relay', relay.url],
    ['serve', '--model', 'llama3', '--relay', relay.url],
    ['gateway', '--port', '0'],
  ];
  for (const dir of [file, join(file, 'sub')]) {
    for (const args of commands) {
      const r = await runCli([...args, '--data-dir', dir]);
      assert.equal(r.code, 2, `${args.join(' ')} --data-dir ${dir}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`--data-dir ${dir}.* cannot be used: ${file} is not a directory`));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    }
  }
  const viaEnv = await runCli(['metrics'], { env: { SWARM_COMPUTE_HOME: file } });
  assert.equal(viaEnv.code, 2);
  assert.match(viaEnv.stderr, /SWARM_COMPUTE_HOME .* is not a directory/);
  assert.equal(relay.connectionsOpened(), opened, 'no relay connection');
});

test('a data dir that does not exist yet is made, private, at every new level', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sc-usage-'));
  const dir = join(root, 'new', 'deeper');
  const r = await runCli(['metrics', '--json', '--data-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).totalCostMsats, 0);
  assert.equal(statSync(join(root, 'new')).mode & 0o777, 0o700);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});

test('a data dir given as ~/… (which the shell leaves alone in --data-dir=~/x) is made in the home folder; --help works whatever the data dir', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sc-home-'));
  const cwd = mkdtempSync(join(tmpdir(), 'sc-cwd-'));
  const r = await runCli(['metrics', '--json', '--data-dir=~/sc-data'], { env: { HOME: home }, cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(statSync(join(home, 'sc-data')).isDirectory(), true);
  assert.deepEqual(readdirSync(cwd), [], 'no folder named ~ in the working directory');
  const file = join(home, 'a-file');
  writeFileSync(file, 'x');
  for (const command of ['submit', 'serve', 'gateway', 'providers']) {
    const help = await runCli([command, '--help'], { env: { SWARM_COMPUTE_HOME: file } });
    assert.equal(help.code, 0, `${command} --help: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`swarm-compute ${command}`));
  }
});
