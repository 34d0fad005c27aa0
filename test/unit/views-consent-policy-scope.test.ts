import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { beyondScope } from '../../src/ui-model/consent-policy';

const scope = { maxPriceMsats: 5000, relays: ['wss://a.example'], providers: ['npub1aaa'], encrypt: true };

test('beyondScope: the same or less is covered', () => {
  assert.deepEqual(beyondScope(scope, { ...scope }), []);
  assert.deepEqual(beyondScope(scope, { ...scope, maxPriceMsats: 1000, relays: ['wss://a.example/'] }), []);
  assert.deepEqual(beyondScope({ ...scope, providers: [] }, { ...scope, providers: ['npub1new'] }), [], 'any provider covers a chosen one');
});

test('beyondScope: a higher cap, a new relay or provider, or no encryption asks again', () => {
  assert.match(beyondScope(scope, { ...scope, maxPriceMsats: 6000 }).join(), /price cap rose/);
  assert.match(beyondScope(scope, { ...scope, relays: ['wss://a.example', 'wss://b.example'] }).join(), /new relay wss:\/\/b\.example/);
  assert.match(beyondScope(scope, { ...scope, providers: ['npub1bbb'] }).join(), /new provider/);
  assert.match(beyondScope(scope, { ...scope, providers: [] }).join(), /any provider/);
  assert.match(beyondScope(scope, { ...scope, encrypt: false }).join(), /encryption is now off/);
});
