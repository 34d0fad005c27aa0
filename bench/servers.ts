// The other side of every benchmark, in its own process so its CPU is not
// counted as the client's: the loopback relay (test/support/relay.ts), a
// free NIP-90 provider (test/support/test-provider.ts) and the Ollama
// stand-in (test/support/ollama-standin.ts). Started by bench/run.ts with an
// IPC channel; answers { ready } with their addresses, and { stop } ends it.
import { closedPort, startOllamaStandin } from '../test/support/ollama-standin';
import { startRelay } from '../test/support/relay';
import { startTestProvider } from '../test/support/test-provider';

export interface ServerAddresses {
  relay: string;
  ollama: string;
  /** a port nothing listens on: Ollama is down */
  ollamaDown: string;
  provider: string;
  model: string;
  tokens: number;
}

export const BENCH_MODEL = 'bench-model';
export const STREAM_TOKENS = 500;

async function main(): Promise<void> {
  const relay = await startRelay();
  const tokens = Array.from({ length: STREAM_TOKENS }, (_, i) => (i === 0 ? 'token' : ' token'));
  const ollama = await startOllamaStandin({ models: { [BENCH_MODEL]: { tokens } } });
  // free: processing, then the result; no invoice
  const provider = await startTestProvider({ relays: [relay.url], script: { processing: true, result: 'the answer' } });
  const addresses: ServerAddresses = {
    relay: relay.url,
    ollama: ollama.url,
    ollamaDown: `http://127.0.0.1:${await closedPort()}`,
    provider: provider.pubkey,
    model: BENCH_MODEL,
    tokens: STREAM_TOKENS,
  };
  process.on('message', (m: { type: string; tokenDelayMs?: number; firstTokenMs?: number }) => {
    if (m.type === 'stream') {
      // firstTokenMs: nothing at all (not even headers) for that long, as while Ollama evaluates the prompt
      ollama.setModel(BENCH_MODEL, { tokens, tokenDelayMs: m.tokenDelayMs ?? 0, loadDelayMs: m.firstTokenMs ?? 0 });
      process.send!({ type: 'ok' });
    }
    if (m.type === 'stop') {
      void Promise.allSettled([provider.stop(), relay.stop(), ollama.stop()]).then(() => process.exit(0));
    }
  });
  // the bench died without saying stop: do not outlive it
  process.on('disconnect', () => process.exit(0));
  process.send!({ type: 'ready', addresses });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
