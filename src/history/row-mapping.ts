// JobRecord <-> `jobs` row. One table of columns is the single source of truth
// for inserts, updates and reads. The seed's column names are kept where the
// seed had them: prompt is `request`, response is `result`, and the seed's
// `payment_amount` is written with the same msats as `cost_msats`.
import type { SqlValue } from 'sql.js';
import type { JobState } from '../run/events';
import type { HistoryLane, JobRecord, NewJobRecord } from './types';

type Field = keyof JobRecord;

interface Column {
  field: Field;
  column: string;
  /** validates a JobRecord value and converts it for SQL; throws TypeError naming the field */
  toSql(value: unknown, field: string): SqlValue;
  fromSql(value: SqlValue): unknown;
  /** a field a record may leave out (added after v3): stored as `missing` */
  missing?: SqlValue;
  /** read back as absent (not null) when NULL, as a record written without it */
  optional?: boolean;
}

const JOB_STATES: readonly JobState[] = ['pending', 'payment-required', 'processing', 'completed', 'failed', 'cancelled'];
const LANES: readonly HistoryLane[] = ['local', 'swarm', 'failed', 'served'];

function bad(field: string, expected: string, value: unknown): never {
  throw new TypeError(`history: ${field} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`);
}

const text = {
  toSql: (v: unknown, f: string): SqlValue => (typeof v === 'string' ? v : bad(f, 'a string', v)),
  fromSql: (v: SqlValue) => (v === null ? '' : String(v)),
};
const optionalText = {
  toSql: (v: unknown, f: string): SqlValue => (v === null || typeof v === 'string' ? v : bad(f, 'a string or null', v)),
  fromSql: (v: SqlValue) => (v === null ? null : String(v)),
};
function oneOf<T extends string>(values: readonly T[], nullable: boolean) {
  return {
    toSql: (v: unknown, f: string): SqlValue =>
      (v === null && nullable) || values.includes(v as T) ? (v as T | null) : bad(f, `one of ${values.join(', ')}${nullable ? ' or null' : ''}`, v),
    fromSql: (v: SqlValue) => (v === null ? null : String(v)),
  };
}
/** money: whole msats, never fractional, never negative */
const msats = {
  toSql: (v: unknown, f: string): SqlValue => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : bad(f, 'a whole number of msats ≥ 0', v)),
  fromSql: (v: SqlValue) => (v === null ? 0 : Number(v)),
};
/** Unix milliseconds */
const timestamp = {
  toSql: (v: unknown, f: string): SqlValue => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : bad(f, 'Unix milliseconds', v)),
  fromSql: (v: SqlValue) => Number(v),
};
/** timings may come from performance.now(): stored rounded to whole ms */
const optionalMs = {
  toSql: (v: unknown, f: string): SqlValue =>
    v === null ? null : typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : bad(f, 'milliseconds or null', v),
  fromSql: (v: SqlValue) => (v === null ? null : Number(v)),
};
/** a rate such as tokens/s: a finite number ≥ 0, or null */
const optionalRate = {
  toSql: (v: unknown, f: string): SqlValue =>
    v === null ? null : typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : bad(f, 'a number ≥ 0 or null', v),
  fromSql: (v: SqlValue) => (v === null ? null : Number(v)),
};
const flag = {
  toSql: (v: unknown, f: string): SqlValue => (typeof v === 'boolean' ? (v ? 1 : 0) : bad(f, 'true or false', v)),
  fromSql: (v: SqlValue) => Number(v) === 1,
};

export const COLUMNS: readonly Column[] = [
  { field: 'id', column: 'id', ...text },
  { field: 'jobId', column: 'job_id', ...text },
  { field: 'state', column: 'state', ...oneOf(JOB_STATES, false) },
  { field: 'lane', column: 'lane', ...oneOf(LANES, true) },
  { field: 'model', column: 'model', ...text },
  { field: 'prompt', column: 'request', ...text },
  { field: 'response', column: 'result', ...optionalText },
  { field: 'error', column: 'error', ...optionalText },
  { field: 'localAttempted', column: 'local_attempted', ...flag },
  { field: 'localOutcome', column: 'local_outcome', ...oneOf(['success', 'failure'] as const, true) },
  { field: 'localError', column: 'local_error', ...optionalText },
  { field: 'swarmStart', column: 'swarm_start', ...oneOf(['direct', 'fallback'] as const, true) },
  { field: 'swarmOutcome', column: 'swarm_outcome', ...oneOf(['success', 'failure'] as const, true) },
  { field: 'swarmError', column: 'swarm_error', ...optionalText },
  { field: 'provider', column: 'provider', ...optionalText },
  { field: 'costMsats', column: 'cost_msats', ...msats },
  { field: 'feesMsats', column: 'fees_msats', ...msats },
  { field: 'paymentBolt11', column: 'payment_bolt11', ...optionalText },
  { field: 'paymentPreimage', column: 'payment_preimage', ...optionalText },
  { field: 'ttftMs', column: 'ttft_ms', ...optionalMs },
  { field: 'durationMs', column: 'duration_ms', ...optionalMs },
  { field: 'submittedAt', column: 'submitted_at', ...timestamp },
  { field: 'completedAt', column: 'completed_at', ...optionalMs },
  { field: 'localErrorKind', column: 'local_error_kind', ...optionalText },
  { field: 'swarmErrorKind', column: 'swarm_error_kind', ...optionalText },
  { field: 'paymentWarning', column: 'payment_warning', ...optionalText },
  // schema v5: the local lane
  { field: 'localPartial', column: 'local_partial', ...optionalText, missing: null },
  { field: 'localLoadMs', column: 'local_load_ms', ...optionalMs, missing: null },
  { field: 'localTtftMs', column: 'local_ttft_ms', ...optionalMs, missing: null },
  { field: 'localTokensPerSec', column: 'local_tokens_per_sec', ...optionalRate, missing: null },
  { field: 'localRemoteHost', column: 'local_remote_host', ...optionalText, missing: null },
  { field: 'hedged', column: 'hedged', ...flag, missing: 0 },
  { field: 'hedgeWinner', column: 'hedge_winner', ...oneOf(['local', 'swarm'] as const, true), missing: null },
  { field: 'hedgeLoserOutcome', column: 'hedge_loser_outcome', ...optionalText, missing: null },
  { field: 'paymentState', column: 'payment_state', ...oneOf(['paid', 'unconfirmed', 'failed'] as const, true), missing: null, optional: true },
  // schema v4; NULL on rows an older version wrote into a v4 file: filled in by withConversationDefaults
  { field: 'conversationId', column: 'conversation_id', ...optionalText },
  { field: 'turn', column: 'turn', ...optionalMs },
  { field: 'question', column: 'question', ...optionalText },
  // schema v7
  { field: 'source', column: 'source', ...optionalText, missing: null },
  { field: 'caller', column: 'caller', ...optionalText, missing: null },
];

