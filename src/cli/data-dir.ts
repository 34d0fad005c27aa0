// The data dir (CLI.md: --data-dir): chosen from the flag, SWARM_COMPUTE_HOME
// or ~/.swarm-compute, checked when the arguments are read (a path that cannot
// be a directory is bad configuration, exit 2, naming where it came from) and
// made, private, before anything is written. It is made one level at a time:
// Node's recursive mkdir never returns under /proc.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError, type ParsedArgs } from './args';
import { defaultDataDir } from './defaults';

/** --data-dir, else SWARM_COMPUTE_HOME, else ~/.swarm-compute; refused (exit 2) when it cannot be a directory. */
export function dataDirFrom(a: ParsedArgs, env: NodeJS.ProcessEnv): string {
  const flag = a.strings.get('data-dir');
  const source = flag !== undefined ? '--data-dir' : env.SWARM_COMPUTE_HOME ? 'SWARM_COMPUTE_HOME' : 'the data dir';
  const given = flag ?? defaultDataDir(env);
  if (!given.trim()) throw new UsageError(`${source} must not be empty`);
  // a shell leaves ~ alone in --data-dir=~/x or a quoted variable: it means home, not a folder named ~
  const dataDir = given === '~' || given.startsWith('~/') ? join(homedir(), given.slice(1)) : given;
  if (a.booleans.has('help')) return dataDir; // --help prints the usage whatever the data dir
  const missing = missingLevels(dataDir, source);
  // the nearest existing level must take new entries (or the dir itself be writable)
  const existing = missing.length ? dirname(missing[0]) : resolve(dataDir);
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${source} ${dataDir} cannot be used: ${existing} is not writable`);
  }
  return dataDir;
}

/** Makes the data dir (mode 0700 for each level made); exit 2 naming it when that fails. */
export function makeDataDir(dataDir: string): void {
  for (const level of missingLevels(dataDir, 'the data dir')) {
    try {
      mkdirSync(level, { mode: 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && isDirectory(level)) continue; // made meanwhile by another run
      throw new UsageError(`the data dir ${dataDir} cannot be made: ${level} (${code ?? String(err)})`);
    }
  }
}

/** The levels of `dataDir` that do not exist yet, outermost first; refused when a level is a file. */
function missingLevels(dataDir: string, source: string): string[] {
  const missing: string[] = [];
  for (let at = resolve(dataDir); ; at = dirname(at)) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: a level above is a file, found on the way up
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new UsageError(`${source} ${dataDir} cannot be used: ${at} (${code ?? String(err)})`);
      missing.unshift(at);
      if (dirname(at) === at) return missing;
      continue;
    }
    if (!isDir) throw new UsageError(`${source} ${dataDir} cannot be used: ${at} is not a directory`);
    return missing;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
