// Writes test/fixtures/history-v1.sqlite, -v2 and -v3: real history files as
// the released code wrote them at each schema version, for the migration
// tests. Each version's schema comes from the commit that shipped it (git
// show), not from today's code, so the files stay what those versions made.
//   node --import tsx scripts/dev/make-history-fixtures.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs, { type Database } from 'sql.js';

const SCHEMA_AT: Record<2 | 3, string> = { 2: '7c4e09d', 3: '2616f98' };

function schemaSource(commit: string): string {
  return execFileSync('git', ['show', `${commit}:src/history/schema.ts`], { encoding: 'utf8' });
}

async function schemaModule(commit: string): Promise<{ migrate(db: Database): boolean; SCHEMA_VERSION: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'schema-'));
  const file = join(dir, `schema-${commit}.ts`);
  writeFileSync(file, schemaSource(commit));
  return import(file);
}

const EXPLAIN_PROMPT =
  'Explain what this typescript code from `add.ts` (lines 1–3) does. Be concise: its purpose, how it works, and anything surprising or likely wrong.' +
  '\n\n```typescript\nexport function add(a: number, b: number) {\n  return a + b;\n}\n```';

async function main(): Promise<void> {
  const SQL = await initSqlJs();
  const out = join(process.cwd(), 'test', 'fixtures');

  // version 1: the seed's table (migration 1 of the released schema), seconds timestamps as the seed wrote them
  {
    const src = schemaSource(SCHEMA_AT[3]);
    const seed = /const V1_SEED_TABLE = `([\s\S]*?)`;/.exec(src)![1];
    const db = new SQL.Database();
    db.exec(seed);
    db.exec(`
      INSERT INTO jobs VALUES ('v1-swarm', 'completed', 'what is a relay?', 'a server that stores events', NULL, '${'ab'.repeat(32)}', 500, 'lnbc5n1fixture', 1700000001, 1700000002, 0);
      INSERT INTO jobs VALUES ('v1-local', 'completed', 'say hi', 'hi', NULL, NULL, NULL, NULL, 1700000003, 1700000004, 1);
      INSERT INTO jobs VALUES ('v1-failed', 'failed', 'third prompt', NULL, 'no providers', NULL, NULL, NULL, 1700000005, NULL, 1);
      PRAGMA user_version = 1;`);
    writeFileSync(join(out, 'history-v1.sqlite'), db.export());
    db.close();
  }

  for (const version of [2, 3] as const) {
    const schema = await schemaModule(SCHEMA_AT[version]);
    if (schema.SCHEMA_VERSION !== version) throw new Error(`commit ${SCHEMA_AT[version]} has schema ${schema.SCHEMA_VERSION}, not ${version}`);
    const db = new SQL.Database();
    schema.migrate(db);
    const cols = `id, job_id, state, request, result, error, provider, payment_amount, cost_msats, fees_msats, submitted_at, completed_at,
                  local_attempted, lane, model, local_outcome, local_error, swarm_start, swarm_outcome, swarm_error, ttft_ms, duration_ms`;
    const p = `v${version}`;
    const ins = db.prepare(`INSERT INTO jobs (${cols}) VALUES (${cols.split(',').map(() => '?').join(', ')})`);
    const rows: (string | number | null)[][] = [
      [`${p}-explain`, `${p}-explain`, 'completed', EXPLAIN_PROMPT, 'It adds two numbers.', null, null, 0, 0, 0, 1700000010000, 1700000010400, 1, 'local', 'llama3', 'success', null, null, null, null, 40, 400],
      [`${p}-followup`, `${p}-followup`, 'completed', 'make it shorter', 'Adds.', null, null, 0, 0, 0, 1700000020000, 1700000020100, 1, 'local', 'llama3', 'success', null, null, null, null, 10, 100],
      [`${p}-paid`, 'cd'.repeat(32), 'completed', 'what is nostr?', 'a protocol', null, 'ef'.repeat(32), 2000, 2000, 3, 1700000030000, 1700000032000, 0, 'swarm', 'llama3', null, null, 'direct', 'success', null, 900, 2000],
      [`${p}-failed`, `${p}-failed`, 'failed', 'will this fail?', 'half an ans', 'local: Ollama is not running', null, 0, 0, 0, 1700000040000, 1700000040050, 1, 'failed', 'llama3', 'failure', 'Ollama is not running', null, null, null, null, 50],
      [`served:${'12'.repeat(32)}`, '12'.repeat(32), 'completed', 'a stranger asks', 'served answer', null, '34'.repeat(32), 0, 0, 0, 1700000050000, 1700000051000, 0, 'served', 'llama3', null, null, null, null, null, 100, 1000],
    ];
    for (const r of rows) ins.run(r);
    ins.free();
    if (version === 3) db.exec(`UPDATE jobs SET local_error_kind = 'unavailable', swarm_error_kind = 'declined' WHERE id = 'v3-failed'`);
    writeFileSync(join(out, `history-v${version}.sqlite`), db.export());
    db.close();
  }
  console.log(`wrote history-v1/v2/v3.sqlite in ${out}`);
}

void main();
