// Whole-file replacement that never leaves a half-written database, and a
// cheap "has it changed since I loaded it?" check.
//
// Save: write `<db>.tmp-<pid>-<random>` in the same directory, fsync it,
// rename it over the database, fsync the directory. A crash at any point
// leaves either the old or the new file, plus at worst a temp file that the
// next open removes (under the lock, so never someone's save in progress).
//
// Change check: every save writes a generation number into the SQLite
// header's file change counter (offset 24) and its version-valid-for number
// (offset 92), both set to the same value as SQLite itself does on a commit.
// sql.js does not advance that counter, and inode + size + mtime alone can
// repeat on ext4 (inodes reused at once, page-multiple sizes, coarse mtime),
// so the stamp that decides "reload or not" is stat + generation, read from
// the first 100 bytes only.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const CHANGE_COUNTER_OFFSET = 24;
const VERSION_VALID_FOR_OFFSET = 92;
const HEADER_BYTES = 100;

export interface Loaded {
  bytes: Uint8Array;
  stamp: string;
  generation: number;
}

export function isErrno(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

export function readGeneration(bytes: Uint8Array): number {
  if (bytes.length < HEADER_BYTES) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(CHANGE_COUNTER_OFFSET);
}

export function writeGeneration(bytes: Uint8Array, generation: number): void {
  if (bytes.length < HEADER_BYTES) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(CHANGE_COUNTER_OFFSET, generation >>> 0);
  view.setUint32(VERSION_VALID_FOR_OFFSET, generation >>> 0);
}

function stampOf(st: { dev: number; ino: number; size: number; mtimeMs: number }, generation: number): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${generation}`;
}

/** The file opened for reading, or null when it does not exist. */
export async function openIfExists(file: string): Promise<fs.FileHandle | null> {
  try {
    return await fs.open(file, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

/** The file's current stamp, or null when it does not exist. */
export async function readStamp(file: string): Promise<string | null> {
  const fh = await openIfExists(file);
  if (!fh) return null;
  try {
    const st = await fh.stat();
    const header = new Uint8Array(HEADER_BYTES);
    const { bytesRead } = await fh.read(header, 0, HEADER_BYTES, 0);
    return stampOf(st, readGeneration(header.subarray(0, bytesRead)));
  } finally {
    await fh.close();
  }
}

/** Bytes and stamp from one open file (a concurrent rename cannot mix two versions), or null. */
export async function loadFile(file: string): Promise<Loaded | null> {
  const fh = await openIfExists(file);
  if (!fh) return null;
  try {
    const st = await fh.stat();
    // the Buffer's own memory: new Uint8Array(buffer) would copy it (~90 ms at 100k jobs)
    const buffer = await fh.readFile();
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const generation = readGeneration(bytes);
    return { bytes, stamp: stampOf(st, generation), generation };
  } finally {
    await fh.close();
  }
}

const tempPrefix = (file: string) => `${basename(file)}.tmp-`;

/** Writes `bytes` to `file` atomically; returns the new file's stamp. */
export async function writeAtomic(file: string, bytes: Uint8Array, generation: number): Promise<string> {
  const temp = join(dirname(file), `${tempPrefix(file)}${process.pid}-${randomBytes(6).toString('hex')}`);
  let stamp: string;
  try {
    const fh = await fs.open(temp, 'wx', 0o600);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
      // rename keeps inode and mtime, so this is the stamp readers will see
      stamp = stampOf(await fh.stat(), generation);
    } finally {
      await fh.close();
    }
    await renameWithRetry(temp, file);
  } catch (err) {
    await fs.unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(file));
  return stamp;
}

// Windows refuses to replace a file another process has open for a moment.
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fs.rename(from, to);
    } catch (err) {
      if (attempt >= 20 || !isErrno(err, 'EPERM', 'EACCES', 'EBUSY')) throw err;
      await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
    }
  }
}

export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fs.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // not supported everywhere (Windows); the rename itself is still atomic
  }
}

/** Removes temp files of interrupted saves. Call only while holding the lock. */
export async function removeLeftoverTemps(file: string): Promise<string[]> {
  const dir = dirname(file);
  const prefix = tempPrefix(file);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    await fs.unlink(join(dir, name)).then(
      () => removed.push(name),
      () => undefined,
    );
  }
  return removed;
}

/** Moves an unreadable database aside as `<db>.corrupt-<unix ms>`; returns the new path. */
export async function moveAside(file: string): Promise<string> {
  for (let n = 0; ; n++) {
    const target = `${file}.corrupt-${Date.now()}${n ? `-${n}` : ''}`;
    try {
      await fs.access(target);
      continue; // taken (same millisecond): pick another name
    } catch {
      await fs.rename(file, target);
      return target;
    }
  }
}
