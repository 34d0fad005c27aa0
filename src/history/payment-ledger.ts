// Payments as reservations in the history database (schema version 6).
//
// A payment is reserved (a `payments` row in state 'reserved') under the
// database's file lock, after checking the per-job cap and the daily/monthly
// budgets against everything already reserved by any process on the file,
// and BEFORE the wallet is asked to pay. It leaves 'reserved' only when the
// wallet answers: 'paid', 'failed' (the only state that stops counting), or
// 'unconfirmed' (no clear answer: counted in full until lookup_invoice says
// otherwise). So two jobs in two processes can never together pass a budget.
//
// Spend = every payment not failed + the money on older job rows that have
// no payment row (written before version 6): each payment counted once.
import type { Database } from 'sql.js';

export type PaymentState = 'reserved' | 'paid' | 'unconfirmed' | 'failed';

export interface PaymentReservation {
  paymentHash: string;
  bolt11: string;
  /** the NIP-90 job id */
  jobId: string;
  provider: string;
  amountMsats: number;
  reservedAt: number;
}

export interface ReservationLimits {
  /** the job's cap: all its payments not failed, this one included, stay within it */
  capMsats: number;
  daily: { limitMsats: number; sinceMs: number } | null;
  monthly: { limitMsats: number; sinceMs: number } | null;
}

export type ReserveResult =
  | { ok: true }
  | { ok: false; reason: 'daily-budget' | 'monthly-budget'; limitMsats: number; spentMsats: number }
  | { ok: false; reason: 'over-cap'; limitMsats: number; spentMsats: number }
  | { ok: false; reason: 'already-paid'; state: PaymentState };

export interface PaymentSettlement {
  state: Exclude<PaymentState, 'reserved'>;
  feesMsats: number;
  preimage: string | null;
  settledAt: number;
}

export interface LedgerPayment extends PaymentReservation {
  state: PaymentState;
  feesMsats: number;
  preimage: string | null;
  settledAt: number | null;
}

/** What a payer needs from the shared record of payments (the history store implements it). */
export interface PaymentLedger {
  /** checks and reserves in one step under the file lock */
  reservePayment(payment: PaymentReservation, limits: ReservationLimits): Promise<ReserveResult>;
  /** the wallet's answer (or lookup_invoice's later); a paid or failed payment does not change again */
  settlePayment(paymentHash: string, settlement: PaymentSettlement): Promise<void>;
  /** payments in these states, oldest first */
  paymentsIn(states: readonly PaymentState[]): Promise<LedgerPayment[]>;
}

export const PAYMENTS_TABLE = `
CREATE TABLE IF NOT EXISTS payments (
  payment_hash TEXT PRIMARY KEY NOT NULL,
  bolt11 TEXT NOT NULL,
  job_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  amount_msats INTEGER NOT NULL CHECK (amount_msats >= 0),
  fees_msats INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('reserved', 'paid', 'unconfirmed', 'failed')),
  preimage TEXT,
  reserved_at INTEGER NOT NULL,
  settled_at INTEGER
);
CREATE INDEX IF NOT EXISTS idx_payments_bolt11 ON payments(bolt11);
CREATE INDEX IF NOT EXISTS idx_payments_job ON payments(job_id);
CREATE INDEX IF NOT EXISTS idx_payments_reserved_at ON payments(reserved_at);
`;

const COUNTED = `state <> 'failed'`;

function scalar(db: Database, sql: string, params: (string | number)[]): number {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    stmt.step();
    return Number(stmt.get()[0] ?? 0);
  } finally {
    stmt.free();
  }
}

