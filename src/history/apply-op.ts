// One change (a WriteOp) run on the database: what a fresh write does and
// what replaying its journal line does, so the two can never differ.
import type { Database, Statement } from 'sql.js';
import { BLANK_TEXT, blankTextBefore, deleteConversation } from './conversation-query';
import type { WriteOp } from './db-ops';
import { insertReservation, settleInDb } from './payment-ledger';

export interface OpResult {
  changed: boolean;
  /** rows a blankBefore blanked (the caller reclaims their space) */
  blanked: number;
}

/**
 * A replayed insert whose id is already there is skipped (the journal is
 * only ever replayed onto the snapshot it extends, so this means nothing was
 * lost); a fresh one is refused. `statement`: the caller's prepared-statement cache.
 */
export function applyOp(db: Database, op: WriteOp, replaying: boolean, statement: (sql: string) => Statement): OpResult {
  const changed = (yes: boolean): OpResult => ({ changed: yes, blanked: 0 });
  switch (op.op) {
    case 'insert': {
      if (exists(statement, op.id)) {
        if (replaying) return changed(false);
        throw new Error(`history: a job with id ${op.id} is already recorded`);
      }
      statement(`INSERT INTO jobs (${op.columns.join(', ')}) VALUES (${op.columns.map(() => '?').join(', ')})`).run(op.values);
      return changed(true);
    }
    case 'update': {
      if (op.columns.length === 0) return changed(false);
      statement(`UPDATE jobs SET ${op.columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`).run([...op.values, op.id]);
      return changed(db.getRowsModified() > 0);
    }
    case 'clear': {
      // Conversations go; the record of money spent stays (amounts only, no
      // prompt or answer), or clearing history would reset the budgets.
      db.run('DELETE FROM jobs WHERE cost_msats = 0 AND fees_msats = 0');
      let any = db.getRowsModified() > 0;
      db.run(`UPDATE jobs SET ${BLANK_TEXT} WHERE request <> '' OR COALESCE(question, '') <> ''`);
      any = db.getRowsModified() > 0 || any;
      return changed(any);
    }
    case 'reserve':
      return changed(insertReservation(db, op.payment));
    case 'settle':
      return changed(settleInDb(db, op.paymentHash, op.settlement));
    case 'deleteConversation':
      return changed(deleteConversation(db, op.conversationId));
    case 'blankBefore': {
      const blanked = blankTextBefore(db, op.beforeMs);
      return { changed: blanked > 0, blanked };
    }
  }
}

function exists(statement: (sql: string) => Statement, id: string): boolean {
  const stmt = statement('SELECT 1 FROM jobs WHERE id = ?');
  try {
    stmt.bind([id]);
    return stmt.step();
  } finally {
    stmt.reset();
  }
}
