import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { bytesToHex } from 'nostr-tools/utils';
import { startRelay, type TestRelay } from '../support/relay';
import { createLedger, startNwcWallet, type NwcTestWallet } from '../support/nwc-wallet';
import { makeInvoice } from '../support/invoices';
import { NwcClient } from '../../src/wallet/nwc-client';
import { parseNwcUri } from '../../src/wallet/nwc-uri';
import { ConfigError } from '../../src/run/errors';
import { WalletError } from '../../src/wallet/wallet-error';

const HEX = 'b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4';
const SECRET = '71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c';

async function withWallet(
  options: Parameters<typeof startNwcWallet>[0] extends infer O ? Omit<O, 'relayUrl'> : never,
  body: (ctx: { relay: TestRelay; wallet: NwcTestWallet; client: NwcClient }) => Promise<void>,
) {
  const relay = await startRelay();
  const wallet = await startNwcWallet({ relayUrl: relay.url, ...options });
  const client = new NwcClient(wallet.uri, { timeoutMs: 5000 });
  try {
    await body({ relay, wallet, client });
  } finally {
    client.close();
    await wallet.stop();
    await relay.stop();
  }
}

test('NWC URI: a valid URI is parsed; each mistake is named, the secret never echoed', () => {
  const c = parseNwcUri(`nostr+walletconnect://${HEX}?relay=wss%3A%2F%2Frelay.damus.io&relay=ws://127.0.0.1:7000&secret=${SECRET}&lud16=a%40b.c`);
  assert.equal(c.walletPubkey, HEX);
  assert.deepEqual(c.relays, ['wss://relay.damus.io', 'ws://127.0.0.1:7000']);
  assert.equal(bytesToHex(c.secretKey), SECRET);
  assert.equal(c.clientPubkey, getPublicKey(c.secretKey));
  assert.equal(c.lud16, 'a@b.c');
  const bad: [string, RegExp][] = [
    ['', /empty/],
    [`https://${HEX}?relay=wss://r.example&secret=${SECRET}`, /must start with nostr\+walletconnect:\/\/, got scheme "https:"/],
    [`nostr+walletconnect://abc?relay=wss://r.example&secret=${SECRET}`, /wallet pubkey .* 64 hex characters, got "abc"/],
    [`nostr+walletconnect://${HEX}?secret=${SECRET}`, /no relay= parameter/],
    [`nostr+walletconnect://${HEX}?relay=https://r.example&secret=${SECRET}`, /relay must be a ws:\/\/ or wss:\/\/ URL, got "https:\/\/r.example"/],
    [`nostr+walletconnect://${HEX}?relay=wss://r.example`, /no secret= parameter/],
    [`nostr+walletconnect://${HEX}?relay=wss://r.example&secret=${SECRET.slice(0, 60)}`, /secret= must be 64 hex characters \(got 60/],
    [`nostr+walletconnect://${HEX}?relay=wss://r.example&secret=${'0'.repeat(64)}`, /not a valid secp256k1 secret key/],
  ];
  for (const [uri, message] of bad) {
    assert.throws(
      () => parseNwcUri(uri),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, uri);
        assert.match((e as Error).message, /^NWC connection URI: /);
        assert.match((e as Error).message, message);
        assert.ok(!(e as Error).message.includes(SECRET.slice(0, 16)), 'secret leaked into the message');
        return true;
      },
    );
  }
});

