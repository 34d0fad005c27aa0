// Conversations (schema v4) straight from the jobs table. A row an older
// version wrote into a v4 file has no conversation_id: it is a conversation
// of its own, under its id (as the migration made every older row).
import type { Database, SqlValue } from 'sql.js';
import { SELECT_COLUMNS } from './row-mapping';
import type { ConversationSummary } from './types';

/** rows of conversation ?1 (bound twice: the indexed column, and the id of a row without one) */
const IN_CONVERSATION = `(conversation_id = ?1 OR (conversation_id IS NULL AND id = ?1))`;
const CONVERSATION_OF = `COALESCE(conversation_id, id)`;
/** consumer rows that still have their text (Clear History and keepDays blank it) */
const SHOWN = `lane IS NOT 'served' AND request <> ''`;

/** The texts a conversation's rows lose when it is cleared, deleted or too old (money and metrics stay). */
export const BLANK_TEXT = `request = '', question = '', result = NULL, error = NULL, local_error = NULL, swarm_error = NULL, payment_warning = NULL`;
const HAS_TEXT = `(request <> '' OR COALESCE(question, '') <> '' OR result IS NOT NULL OR error IS NOT NULL OR local_error IS NOT NULL OR swarm_error IS NOT NULL OR payment_warning IS NOT NULL)`;

function all(db: Database, sql: string, params: SqlValue[] | Record<string, SqlValue>): SqlValue[][] {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    const rows: SqlValue[][] = [];
    while (stmt.step()) rows.push(stmt.get());
    return rows;
  } finally {
    stmt.free();
  }
}

export function queryConversation(db: Database, conversationId: string): SqlValue[][] {
  return all(db, `SELECT ${SELECT_COLUMNS} FROM jobs WHERE ${IN_CONVERSATION} ORDER BY COALESCE(turn, 1), submitted_at, rowid`, [conversationId]);
}

export function queryNewestConversation(db: Database): string | null {
  const rows = all(db, `SELECT ${CONVERSATION_OF} FROM jobs WHERE ${SHOWN} ORDER BY submitted_at DESC, rowid DESC LIMIT 1`, []);
  return rows.length ? String(rows[0][0]) : null;
}

/**
 * The most recently active conversations: the newest rows are walked (the
 * submitted_at index) until `limit` distinct conversations are seen, then
 * each is summed over its own rows (the conversation index). A GROUP BY over
 * the table would read every row: about a second at 100k jobs.
 */
export function queryConversations(db: Database, limit: number): ConversationSummary[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  const walk = db.prepare(`SELECT ${CONVERSATION_OF} FROM jobs WHERE ${SHOWN} ORDER BY submitted_at DESC, rowid DESC`);
  try {
    while ((limit < 0 || ids.length < limit) && walk.step()) {
      const c = String(walk.get()[0]);
      if (!seen.has(c)) {
        seen.add(c);
        ids.push(c);
      }
    }
  } finally {
    walk.free();
  }
  const sum = db.prepare(
    `SELECT MIN(submitted_at), MAX(submitted_at), count(*), SUM(lane = 'local'), SUM(lane = 'swarm'), SUM(lane = 'failed'),
            SUM(cost_msats + fees_msats),
            (SELECT COALESCE(NULLIF(question, ''), request) FROM jobs f WHERE (f.conversation_id = ?1 OR (f.conversation_id IS NULL AND f.id = ?1)) AND f.request <> ''
              ORDER BY COALESCE(f.turn, 1), f.submitted_at, f.rowid LIMIT 1)
     FROM jobs WHERE ${IN_CONVERSATION} AND ${SHOWN}`,
  );
  const rows: SqlValue[][] = [];
  try {
    for (const c of ids) {
      sum.bind([c]);
      sum.step();
      rows.push([c, ...sum.get()]);
      sum.reset();
    }
  } finally {
    sum.free();
  }
  return rows.map(([c, started, updated, turns, local, swarm, failed, cost, title]) => ({
    conversationId: String(c),
    title: title === null ? '' : String(title),
    startedAt: Number(started),
    updatedAt: Number(updated),
    turns: Number(turns),
    localTurns: Number(local ?? 0),
    swarmTurns: Number(swarm ?? 0),
    failedTurns: Number(failed ?? 0),
    costMsats: Number(cost ?? 0),
  }));
}

/** Deletes a conversation's rows; rows that record money stay, blanked, so budgets still hold. */
export function deleteConversation(db: Database, conversationId: string): boolean {
  db.run(`DELETE FROM jobs WHERE ${IN_CONVERSATION} AND cost_msats = 0 AND fees_msats = 0`, [conversationId]);
  let changed = db.getRowsModified() > 0;
  db.run(`UPDATE jobs SET ${BLANK_TEXT} WHERE ${IN_CONVERSATION} AND ${HAS_TEXT}`, [conversationId]);
  changed = db.getRowsModified() > 0 || changed;
  return changed;
}

/** How many rows lost their texts. */
export function blankTextBefore(db: Database, beforeMs: number): number {
  db.run(`UPDATE jobs SET ${BLANK_TEXT} WHERE submitted_at < ? AND ${HAS_TEXT}`, [beforeMs]);
  return db.getRowsModified();
}

/**
 * After many texts were blanked (a tenth of the rows, or 1000): give the
 * freed pages back, so the file and the memory sql.js holds it in shrink.
 * VACUUM rewrites the whole database (~3 s at 100k jobs, in the worker), so
 * the few rows that age out each day do not trigger it. Outside any transaction.
 */
export function reclaimSpaceAfter(db: Database, blanked: number): void {
  if (blanked < 1000) {
    const total = Number(db.exec('SELECT count(*) FROM jobs')[0]?.values[0]?.[0] ?? 0);
    if (blanked * 10 < total || blanked === 0) return;
  }
  db.exec('VACUUM');
}
