import { createHash } from 'node:crypto';

/** sha256(preimage) = payment hash: the proof that the invoice was paid. */
export function preimageMatches(preimage: string, paymentHash: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(preimage)) return false;
  return createHash('sha256').update(Buffer.from(preimage, 'hex')).digest('hex') === paymentHash.toLowerCase();
}
