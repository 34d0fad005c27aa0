// Only the wallet's network: testnet, signet and regtest invoices (with a
// matching amount tag) offered to a mainnet wallet are refused by name before
// the wallet is asked to pay; a regtest wallet pays regtest invoices only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay, type TestRelay } from '../support/relay';
import { startTestProvider } from '../support/test-provider';
import { startNwcWallet } from '../support/nwc-wallet';
import { makeInvoice } from '../support/invoices';
import { runCli } from '../support/cli';
import { invoicePrefix, networkMismatch, walletNetwork } from '../../src/wallet/invoice-network';

let relay: TestRelay;
before(async () => {
  relay = await startRelay();
});
after(async () => {
  await relay.stop();
});

async function offerTo(walletOptions: { network?: string | null }, network: 'mainnet' | 'testnet' | 'signet' | 'regtest') {
  const wallet = await startNwcWallet({ relayUrl: relay.url, ...walletOptions });
  const invoice = makeInvoice({ amountMsats: 500, network });
  const provider = await startTestProvider({
    relays: [relay.url],
    script: { paymentRequired: { amountMsats: 500, bolt11: invoice.bolt11 }, result: 'answer' },
  });
  const settle = setInterval(() => wallet.payments.forEach((p) => provider.settle(p.bolt11)), 20);
  try {
    const r = await runCli([
      'submit',
      '--prompt',
      'which network',
      '--relay',
      relay.url,
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'sc-net-')),
      '--nwc',
      wallet.uri,
      '--provider',
      provider.pubkey,
      '--swarm-timeout-secs',
      '10',
      '--json',
    ]);
    return { r, invoice, paid: wallet.payments.length, asked: wallet.requests.filter((q) => q.method === 'pay_invoice').length };
  } finally {
    clearInterval(settle);
    await provider.stop();
    await wallet.stop();
  }
}

for (const [network, prefix] of [
  ['testnet', 'lntb'],
  ['signet', 'lntbs'],
  ['regtest', 'lnbcrt'],
] as const) {
  test(`a ${network} invoice (${prefix}…) offered to a mainnet wallet is refused by name; the wallet is not asked`, async () => {
    const { r, invoice, asked } = await offerTo({ network: 'mainnet' }, network);
    assert.equal(invoicePrefix(invoice.bolt11), prefix);
    assert.equal(r.code, 1, r.stderr);
    assert.match(JSON.parse(r.stdout).swarmError, new RegExp(`a ${network} invoice \\(${prefix}…\\) cannot be paid by this mainnet wallet \\(lnbc…\\)`));
    assert.equal(asked, 0);
  });
}

test('a wallet that does not say its network is mainnet: it pays lnbc, not lnbcrt', async () => {
  const main = await offerTo({ network: null }, 'mainnet');
  assert.equal(main.r.code, 0, main.r.stderr);
  assert.equal(main.paid, 1);
  const reg = await offerTo({ network: null }, 'regtest');
  assert.equal(reg.r.code, 1);
  assert.equal(reg.asked, 0);
});

test('a regtest wallet pays regtest invoices and refuses mainnet ones', async () => {
  const reg = await offerTo({ network: 'regtest' }, 'regtest');
  assert.equal(reg.r.code, 0, reg.r.stderr);
  assert.equal(reg.paid, 1);
  const main = await offerTo({ network: 'regtest' }, 'mainnet');
  assert.equal(main.r.code, 1);
  assert.match(JSON.parse(main.r.stdout).swarmError, /a mainnet invoice \(lnbc…\) cannot be paid by this regtest wallet \(lnbcrt…\)/);
  assert.equal(main.asked, 0);
});

test('prefixes are read from the human-readable part, longest network first', () => {
  assert.equal(invoicePrefix(makeInvoice({ amountMsats: 1000, network: 'regtest' }).bolt11), 'lnbcrt');
  assert.equal(invoicePrefix(makeInvoice({ amountMsats: 1000, network: 'signet' }).bolt11), 'lntbs');
  assert.equal(invoicePrefix(makeInvoice({ amountMsats: null }).bolt11), 'lnbc');
  assert.equal(networkMismatch(makeInvoice({ amountMsats: 1000 }).bolt11, walletNetwork('bitcoin')), null);
  assert.match(networkMismatch(makeInvoice({ amountMsats: 1000 }).bolt11, walletNetwork('liquid')) ?? '', /network "liquid", which this client does not know/);
});
