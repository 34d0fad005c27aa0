// A market where jobs are paid: a relay, the NIP-47 test wallet on it, and
// test providers that ask to be paid. Each provider's invoices settle once the
// wallet has paid them (what the provider's own wallet would see), so a paid
// job goes on to its result.
import { startRelay, type TestRelay } from './relay';
import { startNwcWallet, type NwcTestWallet } from './nwc-wallet';
import { startTestProvider, type ProviderScript, type TestProvider } from './test-provider';

export interface PaidMarket {
  relay: TestRelay;
  wallet: NwcTestWallet;
  /** a test provider on the relay whose invoices settle once the wallet paid them */
  addProvider(script: ProviderScript): Promise<TestProvider>;
  /** `submit` on `dataDir` asking `prompt` on this relay, paying with this wallet; more flags go after */
  submitArgs(prompt: string, dataDir: string): string[];
  /** the providers, the wallet, the relay */
  stop(): Promise<void>;
}

export async function startPaidMarket(): Promise<PaidMarket> {
  const relay = await startRelay();
  const wallet = await startNwcWallet({ relayUrl: relay.url }).catch(async (err) => {
    await relay.stop();
    throw err;
  });
  const providers: TestProvider[] = [];
  const settler = setInterval(() => {
    for (const p of wallet.payments) for (const provider of providers) provider.settle(p.bolt11);
  }, 20);
  return {
    relay,
    wallet,
    async addProvider(script) {
      const provider = await startTestProvider({ relays: [relay.url], script });
      providers.push(provider);
      return provider;
    },
    submitArgs: (prompt, dataDir) => ['submit', '--prompt', prompt, '--relay', relay.url, '--data-dir', dataDir, '--nwc', wallet.uri],
    async stop() {
      clearInterval(settler);
      for (const provider of providers.splice(0)) await provider.stop();
      await wallet.stop();
      await relay.stop();
    },
  };
}
