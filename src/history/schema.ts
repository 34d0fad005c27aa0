// The `jobs` schema and its migrations, versioned with PRAGMA user_version.
//
// Version 1 is the seed's table as it was (job_id primary key, prompt in
// `request`, response in `result`, msats paid in `payment_amount`), so a
// database the seed wrote (user_version 0 with that table) migrates too.
// Version 2 adds everything in JobRecord. SQLite cannot change a primary key
// in place, so version 2 rebuilds the table, copying rows in rowid order:
// list() breaks submitted_at ties by rowid, so insertion order is kept.
// Version 3 adds the failure kinds (local_error_kind, swarm_error_kind) and
// the refused-payment warning (payment_warning), all nullable TEXT added in
// place: older rows read them as null.
// Version 4 adds conversations: conversation_id and turn (its order within
// the conversation), and question, the question as the user asked it (the
// prompt sent may be longer: Explain Selection wraps the code in
// instructions); NULL when it is the prompt itself (most runs: not stored
// twice), so the question is COALESCE(question, request). Every older row
// becomes a conversation of its own (its id, turn 1); an Explain prompt gets
// the short question the chat used to parse out of it (legacy-question.ts), once.
// Version 5 adds what the local attempt left: its partial answer, Ollama's
// load duration, time to first token and tokens/s (per-model stats), a
// remote host for cloud models, and the hedge (started, winner, the loser's
// outcome).
// Version 6 adds the `payments` table of reservations (payment-ledger.ts)
// and jobs.payment_state ('paid' | 'unconfirmed' | 'failed' | null) so a row
// shows a payment the wallet did not confirm.
// Version 7 adds what asked for the run (`source`: 'vscode-lm', 'gateway', …)
// and who (`caller`: the requesting extension), nullable TEXT added in place.
import type { Database } from 'sql.js';
import { legacyExplainQuestion } from './legacy-question';
import { PAYMENTS_TABLE } from './payment-ledger';

export const SCHEMA_VERSION = 7;

interface Migration {
  version: number;
  up(db: Database): void;
}

const V1_SEED_TABLE = `
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  request TEXT NOT NULL,
  result TEXT,
  error TEXT,
  provider TEXT,
  payment_amount INTEGER,
  payment_bolt11 TEXT,
  submitted_at INTEGER NOT NULL,
  completed_at INTEGER,
  local_attempted INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS idx_jobs_submitted_at ON jobs(submitted_at);
`;

const V2_TABLE = `
CREATE TABLE jobs_v2 (
  id TEXT PRIMARY KEY NOT NULL,
  job_id TEXT NOT NULL,
  state TEXT NOT NULL,
  request TEXT NOT NULL,
  result TEXT,
  error TEXT,
  provider TEXT,
  payment_amount INTEGER NOT NULL DEFAULT 0,
  payment_bolt11 TEXT,
  submitted_at INTEGER NOT NULL,
  completed_at INTEGER,
  local_attempted INTEGER NOT NULL DEFAULT 0 CHECK (local_attempted IN (0, 1)),
  lane TEXT,
  model TEXT NOT NULL DEFAULT '',
  local_outcome TEXT,
  local_error TEXT,
  swarm_start TEXT,
  swarm_outcome TEXT,
  swarm_error TEXT,
  cost_msats INTEGER NOT NULL DEFAULT 0,
  fees_msats INTEGER NOT NULL DEFAULT 0,
  payment_preimage TEXT,
  ttft_ms INTEGER,
  duration_ms INTEGER
)`;

// Seed timestamps were Unix seconds; ours are milliseconds. Anything below
// 1e11 (year 5138 in seconds, 1973 in ms) can only be seconds.
const toMs = (col: string) => `CASE WHEN ${col} IS NOT NULL AND ${col} < 100000000000 THEN ${col} * 1000 ELSE ${col} END`;
// Seed states were spelt like `PaymentRequired` / `payment_required`.
const STATE = `CASE replace(replace(lower(state), '_', ''), '-', '')
  WHEN 'paymentrequired' THEN 'payment-required'
  ELSE lower(state) END`;
const COMPLETED = `lower(state) = 'completed'`;
const LANE = `CASE
  WHEN ${COMPLETED} AND provider IS NOT NULL THEN 'swarm'
  WHEN ${COMPLETED} AND COALESCE(local_attempted, 0) = 1 THEN 'local'
  WHEN lower(state) = 'failed' THEN 'failed'
  ELSE NULL END`;

