// A wallet failure as a value with a code. Codes from NIP-47 come from the
// wallet service; the others are raised here (transport, timeouts, bad answers).

export const NWC_ERROR_CODES = [
  'RATE_LIMITED',
  'NOT_IMPLEMENTED',
  'INSUFFICIENT_BALANCE',
  'QUOTA_EXCEEDED',
  'RESTRICTED',
  'UNAUTHORIZED',
  'INTERNAL',
  'PAYMENT_FAILED',
  'NOT_FOUND',
  'UNSUPPORTED_ENCRYPTION',
  'OTHER',
] as const;
export type NwcErrorCode = (typeof NWC_ERROR_CODES)[number];

export type WalletErrorCode =
  | NwcErrorCode
  | 'NO_RELAY' // no relay of the connection could be reached, or none accepted the request
  | 'NO_INFO' // the wallet service published no info event (kind 13194)
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CLOSED' // the client was closed while the call was running
  | 'BAD_RESPONSE'; // an answer we cannot read

export class WalletError extends Error {
  override name = 'WalletError';
  constructor(
    readonly code: WalletErrorCode,
    message: string,
    /** true when the request may have reached the wallet and been carried out */
    readonly mayHaveSucceeded = false,
  ) {
    super(message);
  }
}

/** A remote string made safe for a one-line message. */
export function oneLine(text: unknown, max = 200): string {
  const s = String(text ?? '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The one-line message for a NIP-47 error code returned by the wallet for `method`. */
export function nwcErrorMessage(code: string, method: string, walletMessage: unknown): string {
  const said = oneLine(walletMessage);
  const detail = said ? `: ${said}` : '';
  switch (code as NwcErrorCode) {
    case 'RATE_LIMITED':
      return `wallet refused ${method}: too many requests (RATE_LIMITED); try again in a few seconds${detail}`;
    case 'NOT_IMPLEMENTED':
      return `wallet does not support ${method} (NOT_IMPLEMENTED)${detail}`;
    case 'INSUFFICIENT_BALANCE':
      return `wallet balance too low to pay the invoice and its fees (INSUFFICIENT_BALANCE); top up the wallet${detail}`;
    case 'QUOTA_EXCEEDED':
      return `wallet spending quota for this connection is used up (QUOTA_EXCEEDED); raise the connection's budget in the wallet${detail}`;
    case 'RESTRICTED':
      return `this wallet connection is not allowed to ${method} (RESTRICTED); check the connection's permissions in the wallet${detail}`;
    case 'UNAUTHORIZED':
      return `wallet does not know this connection (UNAUTHORIZED); it may have been revoked: create a new NWC connection URI${detail}`;
    case 'INTERNAL':
      return `wallet internal error during ${method} (INTERNAL)${detail}`;
    case 'PAYMENT_FAILED':
      return `wallet could not pay the invoice (PAYMENT_FAILED)${detail}`;
    case 'NOT_FOUND':
      return `wallet found no such invoice (NOT_FOUND)${detail}`;
    case 'UNSUPPORTED_ENCRYPTION':
      return `wallet does not accept this encryption (UNSUPPORTED_ENCRYPTION)${detail}`;
    case 'OTHER':
      return `wallet error during ${method} (OTHER)${detail}`;
    default:
      return `wallet error during ${method} (${oneLine(code, 40) || 'no code'})${detail}`;
  }
}

/** The NIP-47 code if known, else OTHER. */
export function toNwcErrorCode(code: unknown): NwcErrorCode {
  return (NWC_ERROR_CODES as readonly string[]).includes(code as string) ? (code as NwcErrorCode) : 'OTHER';
}