export function hasPaymentsTable(db: Database): boolean {
  return scalar(db, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'payments'`, []) > 0;
}

/** msats spent (cost + fees) since `sinceMs` by consumer jobs: payments not failed, and older rows without one. */
export function spentSince(db: Database, sinceMs: number): number {
  const legacy = scalar(
    db,
    `SELECT COALESCE(SUM(cost_msats + fees_msats), 0) FROM jobs
     WHERE lane IS NOT 'served' AND submitted_at >= ? AND (cost_msats > 0 OR fees_msats > 0)
       AND (payment_bolt11 IS NULL OR payment_bolt11 NOT IN (SELECT bolt11 FROM payments))`,
    [sinceMs],
  );
  const reserved = scalar(db, `SELECT COALESCE(SUM(amount_msats + fees_msats), 0) FROM payments WHERE ${COUNTED} AND reserved_at >= ?`, [sinceMs]);
  return legacy + reserved;
}

/** Payment totals for metrics: what was paid or may have been (cost only), and of that what is not confirmed. */
export function paymentTotals(db: Database): { costMsats: number; unconfirmedMsats: number } {
  const legacy = scalar(
    db,
    `SELECT COALESCE(SUM(cost_msats), 0) FROM jobs
     WHERE lane IS NOT 'served' AND cost_msats > 0 AND (payment_bolt11 IS NULL OR payment_bolt11 NOT IN (SELECT bolt11 FROM payments))`,
    [],
  );
  const counted = scalar(db, `SELECT COALESCE(SUM(amount_msats), 0) FROM payments WHERE ${COUNTED}`, []);
  const unconfirmed = scalar(db, `SELECT COALESCE(SUM(amount_msats), 0) FROM payments WHERE state IN ('reserved', 'unconfirmed')`, []);
  return { costMsats: legacy + counted, unconfirmedMsats: unconfirmed };
}

/** The check and the insert, in the caller's transaction (under the file lock). */
export function reserveInDb(db: Database, p: PaymentReservation, limits: ReservationLimits): ReserveResult {
  const existing = db.exec('SELECT state FROM payments WHERE payment_hash = ?', [p.paymentHash])[0]?.values[0];
  if (existing) return { ok: false, reason: 'already-paid', state: String(existing[0]) as PaymentState };
  const jobSpent = scalar(db, `SELECT COALESCE(SUM(amount_msats), 0) FROM payments WHERE ${COUNTED} AND job_id = ?`, [p.jobId]);
  if (jobSpent + p.amountMsats > limits.capMsats) return { ok: false, reason: 'over-cap', limitMsats: limits.capMsats, spentMsats: jobSpent };
  for (const [reason, budget] of [
    ['daily-budget', limits.daily],
    ['monthly-budget', limits.monthly],
  ] as const) {
    if (!budget) continue;
    const spent = spentSince(db, budget.sinceMs);
    if (spent + p.amountMsats > budget.limitMsats) return { ok: false, reason, limitMsats: budget.limitMsats, spentMsats: spent };
  }
  insertReservation(db, p);
  return { ok: true };
}

/** Replaying a journal line: the check was made by the writer under the lock. */
export function insertReservation(db: Database, p: PaymentReservation): boolean {
  db.run(
    `INSERT OR IGNORE INTO payments (payment_hash, bolt11, job_id, provider, amount_msats, state, reserved_at)
     VALUES (?, ?, ?, ?, ?, 'reserved', ?)`,
    [p.paymentHash, p.bolt11, p.jobId, p.provider, p.amountMsats, p.reservedAt],
  );
  return db.getRowsModified() > 0;
}

/**
 * reserved → paid | unconfirmed | failed; unconfirmed → paid | failed. The
 * job row that recorded this invoice follows (its state, and no cost once failed).
 */
export function settleInDb(db: Database, paymentHash: string, s: PaymentSettlement): boolean {
  const from = s.state === 'unconfirmed' ? `('reserved')` : `('reserved', 'unconfirmed')`;
  db.run(`UPDATE payments SET state = ?, fees_msats = ?, preimage = COALESCE(?, preimage), settled_at = ? WHERE payment_hash = ? AND state IN ${from}`, [
    s.state,
    s.feesMsats,
    s.preimage,
    s.settledAt,
    paymentHash,
  ]);
  if (db.getRowsModified() === 0) return false;
  db.run(
    `UPDATE jobs SET payment_state = ?,
       cost_msats = CASE WHEN ? = 'failed' THEN 0 ELSE cost_msats END,
       payment_amount = CASE WHEN ? = 'failed' THEN 0 ELSE payment_amount END,
       fees_msats = CASE WHEN ? = 'failed' THEN 0 WHEN ? = 'paid' THEN ? ELSE fees_msats END,
       payment_preimage = COALESCE(payment_preimage, ?)
     WHERE payment_bolt11 = (SELECT bolt11 FROM payments WHERE payment_hash = ?) AND lane IS NOT 'served'`,
    [s.state, s.state, s.state, s.state, s.state, s.feesMsats, s.preimage, paymentHash],
  );
  return true;
}

export function paymentsInDb(db: Database, states: readonly PaymentState[]): LedgerPayment[] {
  if (states.length === 0) return [];
  const r = db.exec(
    `SELECT payment_hash, bolt11, job_id, provider, amount_msats, reserved_at, state, fees_msats, preimage, settled_at
     FROM payments WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY reserved_at, rowid`,
    [...states],
  );
  return (r[0]?.values ?? []).map((v) => ({
    paymentHash: String(v[0]),
    bolt11: String(v[1]),
    jobId: String(v[2]),
    provider: String(v[3]),
    amountMsats: Number(v[4]),
    reservedAt: Number(v[5]),
    state: String(v[6]) as PaymentState,
    feesMsats: Number(v[7]),
    preimage: v[8] === null ? null : String(v[8]),
    settledAt: v[9] === null ? null : Number(v[9]),
  }));
}
