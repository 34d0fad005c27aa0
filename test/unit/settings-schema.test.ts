// package.json's contributes.configuration is what VS Code shows and
// validates; src/settings-schema.ts is what the code uses. They must agree on
// every key, type, default and range, or a user sees one default and gets another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODES, SETTINGS, clampedNumber, type SettingSpec } from '../../src/settings-schema';
import {
  DEFAULT_LOCAL_STALL_SECS,
  DEFAULT_LOCAL_TIMEOUT_SECS,
  DEFAULT_MAX_PRICE_MSATS,
  DEFAULT_MODEL,
  DEFAULT_OFFER_WINDOW_SECS,
  DEFAULT_OLLAMA_HOST,
  DEFAULT_SWARM_TIMEOUT_SECS,
  PUBLIC_RELAYS,
} from '../../src/cli/defaults';
import { DEFAULT_FALLBACK_CONFIG } from '../../src/fallback/config';

interface Declared {
  type: unknown;
  default: unknown;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  description?: string;
  markdownDescription?: string;
}

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, Declared> } };
};
const declared = pkg.contributes.configuration.properties;

test('package.json declares exactly the settings of the schema', () => {
  assert.deepEqual(
    Object.keys(declared)
      .map((k) => k.replace(/^swarmCompute\./, ''))
      .sort(),
    Object.keys(SETTINGS).sort(),
  );
});

/** Does `value` have the JSON schema type package.json declares? */
function hasType(value: unknown, type: SettingSpec<unknown>['type']): boolean {
  const types = typeof type === 'string' ? [type] : type;
  return types.some((t) =>
    t === 'null'
      ? value === null
      : t === 'integer'
        ? Number.isInteger(value)
        : t === 'array'
          ? Array.isArray(value)
          : typeof value === t && (t !== 'number' || Number.isFinite(value)),
  );
}

for (const [key, spec] of Object.entries(SETTINGS) as [string, SettingSpec<unknown>][]) {
  test(`swarmCompute.${key}: the code reads package.json's default, of its declared type, in range, with words for the user`, () => {
    const d = declared[`swarmCompute.${key}`];
    assert.ok(d, `swarmCompute.${key} is in package.json`);
    assert.deepEqual(spec.default, d.default);
    assert.ok(hasType(d.default, spec.type), `the default ${JSON.stringify(d.default)} is a ${JSON.stringify(spec.type)}`);
    const number = typeof d.default === 'number' ? d.default : null;
    assert.ok(
      number === null || ((d.minimum ?? -Infinity) <= number && number <= (d.maximum ?? Infinity)),
      `the default ${number} is within [${d.minimum}, ${d.maximum}]`,
    );
    assert.ok(d.enum === undefined || d.enum.includes(d.default as string), `the default is one of ${d.enum?.join(', ')}`);
    assert.ok((d.description ?? d.markdownDescription ?? '').length > 10, 'it says what it does');
  });
}

test('the modes the code knows are the choices package.json offers', () => {
  assert.deepEqual(declared['swarmCompute.mode'].enum, [...MODES]);
});

test('the command line takes its defaults from the same schema', () => {
  assert.equal(DEFAULT_MODEL, declared['swarmCompute.model'].default);
  assert.equal(DEFAULT_OLLAMA_HOST, declared['swarmCompute.ollamaHost'].default);
  assert.deepEqual(PUBLIC_RELAYS, declared['swarmCompute.relays'].default);
  assert.equal(DEFAULT_MAX_PRICE_MSATS, declared['swarmCompute.maxPriceMsats'].default);
  assert.equal(DEFAULT_LOCAL_TIMEOUT_SECS, declared['swarmCompute.localTimeoutSecs'].default);
  assert.equal(DEFAULT_LOCAL_STALL_SECS, declared['swarmCompute.localStallSecs'].default);
  assert.equal(DEFAULT_SWARM_TIMEOUT_SECS, declared['swarmCompute.swarmTimeoutSecs'].default);
  assert.equal(DEFAULT_OFFER_WINDOW_SECS, declared['swarmCompute.offerWindowSecs'].default);
  assert.equal(DEFAULT_FALLBACK_CONFIG.maxPriceMsats, declared['swarmCompute.maxPriceMsats'].default);
  assert.equal(DEFAULT_FALLBACK_CONFIG.localTimeoutSecs, declared['swarmCompute.localTimeoutSecs'].default);
});

test('a hand-edited number outside its range is brought back into it; a non-number gets the default', () => {
  assert.equal(clampedNumber('share.maxConcurrent', 99, true), 16);
  assert.equal(clampedNumber('share.maxConcurrent', 0, true), 1);
  assert.equal(clampedNumber('share.maxConcurrent', 2.7, true), 2);
  assert.equal(clampedNumber('gateway.port', 'x'), 11435);
  assert.equal(clampedNumber('maxResponseBytes', Number.NaN), 1_048_576);
});
