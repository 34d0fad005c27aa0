// What the wallet's answers mean: a NIP-47 transaction (make_invoice,
// lookup_invoice) and get_info, read defensively (a missing or odd field is
// null or 0, never a crash).
import { WalletError } from './wallet-error';
import type { Json } from './nwc-messages';

export interface NwcTransaction {
  type: 'incoming' | 'outgoing' | null;
  invoice: string | null;
  description: string | null;
  paymentHash: string;
  preimage: string | null;
  amountMsats: number;
  feesPaidMsats: number;
  createdAt: number | null;
  expiresAt: number | null;
  /** unix seconds; null while unpaid */
  settledAt: number | null;
  /** the wallet's `state` when it gives one (settled, pending, failed, expired) */
  state: string | null;
}

export interface NwcGetInfo {
  alias: string | null;
  pubkey: string | null;
  network: string | null;
  methods: string[];
  notifications: string[];
}

export function msats(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((m): m is string => typeof m === 'string') : [];
}

export function toTransaction(r: Json): NwcTransaction {
  const paymentHash = str(r.payment_hash);
  if (!paymentHash) throw new WalletError('BAD_RESPONSE', 'wallet answered without a payment_hash');
  const type = r.type === 'incoming' || r.type === 'outgoing' ? r.type : null;
  return {
    type,
    invoice: str(r.invoice),
    description: str(r.description),
    paymentHash,
    preimage: str(r.preimage),
    amountMsats: msats(r.amount),
    feesPaidMsats: msats(r.fees_paid),
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    settledAt: num(r.settled_at),
    state: str(r.state),
  };
}

export function toGetInfo(r: Json): NwcGetInfo {
  return { alias: str(r.alias), pubkey: str(r.pubkey), network: str(r.network), methods: strings(r.methods), notifications: strings(r.notifications) };
}