/** A row that names no conversation is one of its own: its id, turn 1, its prompt as the question. */
function withConversationDefaults(r: Record<string, unknown>): JobRecord {
  if (r.conversationId === null || r.conversationId === undefined || r.conversationId === '') r.conversationId = r.id;
  if (r.turn === null || r.turn === undefined) r.turn = 1;
  if (r.question === null || r.question === undefined) r.question = r.prompt;
  return r as unknown as JobRecord;
}

/** The seed's `payment_amount` mirrors cost_msats (what was actually paid). */
const MIRRORS: Partial<Record<Field, string>> = { costMsats: 'payment_amount' };

export interface SqlAssignment {
  columns: string[];
  values: SqlValue[];
}

/** Every column of a full record, validated. */
export function recordToRow(input: NewJobRecord): SqlAssignment {
  const record = withConversationDefaults({ ...input });
  if (!Number.isSafeInteger(record.turn) || record.turn < 1) bad('turn', 'a whole number ≥ 1', record.turn);
  const row: SqlAssignment = { columns: [], values: [] };
  for (const c of COLUMNS) {
    const absent = !(c.field in record) || record[c.field] === undefined;
    if (absent && c.missing === undefined) bad(c.field, 'present', undefined);
    // a question that is the prompt itself (most runs) is not stored twice: NULL reads back as the prompt
    const value = absent ? c.missing! : c.field === 'question' && record.question === record.prompt ? null : c.toSql(record[c.field], c.field);
    assign(row, c, value);
  }
  return row;
}

/** The columns a patch sets; undefined values are left alone. `id` cannot change. */
export function patchToRow(patch: Partial<JobRecord>): SqlAssignment {
  const row: SqlAssignment = { columns: [], values: [] };
  for (const c of COLUMNS) {
    const value = patch[c.field];
    if (value === undefined) continue;
    if (c.field === 'id') throw new TypeError('history: a job record’s id cannot be changed');
    assign(row, c, c.toSql(value, c.field));
  }
  return row;
}

/** One field's value into its column, and into the legacy column that mirrors it (MIRRORS). */
function assign(row: SqlAssignment, c: Column, value: SqlValue): void {
  row.columns.push(c.column);
  row.values.push(value);
  const mirror = MIRRORS[c.field];
  if (mirror) {
    row.columns.push(mirror);
    row.values.push(value);
  }
}

export const SELECT_COLUMNS = COLUMNS.map((c) => c.column).join(', ');

/** A row read as values in SELECT_COLUMNS order (what crosses the thread boundary). */
export function valuesToRecord(values: SqlValue[]): JobRecord {
  return recordFrom((_, i) => values[i]);
}

export function rowToRecord(row: Record<string, SqlValue>): JobRecord {
  return recordFrom((c) => row[c.column]);
}

function recordFrom(read: (c: Column, index: number) => SqlValue | undefined): JobRecord {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < COLUMNS.length; i++) {
    const c = COLUMNS[i];
    const value = c.fromSql(read(c, i) ?? null);
    // an optional column left empty is left out, as a record without it was written
    if (value !== null || !c.optional) out[c.field] = value;
  }
  return withConversationDefaults(out);
}

/** One entry of `swarm-compute history --json` (CLI.md). */
export interface HistoryJson {
  jobId: string;
  state: JobState;
  lane: HistoryLane | null;
  localAttempted: boolean;
  provider: string | null;
  model: string;
  costMsats: number;
  durationMs: number | null;
  submittedAt: number;
  completedAt: number | null;
  error: string | null;
  prompt: string;
  response: string | null;
  /** added (money): present only when the row has a payment the wallet did not confirm, or that failed later */
  paymentState?: 'unconfirmed' | 'failed';
  /** CLI.md "Conversations" */
  conversationId: string;
  /** what asked for the run ('gateway', …), null when not said */
  source: string | null;
}

export function toHistoryJson(record: JobRecord): HistoryJson {
  return {
    jobId: record.jobId,
    state: record.state,
    lane: record.lane,
    localAttempted: record.localAttempted,
    provider: record.provider,
    model: record.model,
    costMsats: record.costMsats,
    durationMs: record.durationMs,
    submittedAt: record.submittedAt,
    completedAt: record.completedAt,
    error: record.error,
    prompt: record.prompt,
    response: record.response,
    ...(record.paymentState === 'unconfirmed' || record.paymentState === 'failed' ? { paymentState: record.paymentState } : {}),
    conversationId: record.conversationId,
    source: record.source ?? null,
  };
}
