// A NIP-47 wallet service for tests, over a real relay (test/support/relay.ts).
// It talks to the relay with bare `ws` (not nostr-tools' pool), so it is an
// independent counterpart to the client under test. It speaks NIP-44 and/or
// NIP-04, publishes its info event, records every request and every payment,
// and settles invoices through a ledger that several test wallets can share:
// a payer wallet paying an invoice made by a provider wallet settles it there.
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent, type Event as NostrEvent } from 'nostr-tools/pure';
import { bytesToHex } from 'nostr-tools/utils';
import * as nip04 from 'nostr-tools/nip04';
import * as nip44 from 'nostr-tools/nip44';
import { knownInvoice, makeInvoice, readInvoice } from './invoices';

export type WalletEncryptionMode = 'nip44_v2' | 'nip04' | 'both' | 'legacy';

export interface LedgerEntry {
  bolt11: string;
  paymentHash: string;
  preimage: string;
  amountMsats: number | null;
  description: string;
  createdAt: number;
  expiresAt: number;
  /** pubkey of the test wallet that made it (null: made directly with invoices.ts) */
  owner: string | null;
  /** pubkey of the test wallet that paid it */
  paidBy: string | null;
  settledAt: number | null;
}

/** Invoices and balances shared by the test wallets of one test. */
export interface Ledger {
  invoices: Map<string, LedgerEntry>;
  balances: Map<string, number>;
}

export function createLedger(): Ledger {
  return { invoices: new Map(), balances: new Map() };
}

export interface RecordedPayment {
  bolt11: string;
  paymentHash: string;
  amountMsats: number;
  feesMsats: number;
  /** what the wallet answered (the true preimage unless told to misbehave) */
  preimage: string;
  atMs: number;
}

export interface RecordedRequest {
  method: string;
  params: Record<string, unknown>;
  encryption: 'nip44_v2' | 'nip04';
  eventId: string;
  author: string;
}

export interface NwcWalletOptions {
  relayUrl: string;
  /** what the info event lists and what requests may use (default both); legacy = no encryption tag, NIP-04 */
  encryption?: WalletEncryptionMode;
  ledger?: Ledger;
  /** starting balance, msats (default 10,000,000) */
  balanceMsats?: number;
  /** fees_paid reported for each payment, msats (default 0) */
  feesMsats?: number;
  /** 'random': answer pay_invoice with a preimage that does not match */
  preimages?: 'true' | 'random';
  /** never answer (to test timeouts) */
  silent?: boolean;
  /** answer this method with this error */
  errors?: Record<string, { code: string; message?: string }>;
  /** publish the kind-13194 info event (default true) */
  publishInfo?: boolean;
  methods?: string[];
  responseDelayMs?: number;
  /** per method: answer this much later (pay_invoice: the payment is made, then answered late) */
  delays?: Record<string, number>;
  /** per method: never answer (pay_invoice: nothing is paid, like a held invoice) */
  silentMethods?: string[];
  /** get_info's `network` (default 'mainnet', as the invoices made by ./invoices are lnbc); null leaves it out */
  network?: string | null;
  /** put this in the info event's `encryption` tag instead of what `encryption` implies */
  infoEncryptionTag?: string;
  /** answer the relay's NIP-42 challenge (sent when connecting) before subscribing */
  authenticate?: boolean;
}

export interface NwcTestWallet {
  /** nostr+walletconnect URI for a client of this wallet */
  uri: string;
  walletPubkey: string;
  clientPubkey: string;
  ledger: Ledger;
  /** successful payments, in order */
  payments: RecordedPayment[];
  /** every request it decrypted, in order */
  requests: RecordedRequest[];
  /** requests ignored because their `expiration` had passed */
  expiredRequests: string[];
  setError(method: string, code: string | null, message?: string): void;
  setPreimages(mode: 'true' | 'random'): void;
  setSilent(silent: boolean): void;
  /** answer `method` this much later (0: at once) */
  setDelay(method: string, ms: number): void;
  /** never answer `method` (false: answer again) */
  setMethodSilent(method: string, silent: boolean): void;
  /** settle an invoice as if paid from outside */
  markPaid(paymentHash: string): void;
  balanceMsats(): number;
  stop(): Promise<void>;
}

export const ALL_METHODS = ['pay_invoice', 'make_invoice', 'lookup_invoice', 'get_balance', 'get_info'];

