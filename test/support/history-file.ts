// Reads a history.sqlite the CLI left behind with plain sql.js, as any tool
// (or the seed's own query) would: no store, no journal handling.
import { readFileSync } from 'node:fs';
import initSqlJs from 'sql.js';

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