for (const encryption of ['nip44_v2', 'nip04', 'legacy'] as const) {
  test(`NWC client over a real relay with a ${encryption} wallet: pay, balance, make/lookup, get_info`, async () => {
    await withWallet({ encryption, feesMsats: 7 }, async ({ relay, wallet, client }) => {
      const info = await client.walletInfo();
      const expected = encryption === 'nip44_v2' ? 'nip44_v2' : 'nip04';
      assert.equal(info.encryption, expected);
      assert.ok(info.methods.includes('pay_invoice'));

      const invoice = makeInvoice({ amountMsats: 2100 });
      const paid = await client.payInvoice(invoice.bolt11);
      assert.deepEqual(paid, { preimage: invoice.preimage, feesPaidMsats: 7 });
      assert.equal(wallet.payments.length, 1);
      assert.equal(wallet.payments[0].paymentHash, invoice.paymentHash);
      assert.equal(wallet.requests[0].encryption, expected);

      // what the relay saw: a p-tagged request, encrypted, with an expiration; NIP-44 says so in a tag
      const request = relay.received.find((e) => e.kind === 23194)!;
      assert.deepEqual(
        request.tags.find((t) => t[0] === 'p'),
        ['p', wallet.walletPubkey],
      );
      assert.ok(!request.content.includes('pay_invoice') && !request.content.includes(invoice.bolt11));
      assert.equal(
        request.tags.some((t) => t[0] === 'encryption' && t[1] === 'nip44_v2'),
        expected === 'nip44_v2',
      );
      assert.ok(Number(request.tags.find((t) => t[0] === 'expiration')?.[1]) > Date.now() / 1000);
      const answer = relay.received.find((e) => e.kind === 23195)!;
      assert.deepEqual(
        answer.tags.find((t) => t[0] === 'e'),
        ['e', request.id],
      );

      assert.deepEqual(await client.getBalance(), { balanceMsats: 10_000_000 - 2100 - 7 });
      const made = await client.makeInvoice({ amountMsats: 777, description: 'job 1', expirySecs: 600 });
      assert.equal(made.amountMsats, 777);
      assert.ok(made.invoice?.startsWith('lnbc'));
      const before = await client.lookupInvoice({ paymentHash: made.paymentHash });
      assert.equal(before.settledAt, null);
      wallet.markPaid(made.paymentHash);
      const after = await client.lookupInvoice({ invoice: made.invoice! });
      assert.ok(after.settledAt !== null && after.preimage);
      const gi = await client.getInfo();
      assert.equal(gi.network, 'mainnet');
      assert.ok(gi.methods.includes('get_info'));
    });
  });
}

test("two wallets on one ledger: the payer settles the provider's invoice", async () => {
  const relay = await startRelay();
  const ledger = createLedger();
  const payerWallet = await startNwcWallet({ relayUrl: relay.url, ledger, encryption: 'nip44_v2' });
  const providerWallet = await startNwcWallet({ relayUrl: relay.url, ledger, encryption: 'nip04', balanceMsats: 0 });
  const payer = new NwcClient(payerWallet.uri);
  const provider = new NwcClient(providerWallet.uri);
  try {
    const made = await provider.makeInvoice({ amountMsats: 4000 });
    assert.equal((await provider.lookupInvoice({ paymentHash: made.paymentHash })).settledAt, null);
    const paid = await payer.payInvoice(made.invoice!);
    const seen = await provider.lookupInvoice({ paymentHash: made.paymentHash });
    assert.ok(seen.settledAt !== null);
    assert.equal(seen.preimage, paid.preimage);
    assert.deepEqual(await provider.getBalance(), { balanceMsats: 4000 });
    // paying it again is refused by the wallet: an invoice settles once
    await assert.rejects(payer.payInvoice(made.invoice!), (e: unknown) => (e as WalletError).code === 'PAYMENT_FAILED');
    assert.equal(payerWallet.payments.length, 1);
  } finally {
    payer.close();
    provider.close();
    await payerWallet.stop();
    await providerWallet.stop();
    await relay.stop();
  }
});

