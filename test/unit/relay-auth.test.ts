// NIP-42: relays that require authentication (@nostr-relay/core with a
// hostname, refusing EVENT and REQ with "auth-required:" until AUTH). The
// built CLI's serve, submit, providers and gateway answer the challenge with
// their identity key and retry what was refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { bytesToHex } from 'nostr-tools/utils';
import OpenAI from 'openai';
import { startRelay, type TestRelay } from '../support/relay';
import { closedPort, startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { runCli, type CliRun } from '../support/cli';
import { startGatewayCli } from '../support/gateway';
import { startNwcWallet } from '../support/nwc-wallet';
import { NwcClient } from '../../src/wallet/nwc-client';

const ANSWER = 'Answered behind an authenticating relay.';
let ollama: OllamaStandin;

before(async () => {
  ollama = await startOllamaStandin({ models: { llama3: { reply: ANSWER } } });
});
after(async () => {
  await ollama.stop();
});

const dataDir = () => mkdtempSync(join(tmpdir(), 'sc-auth-'));

function identity() {
  const sk = generateSecretKey();
  return { nsec: bytesToHex(sk), pubkey: getPublicKey(sk) };
}

/** `serve` on the relay; resolves once its announcement is stored (it had to authenticate for that) */
async function serve(relay: TestRelay, nsec: string) {
  let child: import('node:child_process').ChildProcess | null = null;
  const since = Math.floor(Date.now() / 1000) - 1;
  const run = runCli(['serve', '--model', 'llama3', '--relay', relay.url, '--ollama-host', ollama.url, '--data-dir', dataDir()], {
    env: { SWARM_COMPUTE_NSEC: nsec },
    timeoutMs: 90_000,
    onSpawn: (c) => (child = c),
  });
  const announced = await Promise.race([
    relay.waitFor({ kinds: [31990], since }, 30_000),
    run.then((r: CliRun) => {
      throw new Error(`serve exited (${r.code}) before announcing:\n${r.stderr}`);
    }),
  ]);
  return {
    announced,
    async stop() {
      child!.kill('SIGTERM');
      return run;
    },
  };
}

test('the test relay really requires NIP-42: a client that does not authenticate is refused', async () => {
  const relay = await startRelay({ requireAuth: 'on-connect' });
  try {
    const ws = new WebSocket(relay.url);
    const frames: unknown[][] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw)) as unknown[];
        frames.push(msg);
        if (msg[0] === 'AUTH') ws.send(JSON.stringify(['REQ', 'x', { kinds: [5050] }]));
        if (msg[0] === 'CLOSED') resolve();
      });
    });
    ws.close();
    assert.equal(frames[0][0], 'AUTH');
    assert.deepEqual(frames.at(-1)!.slice(0, 2), ['CLOSED', 'x']);
    assert.match(String(frames.at(-1)![2]), /^auth-required:/);
  } finally {
    await relay.stop();
  }
});

for (const mode of ['on-connect', 'on-refusal'] as const) {
  test(`challenge ${mode}: serve, submit and providers authenticate with their identity keys and the job completes`, async () => {
    const relay = await startRelay({ requireAuth: mode });
    const seller = identity();
    const buyer = identity();
    const provider = await serve(relay, seller.nsec);
    try {
      assert.equal(provider.announced.pubkey, seller.pubkey);
      const dir = dataDir();
      const r = await runCli(['submit', '--prompt', 'behind auth', '--json', '--relay', relay.url, '--data-dir', dir, '--swarm-timeout-secs', '30'], {
        env: { SWARM_COMPUTE_NSEC: buyer.nsec },
      });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.lane, 'swarm');
      assert.equal(out.provider, seller.pubkey);
      assert.equal(out.response, ANSWER);
      assert.ok(relay.authenticated.includes(seller.pubkey), 'serve authenticated with its key');
      assert.ok(relay.authenticated.includes(buyer.pubkey), 'submit authenticated with its key');
      if (mode === 'on-refusal') assert.ok(relay.authRefusals() >= 2, 'first tries were refused and retried');

      const listDir = dataDir();
      const listed = await runCli(['providers', '--json', '--relay', relay.url, '--data-dir', listDir]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(
        JSON.parse(listed.stdout).map((p: { pubkey: string }) => p.pubkey),
        [seller.pubkey],
      );
      // providers made an identity only because the relay asked for one
      assert.ok(existsSync(join(listDir, 'identity')));
    } finally {
      const stopped = await provider.stop();
      assert.equal(stopped.code, 0, stopped.stderr);
      await relay.stop();
    }
  });
}

test('providers on a relay that does not ask creates no identity', async () => {
  const relay = await startRelay();
  try {
    const dir = dataDir();
    const listed = await runCli(['providers', '--json', '--relay', relay.url, '--data-dir', dir]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(existsSync(join(dir, 'identity')), false);
  } finally {
    await relay.stop();
  }
});

test('the gateway with --allow-swarm falls back through an authenticating relay', async () => {
  const relay = await startRelay({ requireAuth: 'on-refusal' });
  const seller = identity();
  const provider = await serve(relay, seller.nsec);
  const gatewayKey = identity();
  const gw = await startGatewayCli(
    ['--allow-swarm', '--ollama-host', `http://127.0.0.1:${await closedPort()}`, '--relay', relay.url, '--data-dir', dataDir(), '--swarm-timeout-secs', '30'],
    { SWARM_COMPUTE_NSEC: gatewayKey.nsec },
  );
  try {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'llama3', messages: [{ role: 'user', content: 'gateway behind auth' }] })
      .withResponse();
    assert.equal(data.choices[0].message.content, ANSWER);
    assert.equal(response.headers.get('x-swarm-compute-lane'), 'swarm');
    assert.ok(relay.authenticated.includes(gatewayKey.pubkey));
  } finally {
    assert.equal((await gw.stop()).code, 0);
    await provider.stop();
    await relay.stop();
  }
});

test("the NWC wallet connection answers its relay's challenge with the connection key", async () => {
  const relay = await startRelay({ requireAuth: 'on-connect' });
  const wallet = await startNwcWallet({ relayUrl: relay.url, authenticate: true, balanceMsats: 4242 });
  const client = new NwcClient(wallet.uri);
  try {
    assert.equal((await client.getBalance()).balanceMsats, 4242);
    assert.ok(relay.authenticated.includes(getPublicKey(client.connection.secretKey)), 'the client authenticated with the NWC secret');
  } finally {
    client.close();
    await wallet.stop();
    await relay.stop();
  }
});
