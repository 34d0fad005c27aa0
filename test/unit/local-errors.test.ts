// Host-level failures that a test machine cannot produce on demand (DNS,
// unreachable networks), in the shapes Node's fetch (undici) gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyOllamaError } from '../../src/local/ollama-errors';

const host = 'http://gpu-box.lan:11434';

function fetchFailed(cause: unknown) {
  return new TypeError('fetch failed', { cause });
}
function sysError(code: string, message: string) {
  return Object.assign(new Error(message), { code });
}

test('DNS failure → unavailable, saying the name does not resolve', () => {
  const e = classifyOllamaError(fetchFailed(sysError('ENOTFOUND', 'getaddrinfo ENOTFOUND gpu-box.lan')), { host, model: 'm' });
  assert.equal(e.kind, 'unavailable');
  assert.match(e.message, /resolve/);
  assert.match(e.message, /gpu-box\.lan/);
  assert.doesNotMatch(e.message, /ollama serve/);
});

test('unreachable host → unavailable, told apart from "nothing listening"', () => {
  const e = classifyOllamaError(fetchFailed(sysError('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.9:11434')), { host });
  assert.equal(e.kind, 'unavailable');
  assert.match(e.message, /cannot be reached/);
  assert.match(e.message, /EHOSTUNREACH/);
  assert.doesNotMatch(e.message, /not running/);
});

test('refused on every address (AggregateError from happy eyeballs) → unavailable, not running', () => {
  const agg = Object.assign(
    new AggregateError([sysError('ECONNREFUSED', 'connect ECONNREFUSED ::1:11434'), sysError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:11434')]),
    { code: 'ECONNREFUSED' },
  );
  const e = classifyOllamaError(fetchFailed(agg), { host: 'http://localhost:11434/' });
  assert.equal(e.kind, 'unavailable');
  assert.equal(e.message, 'Ollama is not running at http://localhost:11434: start it with `ollama serve`');
});

test('HTTP statuses: 404 with a model → model-missing; others → failed with the body text', () => {
  const resp = (status: number, error: string) => Object.assign(new Error(error), { name: 'ResponseError', error, status_code: status });
  assert.equal(classifyOllamaError(resp(404, 'model "x" not found, try pulling it first'), { host, model: 'x' }).kind, 'model-missing');
  const f = classifyOllamaError(resp(400, 'model is required'), { host, model: '' });
  assert.equal(f.kind, 'failed');
  assert.match(f.message, /400: model is required/);
});
