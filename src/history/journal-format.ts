// The journal beside the database (`<db>.journal`): one line of JSON per
// change, appended and fsynced under the lock, so recording a job costs an
// append instead of rewriting the whole file. The first line names the
// snapshot the journal extends (its generation, see atomic-file.ts); a
// journal whose base is not the current snapshot's generation is stale (a
// compaction folded it in and died before removing it) and is ignored.
import type { WriteOp } from './db-ops';

const HEADER_KEY = 'historyJournal';
const JOURNAL_VERSION = 1;
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export function journalHeader(base: number): string {
  return `${JSON.stringify({ [HEADER_KEY]: JOURNAL_VERSION, base })}\n`;
}

/** The base generation named by a journal's first line, or null when it is not a (whole) header. */
export function parseJournalHeader(line: string): number | null {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (v?.[HEADER_KEY] === JOURNAL_VERSION && Number.isInteger(v.base)) return v.base as number;
  } catch {
    // torn or foreign
  }
  return null;
}

export function journalLine(op: WriteOp): string {
  return `${JSON.stringify(op)}\n`;
}

const isValue = (v: unknown) => v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** A change read back from a journal line, or null when the line is not one (it is then skipped). */
export function parseJournalLine(line: string): WriteOp | null {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object') return null;
  if (v.op === 'clear') return { op: 'clear' };
  if (v.op === 'reserve' || v.op === 'settle') return parsePaymentOp(v);
  if (v.op === 'deleteConversation') return typeof v.conversationId === 'string' ? { op: 'deleteConversation', conversationId: v.conversationId } : null;
  if (v.op === 'blankBefore') return typeof v.beforeMs === 'number' && Number.isFinite(v.beforeMs) ? { op: 'blankBefore', beforeMs: v.beforeMs } : null;
  if ((v.op !== 'insert' && v.op !== 'update') || typeof v.id !== 'string') return null;
  const { columns, values } = v;
  if (!Array.isArray(columns) || !Array.isArray(values) || columns.length !== values.length) return null;
  // column names go into SQL text: only plain identifiers
  if (!columns.every((c) => typeof c === 'string' && IDENTIFIER.test(c)) || !values.every(isValue)) return null;
  return { op: v.op, id: v.id, columns: columns as string[], values: values as (string | number | null)[] };
}

const hex64 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const str = (v: unknown): v is string => typeof v === 'string';

function parsePaymentOp(v: Record<string, unknown>): WriteOp | null {
  if (v.op === 'reserve') {
    const p = v.payment as Record<string, unknown> | null;
    if (!p || typeof p !== 'object') return null;
    if (!hex64(p.paymentHash) || !str(p.bolt11) || !str(p.jobId) || !str(p.provider) || !whole(p.amountMsats) || !whole(p.reservedAt)) return null;
    return {
      op: 'reserve',
      payment: { paymentHash: p.paymentHash, bolt11: p.bolt11, jobId: p.jobId, provider: p.provider, amountMsats: p.amountMsats, reservedAt: p.reservedAt },
    };
  }
  const s = v.settlement as Record<string, unknown> | null;
  if (!hex64(v.paymentHash) || !s || typeof s !== 'object') return null;
  if (s.state !== 'paid' && s.state !== 'unconfirmed' && s.state !== 'failed') return null;
  if (!whole(s.feesMsats) || !whole(s.settledAt) || !(s.preimage === null || str(s.preimage))) return null;
  return { op: 'settle', paymentHash: v.paymentHash, settlement: { state: s.state, feesMsats: s.feesMsats, preimage: s.preimage, settledAt: s.settledAt } };
}
