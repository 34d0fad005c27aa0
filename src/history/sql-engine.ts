// Loads sql.js once per process from a wasm file we read ourselves.
//
// sql.js caches its first init promise for the life of the process, and a
// wrong wasm path both rejects and raises an unhandled rejection from inside
// emscripten. So we never let sql.js look for the file: we find it, read it,
// validate it, and hand over the bytes. A bad path is then our own clear
// error, and it is not cached, so a later call with a good path still works.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

const WASM_NAME = 'sql-wasm.wasm';

let loaded: Promise<SqlJsStatic> | undefined;

/** Where we look for sql-wasm.wasm, in order. */
export function wasmCandidates(explicit?: string): string[] {
  if (explicit) return [explicit];
  const out: string[] = [];
  // In the bundle the wasm is copied next to dist/*.js (scripts/build.mjs).
  if (typeof __dirname === 'string') out.push(join(__dirname, WASM_NAME));
  try {
    // Run from source (tsx): take it from the installed package.
    out.push(require.resolve(`sql.js/dist/${WASM_NAME}`));
  } catch {
    // not installed beside us: only the bundle location remains
  }
  return out;
}

const wasmBytes = new Map<string, ArrayBuffer>();

/** The validated bytes of sql-wasm.wasm (read once per path; a failure is not remembered). */
export function readWasm(explicit?: string): ArrayBuffer {
  const key = explicit ?? '';
  let bytes = wasmBytes.get(key);
  if (!bytes) {
    bytes = readWasmFile(explicit);
    wasmBytes.set(key, bytes);
  }
  return bytes;
}

function readWasmFile(explicit?: string): ArrayBuffer {
  const candidates = wasmCandidates(explicit);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `history: sql.js's ${WASM_NAME} was not found (looked in: ${candidates.join(', ') || 'nowhere'}); ` + 'the build must copy it next to the bundle',
    );
  }
  const bytes = readFileSync(found);
  if (!WebAssembly.validate(bytes)) {
    throw new Error(`history: ${found} is not a valid WebAssembly module; reinstall sql.js or rebuild`);
  }
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function loadSqlJs(wasmPath?: string): Promise<SqlJsStatic> {
  if (loaded) return loaded;
  let wasmBinary: ArrayBuffer;
  try {
    wasmBinary = readWasm(wasmPath);
  } catch (err) {
    return Promise.reject(err);
  }
  const init = initSqlJs({ wasmBinary });
  loaded = init.catch((err: unknown) => {
    // sql.js keeps this failure for the rest of the process; say so.
    throw new Error(`history: sql.js failed to initialise (${err instanceof Error ? err.message : String(err)}); ` + 'restart the process to retry');
  });
  return loaded;
}
