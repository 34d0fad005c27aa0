// Runs the built command line (dist/cli.js) in a child process, as users and
// scripts do. `npm test` builds first.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  /** called once the child is running, e.g. to send it a signal later */
  onSpawn?: (child: ChildProcess) => unknown;
  timeoutMs?: number;
  /** leave standard input open (a user still typing) instead of closing it */
  keepStdinOpen?: boolean;
  /** the working directory (default this process's) */
  cwd?: string;
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env };
    // A test never inherits the developer's own configuration.
    for (const k of Object.keys(env)) if (k.startsWith('SWARM_COMPUTE_') || k === 'OLLAMA_HOST') delete env[k];
    Object.assign(env, options.env ?? {});
    const child = spawn(process.execPath, [CLI, ...args], { env: env as NodeJS.ProcessEnv, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`swarm-compute ${args.join(' ')} did not exit within ${options.timeoutMs ?? 60000}ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else if (!options.keepStdinOpen) child.stdin.end();
    options.onSpawn?.(child);
  });
}

/** Resolves once the child's standard error so far matches `re` (what a person watching would wait for). */
export function untilPrinted(child: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let err = '';
    const onData = (d: Buffer) => {
      err += d;
      if (!re.test(err)) return;
      child.stderr!.off('data', onData);
      resolve();
    };
    child.stderr!.on('data', onData);
  });
}

/**
 * Flags for argv from an object, in its order: flags({ prompt: 'x', 'data-dir': d })
 * is ['--prompt', 'x', '--data-dir', d]; `true` is a flag without a value.
 */
export function flags(named: Record<string, string | number | true>): string[] {
  return Object.entries(named).flatMap(([name, value]) => (value === true ? [`--${name}`] : [`--${name}`, String(value)]));
}
