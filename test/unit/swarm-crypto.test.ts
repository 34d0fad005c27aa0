import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finalizeEvent as pureFinalize, verifyEvent as pureVerify, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { fastCryptoActive, finalizeEvent, loadFastCrypto, verifyEvent } from '../../src/relay/nostr-crypto';

test('the wasm signer loads, and its events interoperate with pure-JS nostr-tools both ways', async () => {
  assert.equal(await loadFastCrypto(), true);
  assert.equal(fastCryptoActive(), true);
  const sk = generateSecretKey();
  const template = { kind: 5050, created_at: 1_700_000_000, tags: [['i', 'hello', 'text']], content: '' };
  const signed = finalizeEvent(template, sk);
  assert.equal(signed.pubkey, getPublicKey(sk));
  assert.equal(pureVerify({ ...signed }), true, 'pure JS accepts what wasm signed');
  assert.equal('id' in template, false, 'the template is not filled in');
  const pureSigned = pureFinalize({ ...template, content: 'other' }, sk);
  assert.equal(verifyEvent({ ...pureSigned }), true, 'wasm accepts what pure JS signed');
  assert.equal(verifyEvent({ ...pureSigned, content: 'tampered' }), false);
  assert.equal(verifyEvent({ ...pureSigned, sig: pureSigned.sig.replace(/^./, pureSigned.sig[0] === 'a' ? 'b' : 'a') }), false);
});
