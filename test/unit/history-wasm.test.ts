// Its own file, so its own process: sql.js caches its first init for the
// life of the process, and this checks what happens when that goes wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHistory } from '../../src/history/sqlite-history';
import { wasmCandidates } from '../../src/history/sql-engine';

test('a missing or broken sql-wasm.wasm is a clear error, raises no unhandled rejection, and is not cached', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const dir = await mkdtemp(join(tmpdir(), 'history-wasm-'));
    const file = join(dir, 'history.sqlite');
    const missing = join(dir, 'nowhere', 'sql-wasm.wasm');
    await assert.rejects(openHistory(file, { wasmPath: missing }), (err: Error) => {
      assert.match(err.message, /sql-wasm\.wasm was not found/);
      assert.ok(err.message.includes(missing), err.message);
      return true;
    });
    const broken = join(dir, 'sql-wasm.wasm');
    await writeFile(broken, 'not wasm');
    await assert.rejects(openHistory(file, { wasmPath: broken }), /not a valid WebAssembly module/);

    // the failures above were not cached: the default location still works
    const store = await openHistory(file);
    await store.list(1);
    await store.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('run from source, the wasm is found in the installed sql.js', () => {
  const candidates = wasmCandidates();
  assert.ok(
    candidates.some((p) => p.endsWith(join('node_modules', 'sql.js', 'dist', 'sql-wasm.wasm'))),
    candidates.join(', '),
  );
  assert.deepEqual(wasmCandidates('/x/sql-wasm.wasm'), ['/x/sql-wasm.wasm']);
});
