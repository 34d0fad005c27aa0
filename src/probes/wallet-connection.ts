// Connect Wallet and Diagnose ask the wallet itself (NIP-47 get_info, then
// get_balance) instead of trusting a well-formed URI: the answer is the
// balance and the methods the connection allows, or the exact failure (a
// relay that does not answer is said so). The client comes from the engine
// bundle, loaded on first use. No vscode here.
import type { NwcClient } from '../wallet/nwc-client';
import { formatSats } from '../text/format';

export type WalletCheck =
  | { ok: true; alias: string | null; network: string | null; methods: string[]; balanceMsats: number | null; balanceError: string | null; summary: string }
  | { ok: false; message: string; summary: string };

type Client = Pick<NwcClient, 'getInfo' | 'getBalance' | 'close' | 'connection'>;

export async function checkWallet(makeClient: () => Client, signal?: AbortSignal): Promise<WalletCheck> {
  let client: Client;
  try {
    client = makeClient();
  } catch (err) {
    const message = errorText(err);
    return { ok: false, message, summary: `the connection string was not accepted: ${message}` };
  }
  const relays = client.connection.relays.join(', ');
  try {
    const info = await client.getInfo({ signal });
    let balanceMsats: number | null = null;
    let balanceError: string | null = null;
    // a connection may be allowed to pay but not to read the balance: that is not a failure of the wallet
    if (info.methods.length === 0 || info.methods.includes('get_balance')) {
      try {
        balanceMsats = (await client.getBalance({ signal })).balanceMsats;
      } catch (err) {
        balanceError = errorText(err);
      }
    } else balanceError = 'this connection may not read the balance';
    const name = info.alias ? `“${info.alias}”` : 'the wallet';
    const balance = balanceMsats !== null ? `balance ${formatSats(balanceMsats)}` : `balance not shown (${balanceError})`;
    const methods = info.methods.length ? `allows ${info.methods.join(', ')}` : 'lists no methods';
    const canPay = info.methods.length === 0 || info.methods.includes('pay_invoice');
    return {
      ok: true,
      alias: info.alias,
      network: info.network,
      methods: info.methods,
      balanceMsats,
      balanceError,
      summary: `${name} answered: ${balance}; ${methods}${canPay ? '' : ' (not pay_invoice: it cannot pay providers)'}.`,
    };
  } catch (err) {
    const message = errorText(err);
    return { ok: false, message, summary: `the wallet did not answer through ${relays}: ${message}` };
  } finally {
    client.close();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
