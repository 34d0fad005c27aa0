// Where the wallet's NWC URI comes from, keeping its secret off the command
// line: `--nwc-file PATH` (a file only its owner can read: mode 0600),
// SWARM_COMPUTE_NWC, or `--nwc URI`, which still works but shows the secret
// to every local user in the process list, so it earns a warning.
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from './args';

export interface NwcSource {
  uri: string | null;
  /** lines for standard error (the caller prints them) */
  warnings: string[];
}

export const NWC_ARGV_WARNING =
  '--nwc puts the wallet secret on the command line, where other users of this machine can read it (ps, /proc); ' +
  'use --nwc-file PATH (a file with mode 0600) or SWARM_COMPUTE_NWC instead';

export function nwcFrom(flag: (name: string) => string | undefined, env: NodeJS.ProcessEnv): NwcSource {
  const inline = flag('nwc');
  const file = flag('nwc-file');
  if (inline !== undefined && file !== undefined) throw new UsageError('give either --nwc or --nwc-file, not both');
  if (inline !== undefined) return { uri: nwcUri('--nwc', inline), warnings: [NWC_ARGV_WARNING] };
  if (file !== undefined) return { uri: readNwcFile(file), warnings: [] };
  const fromEnv = env.SWARM_COMPUTE_NWC;
  if (fromEnv !== undefined && fromEnv.trim()) return { uri: nwcUri('SWARM_COMPUTE_NWC', fromEnv), warnings: [] };
  return { uri: null, warnings: [] };
}

function readNwcFile(path: string): string {
  if (!path.trim()) throw new UsageError('--nwc-file must name a file');
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`--nwc-file ${path} is not a file`);
    mode = st.mode & 0o777;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--nwc-file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // a wallet secret that others can read (or replace) is not a secret: refuse before reading it
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new UsageError(
      `--nwc-file ${path} can be read or changed by other users (mode ${mode.toString(8).padStart(4, '0')}); make it private first: chmod 600 ${path}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--nwc-file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  if (!line) throw new UsageError(`--nwc-file ${path} holds no nostr+walletconnect:// URI`);
  return nwcUri(`--nwc-file ${path}`, line);
}

export function nwcUri(label: string, raw: string): string {
  const value = raw.trim();
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || !/^nostr\+walletconnect:$/i.test(url.protocol)) {
    throw new UsageError(`${label} must be a nostr+walletconnect://<wallet pubkey>?relay=…&secret=… URI`);
  }
  const pubkey = url.host || url.pathname.replace(/^\/+/, '');
  if (!/^[0-9a-f]{64}$/i.test(pubkey)) throw new UsageError(`${label}: the wallet public key after nostr+walletconnect:// must be 64 hex characters`);
  if (!url.searchParams.get('relay')) throw new UsageError(`${label} has no relay= parameter`);
  if (!/^[0-9a-f]{64}$/i.test(url.searchParams.get('secret') ?? '')) throw new UsageError(`${label} needs a secret= parameter of 64 hex characters`);
  return value;
}
