// An exclusive lock file beside the database, shared by every process (VS
// Code windows, CLI runs) and every store instance in one process.
//
// Protocol:
// - acquire: create `<db>.lock` with O_EXCL ('wx') and write
//   {pid, hostname, token, acquiredAt}; on EEXIST look at the holder and
//   either wait (exponential backoff with jitter) or break it when stale.
// - stale: the holder runs on this host and its pid is dead; or the lock is
//   older than `staleMs` (a crash on another host, or a reused pid); or the
//   file stayed empty/unparsable past a short grace (holder died between
//   create and write).
// - break: under a second O_EXCL file `<db>.lock.break`, re-read the lock and
//   unlink it only if it is still the very lock judged stale (same bytes and
//   inode). Two processes that both see a stale lock cannot then both
//   remove it, nor remove the fresh lock a third one just took.
// - release: unlink only if the file still holds our token.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';

export interface LockOptions {
  /** give up waiting after this long (ms) */
  timeoutMs?: number;
  /** a lock older than this is broken even if its holder seems alive (ms) */
  staleMs?: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
/** Generous: a save of a 100k-row history takes well under a second. */
export const DEFAULT_STALE_LOCK_MS = 60_000;
/** A holder writes its lock content right after creating the file. */
const UNREADABLE_GRACE_MS = 5_000;
const BREAK_LOCK_STALE_MS = 10_000;

interface LockInfo {
  pid: number;
  hostname: string;
  token: string;
  acquiredAt: number;
}

interface Holder {
  raw: string;
  ino: number;
  mtimeMs: number;
  info: LockInfo | null;
}

export interface HeldLock {
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function isErrno(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else
    return isErrno(err, 'EPERM');
  }
}

function parseInfo(raw: string): LockInfo | null {
  try {
    const v = JSON.parse(raw) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.token === 'string' && typeof v.hostname === 'string') {
      return { pid: v.pid, token: v.token, hostname: v.hostname, acquiredAt: Number(v.acquiredAt) || 0 };
    }
  } catch {
    // partial or foreign content
  }
  return null;
}

async function readHolder(path: string): Promise<Holder | null> {
  try {
    const fh = await fs.open(path, 'r');
    try {
      const st = await fh.stat();
      const raw = await fh.readFile('utf8');
      return { raw, ino: st.ino, mtimeMs: st.mtimeMs, info: parseInfo(raw) };
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

/** Why the holder counts as stale, or null while it must be waited for. */
export function staleReason(holder: Holder, staleMs: number, now = Date.now()): string | null {
  const age = now - holder.mtimeMs;
  if (!holder.info) return age > UNREADABLE_GRACE_MS ? `unreadable lock ${Math.round(age)} ms old` : null;
  if (holder.info.hostname === hostname() && !pidAlive(holder.info.pid)) return `holder pid ${holder.info.pid} is gone`;
  if (age > staleMs) return `lock held for ${Math.round(age)} ms by pid ${holder.info.pid}`;
  return null;
}

async function breakStale(lockPath: string, judged: Holder): Promise<void> {
  const breakPath = `${lockPath}.break`;
  try {
    await (await fs.open(breakPath, 'wx')).close();
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
    // Someone else is breaking it; a breaker that died leaves this behind.
    const st = await fs.stat(breakPath).catch(() => null);
    if (st && Date.now() - st.mtimeMs > BREAK_LOCK_STALE_MS) await fs.unlink(breakPath).catch(() => undefined);
    return;
  }
  try {
    const now = await readHolder(lockPath);
    if (now && now.raw === judged.raw && now.ino === judged.ino) await fs.unlink(lockPath).catch(() => undefined);
  } finally {
    await fs.unlink(breakPath).catch(() => undefined);
  }
}

export async function acquireLock(lockPath: string, opts: LockOptions = {}): Promise<HeldLock> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const staleMs = opts.staleMs ?? DEFAULT_STALE_LOCK_MS;
  const deadline = Date.now() + timeoutMs;
  const info: LockInfo = { pid: process.pid, hostname: hostname(), token: randomBytes(12).toString('hex'), acquiredAt: 0 };
  let delay = 2;
  for (;;) {
    try {
      const fh = await fs.open(lockPath, 'wx');
      try {
        info.acquiredAt = Date.now();
        await fh.writeFile(JSON.stringify(info));
      } finally {
        await fh.close();
      }
      return { release: () => releaseLock(lockPath, info.token) };
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    const holder = await readHolder(lockPath);
    if (!holder) continue; // released in between: try again at once
    if (staleReason(holder, staleMs) !== null) {
      await breakStale(lockPath, holder);
      await sleep(1);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder.info ? `pid ${holder.info.pid} on ${holder.info.hostname}` : 'an unknown process';
      throw new Error(`history: ${lockPath} is held by ${who}; gave up after ${timeoutMs} ms`);
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
}

async function releaseLock(lockPath: string, token: string): Promise<void> {
  const holder = await readHolder(lockPath);
  // Not ours any more means it was judged stale and broken: leave the new holder be.
  if (holder?.info?.token === token) await fs.unlink(lockPath).catch(() => undefined);
}
