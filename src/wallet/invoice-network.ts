// Which Lightning network an invoice is for (its BOLT-11 prefix), and which
// one the wallet pays on (NIP-47 get_info `network`). Only invoices of the
// wallet's own network are paid: a testnet invoice offered to a mainnet
// wallet is refused by name before the wallet is asked.

export type LightningNetwork = 'mainnet' | 'testnet' | 'signet' | 'regtest' | 'simnet';

const PREFIXES: Record<LightningNetwork, string> = {
  mainnet: 'lnbc',
  testnet: 'lntb',
  signet: 'lntbs',
  regtest: 'lnbcrt',
  simnet: 'lnsb',
};

/** The invoice's prefix letters ('lnbc', 'lntb', 'lntbs', 'lnbcrt', …), or null when it has none. */
export function invoicePrefix(bolt11: string): string | null {
  const lower = bolt11
    .trim()
    .toLowerCase()
    .replace(/^lightning:/, '');
  const sep = lower.lastIndexOf('1');
  if (sep < 0) return null;
  const m = /^ln([a-z]+)/.exec(lower.slice(0, sep));
  return m ? `ln${m[1]}` : null;
}

export function networkOfPrefix(prefix: string): LightningNetwork | null {
  for (const [network, p] of Object.entries(PREFIXES) as [LightningNetwork, string][]) if (p === prefix) return network;
  return null;
}

/** NIP-47 get_info's `network` as a known network; absent or empty = mainnet ('bitcoin' is mainnet too). */
export function walletNetwork(reported: string | null | undefined): LightningNetwork | { unknown: string } {
  const v = (reported ?? '').trim().toLowerCase();
  if (v === '' || v === 'mainnet' || v === 'bitcoin' || v === 'main') return 'mainnet';
  if (v === 'testnet' || v === 'testnet3' || v === 'testnet4' || v === 'test') return 'testnet';
  if (v === 'signet' || v === 'mutinynet') return 'signet';
  if (v === 'regtest') return 'regtest';
  if (v === 'simnet') return 'simnet';
  return { unknown: v };
}

export function prefixOf(network: LightningNetwork): string {
  return PREFIXES[network];
}

/** null when the invoice is for the wallet's network, else why not (one line, names both). */
export function networkMismatch(bolt11: string, wallet: LightningNetwork | { unknown: string }): string | null {
  const prefix = invoicePrefix(bolt11);
  const invoiceNet = prefix ? networkOfPrefix(prefix) : null;
  if (typeof wallet !== 'string') {
    return `the wallet reports network "${wallet.unknown}", which this client does not know; the ${invoiceNet ?? 'unknown-network'} invoice (${prefix ?? 'no prefix'}…) is not paid`;
  }
  if (invoiceNet === wallet) return null;
  const what = invoiceNet ? `a ${invoiceNet} invoice (${prefix}…)` : `an invoice of unknown network (${prefix ?? 'no prefix'}…)`;
  return `${what} cannot be paid by this ${wallet} wallet (${PREFIXES[wallet]}…)`;
}
