// The CLI process must exit on its own after a swarm job: no socket, timer
// or listener of the lane may keep Node's event loop alive. The lane runs in
// a child process; the test measures how long the child lingers after the
// outcome is printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { startRelay } from '../support/relay';
import { startTestProvider } from '../support/test-provider';

const laneModule = pathToFileURL(resolve('src/swarm/nip90-client.ts')).href;
const payerModule = pathToFileURL(resolve('src/wallet/no-wallet-payer.ts')).href;

function childScript(relays: string[], extra: { abortOnJob?: boolean; timeoutMs?: number }): string {
  return `
    // tsx loads the project's .ts files as CommonJS: the exports sit on default
    const load = async (url) => { const m = await import(url); return m.default ?? m; };
    const { Nip90SwarmLane } = await load(${JSON.stringify(laneModule)});
    const { NoWalletPayer } = await load(${JSON.stringify(payerModule)});
    const { generateSecretKey } = await import('nostr-tools/pure');
    const controller = new AbortController();
    const outcome = await new Nip90SwarmLane().run(
      { prompt: 'exit test', model: 'llama3', maxPriceMsats: 1000, relays: ${JSON.stringify(relays)}, providers: [],
        encrypt: false, timeoutMs: ${extra.timeoutMs ?? 10_000}, offerWindowMs: 200 },
      { secretKey: generateSecretKey(), payer: new NoWalletPayer(),
        emit: (e) => { if (${Boolean(extra.abortOnJob)} && e.type === 'job') controller.abort(); } },
      controller.signal,
    );
    process.stdout.write(JSON.stringify({ ok: outcome.ok, kind: outcome.ok ? null : outcome.error.kind }) + '\\n');
  `;
}

/** runs the lane in a child; resolves with its outcome and how long it lived after printing it */
function runChild(script: string): Promise<{ outcome: { ok: boolean; kind: string | null }; lingerMs: number; code: number | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let printedAt = 0;
    child.stdout.on('data', (d) => {
      out += String(d);
      if (!printedAt && out.includes('\n')) printedAt = Date.now();
    });
    child.stderr.on('data', (d) => (err += String(d)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      if (!printedAt) return reject(new Error(`child printed no outcome (code ${code}): ${err}`));
      resolvePromise({ outcome: JSON.parse(out.trim()), lingerMs: Date.now() - printedAt, code });
    });
  });
}

test('after a completed job the process exits on its own', async () => {
  const relay = await startRelay();
  const provider = await startTestProvider({ relays: [relay.url], script: { partials: ['a', 'b'], result: 'ab' } });
  try {
    const r = await runChild(childScript([relay.url], {}));
    assert.deepEqual(r.outcome, { ok: true, kind: null });
    assert.equal(r.code, 0);
    assert.ok(r.lingerMs < 1500, `lingered ${r.lingerMs} ms`);
  } finally {
    await provider.stop();
    await relay.stop();
  }
});

test('after a cancelled job the process exits on its own', async () => {
  const relay = await startRelay();
  try {
    const r = await runChild(childScript([relay.url], { abortOnJob: true }));
    assert.deepEqual(r.outcome, { ok: false, kind: 'cancelled' });
    assert.ok(r.lingerMs < 1500, `lingered ${r.lingerMs} ms`);
  } finally {
    await relay.stop();
  }
});

test('after a swarm timeout, and with every relay down, the process exits on its own', async () => {
  const relay = await startRelay();
  const down = await startRelay();
  const downUrl = down.url;
  await down.stop();
  try {
    const timedOut = await runChild(childScript([relay.url, downUrl], { timeoutMs: 800 }));
    assert.deepEqual(timedOut.outcome, { ok: false, kind: 'no-provider' });
    assert.ok(timedOut.lingerMs < 1500, `lingered ${timedOut.lingerMs} ms`);
    const noRelay = await runChild(childScript([downUrl], {}));
    assert.deepEqual(noRelay.outcome, { ok: false, kind: 'no-relay' });
    assert.ok(noRelay.lingerMs < 1500, `lingered ${noRelay.lingerMs} ms`);
  } finally {
    await relay.stop();
  }
});
