// npm run bench: every figure of issue 6 with its ratio against the raw
// client measured in the same run, printed as a table and written to
// bench/results.json. Not part of npm test. Options:
//   --quick        fewer repetitions (a smoke run)
//   --only=1,4     just these items
import { fork } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { extensionRows } from './extension';
import { gatewayPath } from './gateway';
import { historyRows } from './history';
import { cryptoCost, fallbackDecision, localPath, removeEngineFolders, swarmPath, type WasmCrypto } from './lanes';
import type { ServerAddresses } from './servers';
import { renderTable, type Row } from './stats';

const ROOT = join(__dirname, '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only =
  args
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',') ?? null;
const wanted = (item: string) => !only || only.includes(item);
const log = (m: string) => process.stderr.write(`${m}\n`);
const reps = (full: number, smoke: number) => (quick ? smoke : full);

/** src/history bundled as the shipped bundles carry it, with the worker and the wasm beside it. */
async function buildHistoryBundle(): Promise<void> {
  const out = join(__dirname, '.build');
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'src/history/sqlite-history.ts')],
    outfile: join(out, 'history.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  for (const f of ['history-worker.js', 'sql-wasm.wasm']) copyFileSync(join(ROOT, 'dist', f), join(out, f));
}

async function startServers(): Promise<{
  addresses: ServerAddresses;
  setStream(tokenDelayMs: number, firstTokenMs?: number): Promise<void>;
  stop(): Promise<void>;
}> {
  const child = fork(join(__dirname, 'servers.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const addresses = await new Promise<ServerAddresses>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench servers exited (${code})`)));
    child.on('message', (m: { type: string; addresses?: ServerAddresses }) => m.type === 'ready' && resolve(m.addresses!));
  });
  return {
    addresses,
    setStream: (tokenDelayMs, firstTokenMs = 0) =>
      new Promise((resolve) => {
        child.once('message', () => resolve());
        child.send({ type: 'stream', tokenDelayMs, firstTokenMs });
      }),
    stop: () =>
      new Promise((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.send({ type: 'stop' });
      }),
  };
}

async function loadWasm(): Promise<{ crypto: WasmCrypto | null; note: string }> {
  try {
    const { initNostrWasm } = (await import('nostr-wasm')) as { initNostrWasm: () => Promise<unknown> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const w = require('nostr-tools/wasm') as WasmCrypto & { setNostrWasm(x: unknown): void };
    w.setNostrWasm(await initNostrWasm());
    return { crypto: { finalizeEvent: w.finalizeEvent, verifyEvent: w.verifyEvent }, note: 'nostr-wasm loaded' };
  } catch (err) {
    return { crypto: null, note: `nostr-wasm could not be loaded: ${(err as Error).message}` };
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const rows: Row[] = [];
  const context = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadavg().map((x) => +x.toFixed(2)),
    quick,
  };
  log(`bench: ${context.cpus}, node ${context.node}, load average ${context.loadAverageAtStart.join(' ')}`);

  if (['1', '2', '3', '6'].some(wanted)) {
    const servers = await startServers();
    try {
      const s = servers.addresses;
      if (wanted('1')) {
        log('1: fallback decision …');
        rows.push(...(await fallbackDecision(s, reps(30, 5))));
      }
      if (wanted('2')) {
        log('2: local path …');
        await servers.setStream(0);
        rows.push(...(await localPath(s, reps(20, 3), 0, 'burst')));
        // closer to a model: time to evaluate the prompt, then a steady stream
        await servers.setStream(1, 50);
        rows.push(...(await localPath(s, reps(8, 2), 1, 'paced: 50 ms to first token, 1 ms/token')));
        await servers.setStream(0);
      }
      if (wanted('3')) {
        log('3: swarm path …');
        const wasm = await loadWasm();
        log(`   ${wasm.note}`);
        const crypto = cryptoCost(wasm.crypto, reps(200, 30));
        rows.push(...crypto.rows);
        rows.push(...(await swarmPath(s, reps(25, 4), wasm.crypto, crypto.medians)));
      }
      if (wanted('6')) {
        log('6: gateway …');
        await servers.setStream(1, 50);
        rows.push(...(await gatewayPath(s, reps(20, 2), 'paced: 50 ms to first token, 1 ms/token')));
        await servers.setStream(0);
      }
    } finally {
      await servers.stop();
      removeEngineFolders();
    }
  }
  if (wanted('4')) {
    log('4: history …');
    await buildHistoryBundle();
    rows.push(
      ...(await historyRows(
        [
          { n: 1_000, runs: reps(7, 2) },
          { n: 10_000, runs: reps(7, 2) },
          { n: 100_000, runs: reps(7, 2) },
        ],
        log,
      )),
    );
  }
  if (wanted('5')) {
    log('5: extension …');
    rows.push(...(await extensionRows(reps(10, 3), log)));
  }

  const table = renderTable(rows);
  process.stdout.write(
    `\nswarm-compute benchmarks (${context.date}, ${context.cpus}, node ${context.node}, load ${context.loadAverageAtStart.join(' ')})\n` +
      `ours = this project, raw = the bare client on the same servers in the same run; ratio and Δ are per pair of runs.\n\n${table}\n`,
  );
  const file = join(__dirname, 'results.json');
  writeFileSync(
    file,
    `${JSON.stringify({ ...context, loadAverageAtEnd: loadavg().map((x) => +x.toFixed(2)), seconds: Math.round((Date.now() - started) / 1000), rows }, null, 2)}\n`,
  );
  log(`\nwritten to ${file} in ${Math.round((Date.now() - started) / 1000)} s`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
