// What Export History writes: every row, but a job this machine served for a
// stranger keeps only its bookkeeping (when, model, amount, outcome) unless
// the user asks for its prompt and answer too; and where it goes by default
// (the home folder, never a workspace, where a commit would pick it up).
// No vscode here.
import { join } from 'node:path';
import type { JobRecord } from '../history/types';

export function exportRows(rows: JobRecord[], includeServedText: boolean): JobRecord[] {
  if (includeServedText) return rows;
  return rows.map((r) => (r.lane === 'served' ? { ...r, prompt: '', response: null, error: r.error === null ? null : '(left out)' } : r));
}

export function defaultExportPath(home: string, now = new Date()): string {
  const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  return join(home, `swarm-compute-history-${day}.json`);
}
