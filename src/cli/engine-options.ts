// The engine a CLI run (submit, gateway) works with, set up one way: the data
// dir made first and private (it holds prompts and keys), a Nostr identity
// only when the run may reach the swarm (local only never creates one), the
// history in the data dir, and the engine's warnings on standard error.
import type { EngineOptions } from '../engine/api';
import { historyPath } from './defaults';
import { makeDataDir } from './data-dir';
import { loadOrCreateIdentity } from './identity';
import type { CliIo } from './io';
import type { SubmitOptions } from './submit-options';

export function cliEngineOptions(opts: Pick<SubmitOptions, 'settings' | 'dataDir' | 'nwcUri'>, io: CliIo, usesSwarm: boolean): EngineOptions {
  makeDataDir(opts.dataDir);
  return {
    settings: opts.settings,
    secretKey: usesSwarm ? loadOrCreateIdentity(opts.dataDir, io.env) : new Uint8Array(32),
    nwcUri: opts.nwcUri,
    historyFile: historyPath(opts.dataDir),
    log: { info: () => {}, warn: (m) => io.stderr(`warning: ${m}\n`), error: (m) => io.stderr(`error: ${m}\n`) },
  };
}
