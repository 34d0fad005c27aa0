/** What a command may touch of its process: injected so tests can run commands in-process too. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  stdin(): NodeJS.ReadableStream & { destroy(): void };
  /** calls `handler` on SIGINT/SIGTERM; returns a function that removes it */
  onSignal(handler: () => void): () => void;
}

export function processIo(): CliIo {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    stdin: () => process.stdin,
    onSignal(handler) {
      let count = 0;
      const listener = () => {
        count++;
        // A second signal means "now": the first one is still cleaning up (kind-5, history).
        if (count > 1) process.exit(130);
        handler();
      };
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
  };
}
