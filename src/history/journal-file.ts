// File operations on the journal (format: journal-format.ts). Appends happen
// only under the lock; reads happen with or without it. A reader never takes
// an unfinished last line, and the next writer cuts such a torn tail off
// before it appends, so a crash mid-append loses only the change whose
// append never completed (and was never acknowledged).
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { parseJournalHeader } from './journal-format';
import { isErrno, openIfExists, syncDir } from './atomic-file';

export interface JournalRead {
  ino: number;
  size: number;
  /** generation of the snapshot it extends; null: no whole header (torn at creation, or foreign) */
  base: number | null;
  /** where `body` starts in the file (a line boundary) */
  bodyStart: number;
  body: Uint8Array;
}

/** Bigger than any header we write; the header is the first line. */
const HEADER_PROBE = 128;

/** The journal's header and its lines from `from` on (or from the first entry); null when there is no journal. */
export async function readJournal(path: string, from: number): Promise<JournalRead | null> {
  const fh = await openIfExists(path);
  if (!fh) return null;
  try {
    const st = await fh.stat();
    const probe = new Uint8Array(Math.min(HEADER_PROBE, st.size));
    const { bytesRead } = await fh.read(probe, 0, probe.length, 0);
    const newline = probe.subarray(0, bytesRead).indexOf(0x0a);
    const base = newline < 0 ? null : parseJournalHeader(new TextDecoder().decode(probe.subarray(0, newline)));
    if (base === null) return { ino: st.ino, size: st.size, base, bodyStart: 0, body: new Uint8Array(0) };
    const bodyStart = Math.max(from, newline + 1);
    const body = new Uint8Array(Math.max(0, st.size - bodyStart));
    let off = 0;
    while (off < body.length) {
      const r = await fh.read(body, off, body.length - off, bodyStart + off);
      if (r.bytesRead === 0) break; // cut short under us: what we have is still whole lines and a tail
      off += r.bytesRead;
    }
    return { ino: st.ino, size: bodyStart + off, base, bodyStart, body: off === body.length ? body : body.subarray(0, off) };
  } finally {
    await fh.close();
  }
}

/** Creates the journal with its header and first line, durably (file and directory entry). */
export async function createJournal(path: string, content: string): Promise<{ ino: number; size: number }> {
  const fh = await fs.open(path, 'wx', 0o600);
  let st;
  try {
    await fh.writeFile(content);
    await fh.sync();
    st = await fh.stat();
  } finally {
    await fh.close();
  }
  await syncDir(dirname(path));
  return { ino: st.ino, size: st.size };
}

/** Appends one line durably; returns the journal's new size. */
export async function appendJournal(path: string, line: string): Promise<{ ino: number; size: number }> {
  const fh = await fs.open(path, 'a');
  try {
    await fh.write(line);
    await fh.datasync();
    const st = await fh.stat();
    return { ino: st.ino, size: st.size };
  } finally {
    await fh.close();
  }
}

/** Cuts a torn tail off (under the lock). */
export async function truncateJournal(path: string, size: number): Promise<void> {
  const fh = await fs.open(path, 'r+');
  try {
    await fh.truncate(size);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function removeJournal(path: string): Promise<void> {
  await fs.unlink(path).catch((err) => {
    if (!isErrno(err, 'ENOENT')) throw err;
  });
}

/** Keeps a journal next to the database it belonged to when that database is moved aside. */
export async function moveJournalAside(path: string, backup: string): Promise<string | null> {
  try {
    await fs.rename(path, `${backup}.journal`);
    return `${backup}.journal`;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}
