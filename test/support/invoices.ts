// Real BOLT-11 invoices for tests: encoded and signed with a fixed test node
// key (npm `bolt11`). Every invoice made here is remembered with its preimage,
// so a test wallet can "pay" it and hand back the true preimage.
import bolt11 from 'bolt11';
import { createHash, randomBytes } from 'node:crypto';

/** The Lightning node key that signs every test invoice (test use only). */
export const TEST_NODE_KEY = '1f'.repeat(32);

export interface TestInvoice {
  bolt11: string;
  paymentHash: string;
  preimage: string;
  /** null for an amountless invoice */
  amountMsats: number | null;
  timestampSecs: number;
  expirySecs: number;
  description: string;
}

export interface MakeInvoiceOptions {
  /** msats; null or omitted = amountless invoice */
  amountMsats?: number | null;
  /** the invoice's expiry field; omitted = none (BOLT-11 default, 3600 s) */
  expirySecs?: number;
  /** creation time, Unix seconds (default now); set it in the past to make an expired invoice */
  timestampSecs?: number;
  description?: string;
  /** 64 hex; default random */
  preimage?: string;
  /** the Lightning network (its prefix): default mainnet (lnbc) */
  network?: 'mainnet' | 'testnet' | 'signet' | 'regtest';
}

// bolt11's network objects (bech32 prefix, address versions); signet uses testnet's address versions
const NETWORKS = {
  testnet: { bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  signet: { bech32: 'tbs', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  regtest: { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
} as const;

const registry = new Map<string, TestInvoice>();

export function makeInvoice(options: MakeInvoiceOptions = {}): TestInvoice {
  const preimage = options.preimage ?? randomBytes(32).toString('hex');
  const paymentHash = createHash('sha256').update(Buffer.from(preimage, 'hex')).digest('hex');
  const timestampSecs = options.timestampSecs ?? Math.floor(Date.now() / 1000);
  const description = options.description ?? 'swarm-compute test';
  const amountMsats = options.amountMsats ?? null;
  const tags: { tagName: string; data: string | number }[] = [
    { tagName: 'payment_hash', data: paymentHash },
    { tagName: 'payment_secret', data: randomBytes(32).toString('hex') },
    { tagName: 'description', data: description },
  ];
  if (options.expirySecs !== undefined) tags.push({ tagName: 'expire_time', data: options.expirySecs });
  const unsigned = bolt11.encode({
    millisatoshis: amountMsats === null ? undefined : String(amountMsats),
    timestamp: timestampSecs,
    tags,
    ...(options.network && options.network !== 'mainnet' ? { network: NETWORKS[options.network] } : {}),
  } as never);
  const signed = bolt11.sign(unsigned, TEST_NODE_KEY);
  const invoice: TestInvoice = {
    bolt11: signed.paymentRequest!,
    paymentHash,
    preimage,
    amountMsats,
    timestampSecs,
    expirySecs: options.expirySecs ?? 3600,
    description,
  };
  registry.set(paymentHash, invoice);
  return invoice;
}

/** The invoice made here with this payment hash, if any. */
export function knownInvoice(paymentHash: string): TestInvoice | undefined {
  return registry.get(paymentHash.toLowerCase());
}

/** Decodes any BOLT-11 invoice with the `bolt11` package (independent of the code under test). */
export function readInvoice(paymentRequest: string): { paymentHash: string; amountMsats: number | null; expiresAtSecs: number } {
  const d = bolt11.decode(paymentRequest);
  const hash = d.tags.find((t) => t.tagName === 'payment_hash')?.data as string;
  const expiry = (d.tags.find((t) => t.tagName === 'expire_time')?.data as number | undefined) ?? 3600;
  return {
    paymentHash: hash,
    amountMsats: d.millisatoshis ? Number(d.millisatoshis) : null,
    expiresAtSecs: (d.timestamp ?? 0) + expiry,
  };
}
