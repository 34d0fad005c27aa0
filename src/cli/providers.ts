// `swarm-compute providers`: kind-5050 providers found through NIP-89, with
// what this machine's history knows of each (CLI.md).
import * as nip19 from 'nostr-tools/nip19';
import { parseArgs, seconds, type FlagSpec } from './args';
import { historyPath } from './defaults';
import { dataDirFrom, makeDataDir } from './data-dir';
import type { CliIo } from './io';
import { relaysFrom } from './common-flags';
import type { ProviderJson } from '../provider/provider-directory';

export const PROVIDERS_FLAGS: Record<string, FlagSpec> = {
  relay: { type: 'list' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  'timeout-secs': { type: 'string' },
  help: { type: 'boolean' },
};

export interface ProvidersOptions {
  relays: string[];
  json: boolean;
  dataDir: string;
  timeoutMs: number;
  help: boolean;
}

export function parseProvidersOptions(argv: string[], env: NodeJS.ProcessEnv): ProvidersOptions {
  const a = parseArgs(argv, PROVIDERS_FLAGS, 'providers');
  const timeout = a.strings.get('timeout-secs');
  return {
    relays: relaysFrom(a, env),
    json: a.booleans.has('json'),
    dataDir: dataDirFrom(a, env),
    timeoutMs: Math.round((timeout !== undefined ? seconds('--timeout-secs', timeout) : 3) * 1000),
    help: a.booleans.has('help'),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function clip(text: string | null, max: number): string {
  if (!text) return '-';
  const one = text.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export async function runProviders(opts: ProvidersOptions, io: CliIo): Promise<number> {
  const { findProviders, providerJson, trackRecords } = await import('../provider/provider-directory');
  const { openHistory } = await import('../history/sqlite-history');
  const { authSigner } = await import('../relay/relay-auth');
  const { loadOrCreateIdentity } = await import('./identity');
  // the identity is read (or made) only if a relay asks for NIP-42 authentication
  const auth = authSigner(() => loadOrCreateIdentity(opts.dataDir, io.env));
  const found = await findProviders(opts.relays, { connectTimeoutMs: opts.timeoutMs, eoseTimeoutMs: opts.timeoutMs }, auth);
  const failures = found.failed.map((f) => `${f.url} (${f.reason})`).join(', ');
  if (found.reached.length === 0) {
    io.stderr(`swarm-compute: no relay could be reached: ${failures}\n`);
    if (opts.json) io.stdout('[]\n');
    return 1;
  }
  for (const f of found.failed) io.stderr(`warning: relay ${f.url} could not be reached (${f.reason})\n`);
  makeDataDir(opts.dataDir);
  const history = await openHistory(historyPath(opts.dataDir), { onWarning: (m) => io.stderr(`warning: ${m}\n`) });
  let records;
  try {
    records = trackRecords(await history.exportAll());
  } finally {
    await history.close();
  }
  const entries: ProviderJson[] = found.listings.map((l) => providerJson(l, records.get(l.pubkey)));
  if (opts.json) {
    io.stdout(`${JSON.stringify(entries)}\n`);
  } else if (entries.length === 0) {
    io.stdout(`No kind-5050 providers announced on ${opts.relays.join(', ')}.\n`);
  } else {
    const rows = [['NAME', 'PRICE', 'MODELS', 'JOBS', 'OK', 'MEDIAN', 'PUBKEY']];
    for (const e of entries) {
      rows.push([
        clip(e.name, 28),
        e.priceMsats === null ? '?' : e.priceMsats === 0 ? 'free' : `${e.priceMsats} msats`,
        clip(e.models?.join(',') ?? null, 30),
        String(e.jobs),
        String(e.successes),
        e.medianDurationMs === null ? '-' : `${e.medianDurationMs}ms`,
        nip19.npubEncode(e.pubkey),
      ]);
    }
    io.stdout(table(rows));
  }
  return 0;
}
