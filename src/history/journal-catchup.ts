// Catching a database up with the journal: the lines another process (or
// this one, before a restart) appended since we last looked. Part of the
// file-sync protocol (file-sync.ts), which keeps the position between calls.
import type { DbHost } from './db-ops';
import { readJournal, removeJournal, truncateJournal } from './journal-file';

/** The journal as far as this store has applied it. */
export interface JournalPosition {
  ino: number;
  /** bytes applied (a line boundary) */
  offset: number;
}

export interface Catchup {
  /** where this store now stands in the journal; null: no journal to follow */
  journal: JournalPosition | null;
  /** lines we applied are no longer in the files (the journal went without a new snapshot): the caller must reload */
  lost: boolean;
}

/**
 * Applies the journal lines after `known` when the journal extends
 * `generation`. Under the lock (`locked`), a stale or headless journal is
 * removed and a torn tail cut off; without it they are only skipped.
 */
export async function catchUpJournal(host: DbHost, journalPath: string, generation: number, known: JournalPosition | null, locked: boolean): Promise<Catchup> {
  const j = await readJournal(journalPath, known?.offset ?? 0);
  if (!j) return { journal: null, lost: known !== null && known.offset > 0 };
  if (j.base !== generation || (known && j.ino !== known.ino)) {
    if (known) return { journal: null, lost: true };
    // stale: left by a compaction that died before removing it (or torn at creation)
    if (locked) await removeJournal(journalPath);
    return { journal: known, lost: false };
  }
  const r = j.body.length > 0 ? await host.applyJournal(j.body) : { consumed: 0, applied: 0, skipped: 0 };
  const offset = j.bodyStart + r.consumed;
  if (locked && offset < j.size) await truncateJournal(journalPath, offset);
  return { journal: { ino: j.ino, offset }, lost: false };
}
