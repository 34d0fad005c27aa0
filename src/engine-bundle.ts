// Wires the engine from plain values: the same engine for the CLI and the
// extension (which passes settings, secrets and its global storage path).
import type { Engine, EngineOptions } from './engine/api';
import { EngineCore } from './engine/engine-core';
import { openHistory } from './history/sqlite-history';
import { OllamaLane } from './local/ollama-lane';
import { createSwarmLane } from './swarm/nip90-client';
import { NoWalletPayer } from './wallet/no-wallet-payer';
import { NwcClient } from './wallet/nwc-client';
import { PolicyPayer } from './wallet/policy-payer';
import { settleUnconfirmed } from './wallet/unconfirmed-settler';
import { setGarbageSink } from './relay/garbage-report';

export async function createEngine(options: EngineOptions): Promise<Engine> {
  const history = await openHistory(options.historyFile, { onWarning: (m) => options.log.warn(m) });
  // malformed relay frames: one summary line per kind now and then, in this engine's log
  setGarbageSink((line) => options.log.warn(line));
  return new EngineCore(
    {
      local: new OllamaLane(),
      swarm: createSwarmLane(),
      history,
      log: options.log,
      makePayer(nwcUri, settings) {
        if (!nwcUri) return { payer: new NoWalletPayer(), close() {} };
        const wallet = new NwcClient(nwcUri);
        const payer = new PolicyPayer({
          wallet,
          spentMsatsSince: (ms) => history.spentMsatsSince(ms),
          // budgets and the cap are reserved in the history file, shared by every process on it
          ledger: history,
          // NIP-47 get_info says which network the wallet pays on (absent: mainnet)
          walletNetwork: () => wallet.getInfo({ timeoutMs: 10_000 }).then((info) => info.network),
          settleUnconfirmed: () => settleUnconfirmed(history, wallet).then(() => undefined),
          payTimeoutMs: options.payTimeoutMs,
          dailyBudgetMsats: settings.dailyBudgetMsats,
          monthlyBudgetMsats: settings.monthlyBudgetMsats,
        });
        return { payer, close: () => wallet.close() };
      },
    },
    { settings: options.settings, secretKey: options.secretKey, nwcUri: options.nwcUri },
  );
}

export type { Engine, EngineOptions } from './engine/api';

// Provider mode and discovery for the extension ("Share My Model", the
// provider list): in this bundle, so the extension loads them on first use.
export { ModelProvider } from './provider/model-provider';
export { findProviders, trackRecords } from './provider/provider-directory';
export { checkInvoiceWallet } from './provider/wallet-check';
export { NwcClient } from './wallet/nwc-client';
export { authSigner } from './relay/relay-auth';
export { startGateway } from './gateway/gateway-server';
