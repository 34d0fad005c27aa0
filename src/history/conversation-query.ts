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

export function queryConversations(db: Database, limit: number): ConversationSummary[] {
  const rows = all(
    db,
    `SELECT c, started, updated, turns, local, swarm, failed, cost,
            (SELECT COALESCE(NULLIF(question, ''), request) FROM jobs f
              WHERE f.conversation_id = c OR (f.conversation_id IS NULL AND f.id = c)
              ORDER BY COALESCE(f.turn, 1), f.submitted_at, f.rowid LIMIT 1)
     FROM (SELECT ${CONVERSATION_OF} AS c, MIN(submitted_at) AS started, MAX(submitted_at) AS updated, count(*) AS turns,
                  SUM(lane = 'local') AS local, SUM(lane = 'swarm') AS swarm, SUM(lane = 'failed') AS failed,
                  SUM(cost_msats + fees_msats) AS cost, MAX(rowid) AS last
           FROM jobs WHERE ${SHOWN} GROUP BY c)
     ORDER BY updated DESC, last DESC LIMIT ?`,
    [limit],
  );
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

export function blankTextBefore(db: Database, beforeMs: number): boolean {
  db.run(`UPDATE jobs SET ${BLANK_TEXT} WHERE submitted_at < ? AND ${HAS_TEXT}`, [beforeMs]);
  return db.getRowsModified() > 0;
}
