// Runs `swarm-compute gateway` from the built CLI in a child process and waits
// for its ready line on standard error (never a guessed delay).
import type { ChildProcess } from 'node:child_process';
import { runCli, type CliRun } from './cli';

export interface RunningGateway {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  child: ChildProcess;
  /** standard error so far */
  stderr(): string;
  /** resolves when the process exits */
  exited: Promise<CliRun>;
  /** SIGTERM, then the exit */
  stop(): Promise<CliRun>;
}

export async function startGatewayCli(args: string[], env: Record<string, string> = {}): Promise<RunningGateway> {
  let child: ChildProcess | null = null;
  let err = '';
  let ready!: (url: string) => void;
  const readyUrl = new Promise<string>((resolve) => (ready = resolve));
  const exited = runCli(['gateway', '--port', '0', ...args], {
    env,
    timeoutMs: 120_000,
    onSpawn: (c) => {
      child = c;
      c.stderr!.on('data', (d) => {
        err += d;
        const m = /listening on (http:\/\/\S+?)\s/.exec(err);
        if (m) ready(m[1]);
      });
    },
  });
  const url = await Promise.race([
    readyUrl,
    exited.then((r) => {
      throw new Error(`the gateway exited (${r.code}) before it was ready:\n${r.stderr}`);
    }),
  ]);
  return {
    url,
    port: Number(new URL(url).port),
    child: child!,
    stderr: () => err,
    exited,
    async stop() {
      if (child!.exitCode === null && child!.signalCode === null) child!.kill('SIGTERM');
      return exited;
    },
  };
}
