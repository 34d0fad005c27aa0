// Reads a history.sqlite the CLI left behind with plain sql.js, as any tool
// (or the seed's own query) would: no store, no journal handling.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';

/** A history.sqlite path in a new folder named `<prefix>…` under the temp dir (the file is not made). */
export async function tempHistoryFile(prefix: string): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), prefix)), 'history.sqlite');
}

/** `sql` run on the file as it is on disk. */
export async function plainQuery(file: string, sql: string) {
  const SQL = await initSqlJs();
  const db = new SQL.Database(await readFile(file));
  try {
    return db.exec(sql);
  } finally {
    db.close();
  }
}

export async function jobsColumns(file: string, columns: string[]): Promise<Record<string, unknown>[]> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(readFileSync(file));
  try {
    const [r] = db.exec(`SELECT ${columns.join(', ')} FROM jobs ORDER BY submitted_at`);
    return (r?.values ?? []).map((v) => Object.fromEntries(r.columns.map((c, i) => [c, v[i]])));
  } finally {
    db.close();
  }
}