const MIGRATIONS: readonly Migration[] = [
  { version: 1, up: (db) => db.exec(V1_SEED_TABLE) },
  {
    version: 2,
    up: (db) => {
      db.exec(V2_TABLE);
      db.exec(`
        INSERT INTO jobs_v2 (id, job_id, state, request, result, error, provider, payment_amount, cost_msats,
                             payment_bolt11, submitted_at, completed_at, local_attempted, lane,
                             local_outcome, swarm_start, swarm_outcome)
        SELECT job_id, job_id, ${STATE}, COALESCE(request, ''), result, error, provider,
               COALESCE(payment_amount, 0), COALESCE(payment_amount, 0),
               payment_bolt11, ${toMs('submitted_at')}, ${toMs('completed_at')},
               CASE WHEN COALESCE(local_attempted, 0) = 0 THEN 0 ELSE 1 END, ${LANE},
               CASE WHEN ${COMPLETED} AND provider IS NULL AND COALESCE(local_attempted, 0) = 1 THEN 'success' END,
               CASE WHEN provider IS NOT NULL THEN (CASE WHEN COALESCE(local_attempted, 0) = 0 THEN 'direct' ELSE 'fallback' END) END,
               CASE WHEN ${COMPLETED} AND provider IS NOT NULL THEN 'success' END
        FROM jobs ORDER BY rowid;
        DROP TABLE jobs;
        ALTER TABLE jobs_v2 RENAME TO jobs;
        CREATE INDEX idx_jobs_submitted_at ON jobs(submitted_at);
        CREATE INDEX idx_jobs_job_id ON jobs(job_id);
      `);
    },
  },
  {
    version: 3,
    up: (db) => addColumns(db, 'local_error_kind TEXT', 'swarm_error_kind TEXT', 'payment_warning TEXT'),
  },
  {
    version: 4,
    up: (db) => {
      db.create_function('legacy_question', (prompt: unknown) => (typeof prompt === 'string' ? legacyExplainQuestion(prompt) : null));
      addColumns(db, 'conversation_id TEXT', 'turn INTEGER', 'question TEXT');
      db.exec(`
        UPDATE jobs SET conversation_id = id, turn = 1, question = legacy_question(request);
        CREATE INDEX idx_jobs_conversation ON jobs(conversation_id, turn);
      `);
    },
  },
  {
    version: 5,
    up: (db) =>
      addColumns(
        db,
        'local_partial TEXT',
        'local_load_ms INTEGER',
        'local_ttft_ms INTEGER',
        'local_tokens_per_sec REAL',
        'local_remote_host TEXT',
        'hedged INTEGER NOT NULL DEFAULT 0',
        'hedge_winner TEXT',
        'hedge_loser_outcome TEXT',
      ),
  },
  {
    version: 6,
    up: (db) => {
      db.exec(PAYMENTS_TABLE);
      addColumns(db, 'payment_state TEXT');
    },
  },
  {
    version: 7,
    up: (db) => addColumns(db, 'source TEXT', 'caller TEXT'),
  },
];

/** Most steps only add columns to jobs (`name TYPE [constraints]` each). */
function addColumns(db: Database, ...columns: string[]): void {
  db.exec(columns.map((c) => `ALTER TABLE jobs ADD COLUMN ${c};`).join('\n'));
}

/** ROLLBACK unless SQLite already rolled back on its own (then it would throw). */
export function rollbackQuietly(db: Database): void {
  try {
    db.exec('ROLLBACK');
  } catch {
    // no transaction was active any more
  }
}

export function schemaVersion(db: Database): number {
  const r = db.exec('PRAGMA user_version');
  return Number(r[0]?.values[0]?.[0] ?? 0);
}

/**
 * Indexes that only make queries faster are ensured rather than versioned:
 * any version may have them, and a file without them still reads the same.
 * idx_jobs_metrics covers every column the metrics query reads, so metrics
 * scan a few MB of index instead of the whole table (prompts and answers).
 */
const INDEXES: readonly { name: string; sql: string }[] = [
  {
    name: 'idx_jobs_metrics',
    sql: 'CREATE INDEX IF NOT EXISTS idx_jobs_metrics ON jobs(lane, local_outcome, swarm_start, swarm_outcome, cost_msats)',
  },
  {
    // per-model local stats read only this index, never prompts and answers
    name: 'idx_jobs_local_stats',
    sql: 'CREATE INDEX IF NOT EXISTS idx_jobs_local_stats ON jobs(model, local_ttft_ms, local_tokens_per_sec, local_load_ms, submitted_at, lane)',
  },
];

function missingIndexes(db: Database): string[] {
  const r = db.exec(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'`);
  const present = new Set((r[0]?.values ?? []).map((v) => String(v[0])));
  return INDEXES.filter((i) => !present.has(i.name)).map((i) => i.sql);
}

/** True when migrate() would change something. */
export function needsMigration(db: Database): boolean {
  const version = schemaVersion(db);
  return version < SCHEMA_VERSION || (version === SCHEMA_VERSION && missingIndexes(db).length > 0);
}

/**
 * Brings `db` to SCHEMA_VERSION, each step in its own transaction.
 * Returns true when something changed (the caller saves). A database from a
 * newer version is left as it is: columns are only ever added, and every
 * statement here names its columns.
 */
export function migrate(db: Database): boolean {
  let version = schemaVersion(db);
  let changed = false;
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    db.exec('BEGIN');
    try {
      m.up(db);
      db.exec(`PRAGMA user_version = ${m.version}`);
      db.exec('COMMIT');
    } catch (err) {
      rollbackQuietly(db);
      throw new Error(`migration to schema version ${m.version} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    version = m.version;
    changed = true;
  }
  // a newer version's schema is its own business: only our own version gets our indexes
  if (version === SCHEMA_VERSION) {
    const missing = missingIndexes(db);
    if (missing.length > 0) {
      db.exec(missing.join(';\n'));
      changed = true;
    }
  }
  return changed;
}
