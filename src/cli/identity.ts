import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { generateSecretKey } from 'nostr-tools/pure';
import * as nip19 from 'nostr-tools/nip19';
import { hexToBytes } from 'nostr-tools/utils';
import { UsageError } from './args';
import { makeDataDir } from './data-dir';

/** Parses an `nsec1…` or 64-hex secret key; throws UsageError naming `label`. */
export function parseSecretKey(label: string, raw: string): Uint8Array {
  const value = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return hexToBytes(value.toLowerCase());
  if (value.startsWith('nsec1')) {
    try {
      const decoded = nip19.decode(value as `nsec1${string}`);
      if (decoded.type === 'nsec') return decoded.data;
    } catch {
      // fall through to the error below
    }
  }
  throw new UsageError(`${label} must be an nsec1… key or 64 hex characters`);
}

/**
 * The CLI's Nostr identity: SWARM_COMPUTE_NSEC wins; else `<dataDir>/identity`,
 * created on first use with mode 0600. Creation is race-free across processes:
 * the key is written to a private temp file and hard-linked into place, so two
 * submits starting at once end up with one identity.
 */
export function loadOrCreateIdentity(dataDir: string, env: NodeJS.ProcessEnv): Uint8Array {
  if (env.SWARM_COMPUTE_NSEC) return parseSecretKey('SWARM_COMPUTE_NSEC', env.SWARM_COMPUTE_NSEC);
  makeDataDir(dataDir);
  const file = join(dataDir, 'identity');
  const existing = readIdentity(file);
  if (existing) return existing;
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${nip19.nsecEncode(generateSecretKey())}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  const created = readIdentity(file);
  if (!created) throw new UsageError(`identity file ${file} could not be read back`);
  return created;
}

function readIdentity(file: string): Uint8Array | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new UsageError(`identity file ${file} cannot be read: ${(e as Error).message}`);
  }
  return parseSecretKey(`identity file ${file}`, text);
}