test('each NIP-47 error code becomes a clear one-line message', async () => {
  const expected: Record<string, RegExp> = {
    RATE_LIMITED: /too many requests \(RATE_LIMITED\); try again in a few seconds/,
    NOT_IMPLEMENTED: /does not support pay_invoice \(NOT_IMPLEMENTED\)/,
    INSUFFICIENT_BALANCE: /balance too low .* \(INSUFFICIENT_BALANCE\); top up the wallet/,
    QUOTA_EXCEEDED: /quota .* used up \(QUOTA_EXCEEDED\); raise the connection's budget/,
    RESTRICTED: /not allowed to pay_invoice \(RESTRICTED\)/,
    UNAUTHORIZED: /does not know this connection \(UNAUTHORIZED\).*new NWC connection URI/,
    INTERNAL: /internal error during pay_invoice \(INTERNAL\)/,
    PAYMENT_FAILED: /could not pay the invoice \(PAYMENT_FAILED\)/,
    NOT_FOUND: /no such invoice \(NOT_FOUND\)/,
    OTHER: /wallet error during pay_invoice \(OTHER\)/,
    SOMETHING_NEW: /wallet error during pay_invoice \(SOMETHING_NEW\)/,
  };
  await withWallet({ encryption: 'nip44_v2' }, async ({ wallet, client }) => {
    for (const [code, message] of Object.entries(expected)) {
      wallet.setError('pay_invoice', code, `route\nnot\tfound ${code}`);
      await assert.rejects(client.payInvoice(makeInvoice({ amountMsats: 10 }).bolt11), (e: unknown) => {
        assert.ok(e instanceof WalletError);
        assert.equal(e.code, code === 'SOMETHING_NEW' ? 'OTHER' : code);
        assert.match(e.message, message);
        assert.match(e.message, new RegExp(`route not found ${code}$`), "the wallet's own words, on one line");
        assert.equal(e.mayHaveSucceeded, false);
        return true;
      });
    }
    assert.equal(wallet.payments.length, 0);
  });
});

