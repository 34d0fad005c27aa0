// What stands around the code under test in most end-to-end tests, all on
// loopback: an Ollama stand-in, a Nostr relay, a NIP-90 test provider on it
// and, when asked, an NWC test wallet on the same relay. stop() ends them in
// the reverse order (what is up when a start fails is stopped too).
import { startOllamaStandin, type OllamaStandin, type OllamaStandinOptions } from './ollama-standin';
import { startRelay, type TestRelay } from './relay';
import { startTestProvider, type TestProvider, type TestProviderOptions } from './test-provider';
import { startNwcWallet, type NwcTestWallet, type NwcWalletOptions } from './nwc-wallet';

export interface StandIns {
  ollama: OllamaStandin;
  relay: TestRelay;
  provider: TestProvider;
  /** only when asked for */
  wallet: NwcTestWallet | undefined;
  stop(): Promise<void>;
}

export interface StandInsOptions {
  /** the Ollama stand-in's models */
  models: OllamaStandinOptions['models'];
  provider: TestProviderOptions['script'];
  /** an NWC test wallet on the relay, with these options */
  wallet?: Omit<NwcWalletOptions, 'relayUrl'>;
}

export type StandInsWithWallet = StandIns & { wallet: NwcTestWallet };

export async function startStandIns(options: StandInsOptions & { wallet: StandInsOptions['wallet'] & object }): Promise<StandInsWithWallet>;
export async function startStandIns(options: StandInsOptions): Promise<StandIns>;
export async function startStandIns(options: StandInsOptions): Promise<StandIns> {
  const started: { stop(): Promise<void> }[] = [];
  const stop = async () => {
    for (const part of started.splice(0).reverse()) await part.stop();
  };
  const up = async <T extends { stop(): Promise<void> }>(part: Promise<T>): Promise<T> => {
    const p = await part;
    started.push(p);
    return p;
  };
  try {
    const ollama = await up(startOllamaStandin({ models: options.models }));
    const relay = await up(startRelay());
    const wallet = options.wallet ? await up(startNwcWallet({ relayUrl: relay.url, ...options.wallet })) : undefined;
    const provider = await up(startTestProvider({ relays: [relay.url], script: options.provider }));
    return { ollama, relay, provider, wallet, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