export async function startNwcWallet(options: NwcWalletOptions): Promise<NwcTestWallet> {
  const walletSecret = generateSecretKey();
  const walletPubkey = getPublicKey(walletSecret);
  const clientSecret = generateSecretKey();
  const clientPubkey = getPublicKey(clientSecret);
  const ledger = options.ledger ?? createLedger();
  const mode = options.encryption ?? 'both';
  const methods = options.methods ?? ALL_METHODS;
  const errors = new Map(Object.entries(options.errors ?? {}));
  let preimages = options.preimages ?? 'true';
  let silent = options.silent ?? false;
  const delays = new Map(Object.entries(options.delays ?? {}));
  const silentMethods = new Set(options.silentMethods ?? []);
  ledger.balances.set(walletPubkey, options.balanceMsats ?? 10_000_000);

  const payments: RecordedPayment[] = [];
  const requests: RecordedRequest[] = [];
  const expiredRequests: string[] = [];
  const handled = new Set<string>();

  const ws = new WebSocket(options.relayUrl);
  const frame = (match: (m: unknown[]) => boolean) =>
    new Promise<unknown[]>((resolve) => {
      const onMessage = (raw: WebSocket.RawData) => {
        const m = JSON.parse(String(raw)) as unknown[];
        if (!match(m)) return;
        ws.off('message', onMessage);
        resolve(m);
      };
      ws.on('message', onMessage);
    });
  const challenge = options.authenticate ? frame((m) => m[0] === 'AUTH') : null;
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (challenge) {
    const auth = finalizeEvent(
      {
        kind: 22242,
        created_at: Math.floor(Date.now() / 1000),
        content: '',
        tags: [
          ['relay', options.relayUrl],
          ['challenge', String((await challenge)[1])],
        ],
      },
      walletSecret,
    );
    const ok = frame((m) => m[0] === 'OK' && m[1] === auth.id);
    ws.send(JSON.stringify(['AUTH', auth]));
    const answer = await ok;
    if (answer[2] !== true) throw new Error(`the relay refused the wallet's AUTH: ${String(answer[3])}`);
  }
  ws.on('error', () => {});
  const oks = new Map<string, (ok: boolean, message: string) => void>();
  let eose: (() => void) | null = null;

  const publish = (event: NostrEvent) =>
    new Promise<void>((resolve, reject) => {
      oks.set(event.id, (ok, message) => (ok ? resolve() : reject(new Error(`relay refused: ${message}`))));
      ws.send(JSON.stringify(['EVENT', event]));
    });

  ws.on('message', (raw) => {
    const msg = JSON.parse(String(raw)) as unknown[];
    if (msg[0] === 'OK') {
      oks.get(msg[1] as string)?.(msg[2] as boolean, msg[3] as string);
      oks.delete(msg[1] as string);
    } else if (msg[0] === 'EOSE') {
      eose?.();
    } else if (msg[0] === 'EVENT') {
      const event = msg[2] as NostrEvent;
      if (handled.has(event.id)) return;
      handled.add(event.id);
      void handle(event).catch(() => {});
    }
  });

  function encryptFor(scheme: 'nip44_v2' | 'nip04', pubkey: string, text: string) {
    return scheme === 'nip44_v2' ? nip44.encrypt(text, nip44.getConversationKey(walletSecret, pubkey)) : nip04.encrypt(walletSecret, pubkey, text);
  }

  async function respond(
    request: NostrEvent,
    scheme: 'nip44_v2' | 'nip04',
    method: string,
    body: { result?: unknown; error?: { code: string; message: string } },
  ) {
    const content = JSON.stringify({ result_type: method, error: body.error ?? null, result: body.error ? null : body.result });
    const event = finalizeEvent(
      {
        kind: 23195,
        created_at: Math.floor(Date.now() / 1000),
        tags: [
          ['p', request.pubkey],
          ['e', request.id],
        ],
        content: encryptFor(scheme, request.pubkey, content),
      },
      walletSecret,
    );
    await publish(event);
  }

  const fail = (code: string, message: string) => ({ error: { code, message } });

  async function handle(event: NostrEvent) {
    if (event.kind !== 23194 || !verifyEvent(event)) return;
    if (!event.tags.some((t) => t[0] === 'p' && t[1] === walletPubkey)) return;
    const expiration = Number(event.tags.find((t) => t[0] === 'expiration')?.[1]);
    if (Number.isFinite(expiration) && expiration < Date.now() / 1000) {
      expiredRequests.push(event.id);
      return;
    }
    const scheme = event.tags.find((t) => t[0] === 'encryption')?.[1] === 'nip44_v2' ? 'nip44_v2' : 'nip04';
    const accepts = mode === 'both' ? ['nip44_v2', 'nip04'] : mode === 'legacy' ? ['nip04'] : [mode];
    if (!accepts.includes(scheme)) {
      return respond(event, scheme, 'unknown', fail('UNSUPPORTED_ENCRYPTION', `this wallet does not speak ${scheme}`));
    }
    if (event.pubkey !== clientPubkey) {
      return respond(event, scheme, 'unknown', fail('UNAUTHORIZED', 'no wallet connected for this pubkey'));
    }
    let request: { method: string; params: Record<string, unknown> };
    try {
      const text =
        scheme === 'nip44_v2'
          ? nip44.decrypt(event.content, nip44.getConversationKey(walletSecret, event.pubkey))
          : nip04.decrypt(walletSecret, event.pubkey, event.content);
      request = JSON.parse(text);
    } catch {
      return respond(event, scheme, 'unknown', fail('OTHER', 'cannot decrypt the request'));
    }
    requests.push({ method: request.method, params: request.params ?? {}, encryption: scheme, eventId: event.id, author: event.pubkey });
    if (silent || silentMethods.has(request.method)) return;
    if (options.responseDelayMs) await new Promise((r) => setTimeout(r, options.responseDelayMs));
    const delay = delays.get(request.method) ?? 0;
    if (delay > 0 && request.method === 'pay_invoice') {
      // the money moves now; the answer comes late
      const body = configuredOr(request.method, request.params ?? {});
      await new Promise((r) => setTimeout(r, delay));
      return respond(event, scheme, request.method, body);
    }
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const configured = errors.get(request.method);
    if (configured) {
      return respond(event, scheme, request.method, fail(configured.code, configured.message ?? `test wallet says ${configured.code}`));
    }
    if (!methods.includes(request.method)) {
      return respond(event, scheme, request.method, fail('NOT_IMPLEMENTED', `${request.method} is not supported`));
    }
    return respond(event, scheme, request.method, run(request.method, request.params ?? {}));
  }

  function configuredOr(method: string, params: Record<string, unknown>) {
    const configured = errors.get(method);
    if (configured) return fail(configured.code, configured.message ?? `test wallet says ${configured.code}`);
    if (!methods.includes(method)) return fail('NOT_IMPLEMENTED', `${method} is not supported`);
    return run(method, params);
  }

  function entryFor(hash: string): LedgerEntry | undefined {
    let entry = ledger.invoices.get(hash);
    const made = knownInvoice(hash);
    if (!entry && made) {
      entry = {
        bolt11: made.bolt11,
        paymentHash: made.paymentHash,
        preimage: made.preimage,
        amountMsats: made.amountMsats,
        description: made.description,
        createdAt: made.timestampSecs,
        expiresAt: made.timestampSecs + made.expirySecs,
        owner: null,
        paidBy: null,
        settledAt: null,
      };
      ledger.invoices.set(hash, entry);
    }
    return entry;
  }

  function transaction(entry: LedgerEntry) {
    const incoming = entry.owner === walletPubkey;
    return {
      type: incoming ? 'incoming' : 'outgoing',
      state: entry.settledAt ? 'settled' : entry.expiresAt < Date.now() / 1000 ? 'expired' : 'pending',
      invoice: entry.bolt11,
      description: entry.description,
      payment_hash: entry.paymentHash,
      preimage: entry.settledAt ? entry.preimage : undefined,
      amount: entry.amountMsats ?? 0,
      fees_paid: 0,
      created_at: entry.createdAt,
      expires_at: entry.expiresAt,
      settled_at: entry.settledAt ?? undefined,
    };
  }

  function run(method: string, params: Record<string, unknown>): { result?: unknown; error?: { code: string; message: string } } {
    const now = Math.floor(Date.now() / 1000);
    switch (method) {
      case 'pay_invoice': {
        let decoded;
        try {
          decoded = readInvoice(String(params.invoice));
        } catch {
          return fail('OTHER', 'invalid invoice');
        }
        const amount = decoded.amountMsats ?? (typeof params.amount === 'number' ? params.amount : null);
        if (!amount) return fail('OTHER', 'invoice has no amount and none was given');
        if (decoded.expiresAtSecs < now) return fail('PAYMENT_FAILED', 'invoice expired');
        const entry = entryFor(decoded.paymentHash);
        if (!entry) return fail('PAYMENT_FAILED', 'no route to the destination');
        if (entry.settledAt) return fail('PAYMENT_FAILED', 'invoice already paid');
        const fees = options.feesMsats ?? 0;
        const balance = ledger.balances.get(walletPubkey) ?? 0;
        if (balance < amount + fees) return fail('INSUFFICIENT_BALANCE', `balance ${balance} msats, need ${amount + fees} msats`);
        ledger.balances.set(walletPubkey, balance - amount - fees);
        if (entry.owner) ledger.balances.set(entry.owner, (ledger.balances.get(entry.owner) ?? 0) + amount);
        entry.settledAt = now;
        entry.paidBy = walletPubkey;
        const preimage = preimages === 'random' ? randomBytes(32).toString('hex') : entry.preimage;
        payments.push({ bolt11: entry.bolt11, paymentHash: entry.paymentHash, amountMsats: amount, feesMsats: fees, preimage, atMs: Date.now() });
        return { result: { preimage, fees_paid: fees } };
      }
      case 'make_invoice': {
        const amount = params.amount;
        if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) return fail('OTHER', 'amount must be a positive number of msats');
        const made = makeInvoice({
          amountMsats: amount,
          description: typeof params.description === 'string' ? params.description : undefined,
          expirySecs: typeof params.expiry === 'number' ? params.expiry : undefined,
        });
        const entry = entryFor(made.paymentHash)!;
        entry.owner = walletPubkey;
        return { result: transaction(entry) };
      }
      case 'lookup_invoice': {
        let hash = typeof params.payment_hash === 'string' ? params.payment_hash : null;
        if (!hash && typeof params.invoice === 'string') {
          try {
            hash = readInvoice(params.invoice).paymentHash;
          } catch {
            return fail('OTHER', 'invalid invoice');
          }
        }
        const entry = hash ? ledger.invoices.get(hash) : undefined;
        if (!entry || (entry.owner !== walletPubkey && entry.paidBy !== walletPubkey)) return fail('NOT_FOUND', 'invoice not found');
        return { result: transaction(entry) };
      }
      case 'get_balance':
        return { result: { balance: ledger.balances.get(walletPubkey) ?? 0 } };
      case 'get_info':
        return {
          result: {
            alias: 'swarm-compute test wallet',
            color: '#f7931a',
            pubkey: '02' + 'ab'.repeat(32),
            ...(options.network === null ? {} : { network: options.network ?? 'mainnet' }),
            block_height: 1,
            block_hash: '00'.repeat(32),
            methods,
            notifications: [],
          },
        };
      default:
        return fail('NOT_IMPLEMENTED', `${method} is not supported`);
    }
  }

  // Listen first, then announce.
  await new Promise<void>((resolve) => {
    eose = resolve;
    ws.send(JSON.stringify(['REQ', 'nwc-requests', { kinds: [23194], '#p': [walletPubkey], since: Math.floor(Date.now() / 1000) - 5 }]));
  });
  if (options.publishInfo !== false) {
    const encryptionTag = options.infoEncryptionTag ?? (mode === 'both' ? 'nip44_v2 nip04' : mode === 'legacy' ? null : mode);
    await publish(
      finalizeEvent(
        {
          kind: 13194,
          created_at: Math.floor(Date.now() / 1000),
          tags: encryptionTag ? [['encryption', encryptionTag]] : [],
          content: methods.join(' '),
        },
        walletSecret,
      ),
    );
  }

  return {
    uri: `nostr+walletconnect://${walletPubkey}?relay=${encodeURIComponent(options.relayUrl)}&secret=${bytesToHex(clientSecret)}`,
    walletPubkey,
    clientPubkey,
    ledger,
    payments,
    requests,
    expiredRequests,
    setError(method, code, message) {
      if (code === null) errors.delete(method);
      else errors.set(method, { code, message });
    },
    setPreimages(m) {
      preimages = m;
    },
    setSilent(s) {
      silent = s;
    },
    setDelay(method, ms) {
      delays.set(method, ms);
    },
    setMethodSilent(method, on) {
      if (on) silentMethods.add(method);
      else silentMethods.delete(method);
    },
    markPaid(paymentHash) {
      const entry = entryFor(paymentHash);
      if (!entry) throw new Error(`no invoice with payment hash ${paymentHash}`);
      entry.settledAt = Math.floor(Date.now() / 1000);
    },
    balanceMsats: () => ledger.balances.get(walletPubkey) ?? 0,
    async stop() {
      if (ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
      });
    },
  };
}