test('timeouts, aborts and unreachable relays fail clearly and say whether the wallet may still pay', async () => {
  await withWallet({ encryption: 'nip44_v2', silent: true }, async ({ relay, wallet, client }) => {
    const t0 = Date.now();
    await assert.rejects(client.payInvoice(makeInvoice({ amountMsats: 10 }).bolt11, { timeoutMs: 800 }), (e: unknown) => {
      assert.equal((e as WalletError).code, 'TIMEOUT');
      assert.equal((e as WalletError).mayHaveSucceeded, true);
      assert.match((e as Error).message, /no answer from the wallet within 1 s; it may still carry out the request/);
      return true;
    });
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(wallet.requests.length, 1);

    // aborted before anything is sent: the relay never sees a request
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(client.payInvoice(makeInvoice({ amountMsats: 10 }).bolt11, { signal: controller.signal }), (e: unknown) => {
      assert.equal((e as WalletError).code, 'ABORTED');
      assert.equal((e as WalletError).mayHaveSucceeded, false);
      return true;
    });
    assert.equal(relay.received.filter((e) => e.kind === 23194).length, 1);

    // aborted while waiting: stops at once, flagged as possibly paid
    const c2 = new AbortController();
    const pending = client.payInvoice(makeInvoice({ amountMsats: 10 }).bolt11, { signal: c2.signal, timeoutMs: 10_000 });
    await waitUntil(() => wallet.requests.length === 2);
    c2.abort();
    await assert.rejects(pending, (e: unknown) => (e as WalletError).code === 'ABORTED' && (e as WalletError).mayHaveSucceeded);

    // close() while a call runs: it fails with CLOSED and every connection goes
    const pending2 = client.getBalance({ timeoutMs: 10_000 });
    await waitUntil(() => wallet.requests.length === 3);
    client.close();
    await assert.rejects(pending2, (e: unknown) => (e as WalletError).code === 'CLOSED');
    await waitUntil(() => relay.connections() === 1); // only the wallet's own
  });

  // a relay nobody listens on: NO_RELAY well within 10 s
  const dead = `nostr+walletconnect://${HEX}?relay=ws://127.0.0.1:9&secret=${SECRET}`;
  const client = new NwcClient(dead, { connectTimeoutMs: 2000 });
  const t0 = Date.now();
  await assert.rejects(client.payInvoice(makeInvoice({ amountMsats: 10 }).bolt11), (e: unknown) => {
    assert.equal((e as WalletError).code, 'NO_RELAY');
    assert.equal((e as WalletError).mayHaveSucceeded, false);
    assert.match((e as Error).message, /cannot reach the wallet's relay ws:\/\/127.0.0.1:9/);
    return true;
  });
  assert.ok(Date.now() - t0 < 10_000);
  client.close();
});

test('a relay that drops the connection mid-request fails the call at once, flagged as possibly carried out', async () => {
  await withWallet({ silent: true }, async ({ relay, wallet, client }) => {
    const t0 = Date.now();
    const pending = client.payInvoice(makeInvoice({ amountMsats: 10 }).bolt11, { timeoutMs: 20_000 });
    await waitUntil(() => wallet.requests.length === 1);
    relay.dropConnections();
    await assert.rejects(pending, (e: unknown) => {
      assert.equal((e as WalletError).code, 'NO_RELAY');
      assert.equal((e as WalletError).mayHaveSucceeded, true);
      assert.match((e as Error).message, /lost the wallet's relay while waiting for pay_invoice/);
      return true;
    });
    assert.ok(Date.now() - t0 < 5000);
  });
});

test('a wallet with no info event, or only unknown encryptions, is reported before any request', async () => {
  await withWallet({ publishInfo: false }, async ({ relay, client }) => {
    const c = new NwcClient((client as unknown as { connection: never }).connection, { infoTimeoutMs: 500 });
    await assert.rejects(c.payInvoice(makeInvoice({ amountMsats: 10 }).bolt11), (e: unknown) => {
      assert.equal((e as WalletError).code, 'NO_INFO');
      assert.match((e as Error).message, /no info event \(kind 13194\) on ws:\/\/127\.0\.0\.1:\d+; check the relay and wallet pubkey/);
      return true;
    });
    c.close();
    assert.equal(relay.received.filter((e) => e.kind === 23194).length, 0);
  });
  await withWallet({ infoEncryptionTag: 'nip99_v9' }, async ({ relay, client }) => {
    await assert.rejects(client.getBalance(), (e: unknown) => {
      assert.equal((e as WalletError).code, 'UNSUPPORTED_ENCRYPTION');
      assert.match((e as Error).message, /only speaks nip99_v9; this client speaks nip44_v2 and nip04/);
      return true;
    });
    assert.equal(relay.received.filter((e) => e.kind === 23194).length, 0);
  });
  await withWallet({ methods: ['get_balance'] }, async ({ relay, client }) => {
    await assert.rejects(client.payInvoice(makeInvoice({ amountMsats: 10 }).bolt11), (e: unknown) => (e as WalletError).code === 'NOT_IMPLEMENTED');
    assert.equal(relay.received.filter((e) => e.kind === 23194).length, 0);
  });
});

test('a client with the wrong secret is told the wallet does not know it (UNAUTHORIZED)', async () => {
  await withWallet({}, async ({ wallet }) => {
    const stranger = wallet.uri.replace(/secret=[0-9a-f]+/, `secret=${bytesToHex(generateSecretKey())}`);
    const c = new NwcClient(stranger);
    await assert.rejects(c.getBalance(), (e: unknown) => (e as WalletError).code === 'UNAUTHORIZED');
    c.close();
  });
});

test('connections close when idle, so a CLI process exits by itself', async () => {
  const relay = await startRelay();
  const wallet = await startNwcWallet({ relayUrl: relay.url });
  const dir = mkdtempSync(join(tmpdir(), 'nwc-exit-'));
  const script = join(dir, 'pay.ts');
  const clientPath = resolve('src/wallet/nwc-client.ts');
  const invoice = makeInvoice({ amountMsats: 1234 });
  writeFileSync(
    script,
    `import { NwcClient } from ${JSON.stringify(clientPath)};
void (async () => {
  const client = new NwcClient(process.env.NWC!, { idleCloseMs: 200 });
  const paid = await client.payInvoice(process.env.INVOICE!);
  console.log(paid.preimage);
  if (process.env.CLOSE) client.close();
})();
`,
  );
  try {
    for (const close of [true, false]) {
      const t0 = Date.now();
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        env: { ...process.env, NWC: wallet.uri, INVOICE: invoice.bolt11, CLOSE: close ? '1' : '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const code = await new Promise<number | null>((res) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.on('exit', (c) => {
          clearTimeout(kill);
          res(c);
        });
      });
      assert.equal(code, 0, out);
      assert.match(out, new RegExp(invoice.preimage));
      assert.ok(Date.now() - t0 < 12_000, `exited after ${Date.now() - t0} ms`);
      wallet.ledger.invoices.get(invoice.paymentHash)!.settledAt = null; // pay it again next round
    }
    assert.equal(wallet.payments.length, 2);
    await waitUntil(() => relay.connections() === 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await wallet.stop();
    await relay.stop();
  }
});

async function waitUntil(cond: () => boolean, ms = 5000) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
