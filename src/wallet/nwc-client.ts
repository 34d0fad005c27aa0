// A NIP-47 (Nostr Wallet Connect) client: one request event (kind 23194) per
// call, its answer is the kind-23195 event that `e`-tags it. Encryption is
// NIP-44 when the wallet's info event (kind 13194) lists nip44_v2, else NIP-04.
// Connections are opened on demand and closed when idle, so a CLI process
// exits by itself; close() ends everything at once.
import WebSocket from 'ws';
import { SimplePool, useWebSocketImplementation } from 'nostr-tools/pool';
import { finalizeEvent, type Event as NostrEvent, type EventTemplate, type VerifiedEvent } from 'nostr-tools/pure';
import * as nip04 from 'nostr-tools/nip04';
import * as nip44 from 'nostr-tools/nip44';
import { parseNwcUri, type NwcConnection } from './nwc-uri';
import { WalletError, nwcErrorMessage, oneLine, toNwcErrorCode } from './wallet-error';
import type { PaymentWallet, WalletCallOptions, WalletPayment } from './types';

useWebSocketImplementation(WebSocket);

export const KIND_NWC_INFO = 13194;
export const KIND_NWC_REQUEST = 23194;
export const KIND_NWC_RESPONSE = 23195;

export type NwcEncryption = 'nip44_v2' | 'nip04';

export interface WalletServiceInfo {
  /** methods the wallet says it supports (content of the info event) */
  methods: string[];
  /** encryptions the wallet lists; [] when it has no `encryption` tag (a NIP-04-only wallet) */
  encryptions: string[];
  notifications: string[];
  /** what this client uses with it */
  encryption: NwcEncryption;
}

export interface NwcClientOptions {
  /** default timeout of a call, ms (30 s) */
  timeoutMs?: number;
  /** default timeout of pay_invoice, ms (60 s) */
  payTimeoutMs?: number;
  /** how long to wait for a relay connection, ms (5 s) */
  connectTimeoutMs?: number;
  /** how long to look for the info event, ms (5 s) */
  infoTimeoutMs?: number;
  /** close the relay connections this long after the last call ends, ms (1 s) */
  idleCloseMs?: number;
  /** skip the info event and use this encryption */
  encryption?: NwcEncryption;
}

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

type Json = Record<string, unknown>;

export class NwcClient implements PaymentWallet {
  readonly connection: NwcConnection;
  private readonly opts: Required<Omit<NwcClientOptions, 'encryption'>> & { encryption?: NwcEncryption };
  private pool: SimplePool | null = null;
  private info: Promise<WalletServiceInfo> | null = null;
  private active = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly closers = new Set<(error: WalletError) => void>();
  /**
   * NIP-42: a wallet relay that asks is answered with the connection's own
   * key (the one the wallet knows this client by); nostr-tools retries the
   * refused REQ or EVENT after it.
   */
  private readonly onauth = async (template: EventTemplate): Promise<VerifiedEvent> => finalizeEvent(template, this.connection.secretKey);

  constructor(uri: string | NwcConnection, options: NwcClientOptions = {}) {
    this.connection = typeof uri === 'string' ? parseNwcUri(uri) : uri;
    this.opts = {
      timeoutMs: options.timeoutMs ?? 30_000,
      payTimeoutMs: options.payTimeoutMs ?? 60_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      infoTimeoutMs: options.infoTimeoutMs ?? 5_000,
      idleCloseMs: options.idleCloseMs ?? 1_000,
      encryption: options.encryption,
    };
  }

  /** The wallet service's info event (kind 13194), read once per client. */
  walletInfo(options: WalletCallOptions = {}): Promise<WalletServiceInfo> {
    return this.call(options, this.opts.timeoutMs, () => this.loadInfo());
  }

  async payInvoice(bolt11: string, options: WalletCallOptions & { amountMsats?: number } = {}): Promise<WalletPayment> {
    const params: Json = { invoice: bolt11 };
    if (options.amountMsats !== undefined) params.amount = options.amountMsats;
    const result = await this.request('pay_invoice', params, { ...options, timeoutMs: options.timeoutMs ?? this.opts.payTimeoutMs });
    const preimage = typeof result.preimage === 'string' ? result.preimage.toLowerCase() : '';
    if (!/^[0-9a-f]{64}$/.test(preimage)) {
      throw new WalletError('BAD_RESPONSE', 'wallet answered pay_invoice without a valid preimage; the payment may have gone through, check the wallet', true);
    }
    return { preimage, feesPaidMsats: msats(result.fees_paid) };
  }

  async makeInvoice(
    params: { amountMsats: number; description?: string; descriptionHash?: string; expirySecs?: number },
    options: WalletCallOptions = {},
  ): Promise<NwcTransaction> {
    const body: Json = { amount: params.amountMsats };
    if (params.description !== undefined) body.description = params.description;
    if (params.descriptionHash !== undefined) body.description_hash = params.descriptionHash;
    if (params.expirySecs !== undefined) body.expiry = params.expirySecs;
    const tx = toTransaction(await this.request('make_invoice', body, options));
    if (!tx.invoice) throw new WalletError('BAD_RESPONSE', 'wallet answered make_invoice without an invoice');
    return tx;
  }

  async lookupInvoice(params: { paymentHash?: string; invoice?: string }, options: WalletCallOptions = {}): Promise<NwcTransaction> {
    if (!params.paymentHash && !params.invoice) throw new TypeError('lookupInvoice needs paymentHash or invoice');
    const body: Json = {};
    if (params.paymentHash) body.payment_hash = params.paymentHash;
    if (params.invoice) body.invoice = params.invoice;
    return toTransaction(await this.request('lookup_invoice', body, options));
  }

  async getBalance(options: WalletCallOptions = {}): Promise<{ balanceMsats: number }> {
    const result = await this.request('get_balance', {}, options);
    if (typeof result.balance !== 'number' || !Number.isFinite(result.balance)) {
      throw new WalletError('BAD_RESPONSE', 'wallet answered get_balance without a balance');
    }
    return { balanceMsats: Math.floor(result.balance) };
  }

  async getInfo(options: WalletCallOptions = {}): Promise<NwcGetInfo> {
    const r = await this.request('get_info', {}, options);
    return {
      alias: str(r.alias),
      pubkey: str(r.pubkey),
      network: str(r.network),
      methods: Array.isArray(r.methods) ? r.methods.filter((m): m is string => typeof m === 'string') : [],
      notifications: Array.isArray(r.notifications) ? r.notifications.filter((m): m is string => typeof m === 'string') : [],
    };
  }

  /** Ends every connection now; calls still running fail with CLOSED. */
  close(): void {
    for (const closeCall of [...this.closers]) {
      closeCall(new WalletError('CLOSED', 'wallet connection closed while a request was running', true));
    }
    this.closers.clear();
    this.closePool();
  }

  // ---------------------------------------------------------------- internals

  /** One NIP-47 request → its result object; throws WalletError. */
  private request(method: string, params: Json, options: WalletCallOptions): Promise<Json> {
    const timeoutMs = options.timeoutMs ?? this.opts.timeoutMs;
    return this.call(options, timeoutMs, async (state) => {
      const info = await this.loadInfo();
      state.check();
      if (info.methods.length > 0 && !info.methods.includes(method)) {
        throw new WalletError('NOT_IMPLEMENTED', nwcErrorMessage('NOT_IMPLEMENTED', method, "not listed in the wallet's info event"));
      }
      const relays = await this.connectedRelays();
      state.check();
      const { secretKey, walletPubkey } = this.connection;
      const plaintext = JSON.stringify({ method, params });
      const content =
        info.encryption === 'nip44_v2'
          ? nip44.encrypt(plaintext, nip44.getConversationKey(secretKey, walletPubkey))
          : nip04.encrypt(secretKey, walletPubkey, plaintext);
      const tags = [
        ['p', walletPubkey],
        // a wallet must ignore the request once this passes, so a late request is never carried out
        ['expiration', String(Math.ceil((Date.now() + timeoutMs) / 1000))],
      ];
      if (info.encryption === 'nip44_v2') tags.push(['encryption', 'nip44_v2']);
      const event = finalizeEvent({ kind: KIND_NWC_REQUEST, created_at: Math.floor(Date.now() / 1000), tags, content }, secretKey);

      return new Promise<Json>((resolve, reject) => {
        const pool = this.pool!;
        let settled = false;
        const finish = (fn: () => void) => {
          if (settled) return;
          settled = true;
          sub.close();
          fn();
        };
        state.onFail((error) => finish(() => reject(error)));
        const sub = pool.subscribeMany(
          relays,
          { kinds: [KIND_NWC_RESPONSE], authors: [walletPubkey], '#e': [event.id] },
          {
            onauth: this.onauth,
            onevent: (answer) => {
              if (answer.pubkey !== walletPubkey || !answer.tags.some((t) => t[0] === 'e' && t[1] === event.id)) return;
              let body: Json;
              try {
                body = this.decrypt(answer);
              } catch (e) {
                return finish(() =>
                  reject(new WalletError('BAD_RESPONSE', `cannot read the wallet's answer to ${method}: ${oneLine((e as Error).message)}`, state.sent)),
                );
              }
              const error = body.error as Json | null | undefined;
              if (error && typeof error === 'object') {
                const code = typeof error.code === 'string' ? error.code : 'OTHER';
                return finish(() => reject(new WalletError(toNwcErrorCode(code), nwcErrorMessage(code, method, error.message))));
              }
              if (typeof body.result_type === 'string' && body.result_type !== method) {
                return finish(() => reject(new WalletError('BAD_RESPONSE', `wallet answered ${body.result_type} to a ${method} request`, state.sent)));
              }
              const result = body.result;
              if (!result || typeof result !== 'object') {
                return finish(() => reject(new WalletError('BAD_RESPONSE', `wallet answered ${method} with no result`, state.sent)));
              }
              finish(() => resolve(result as Json));
            },
            oneose: () => {
              // subscribed before publishing, so the answer cannot be missed
              if (settled) return;
              if (!state.mayStillSend()) return;
              state.sent = true;
              Promise.any(pool.publish(relays, event, { onauth: this.onauth })).catch((agg: AggregateError) => {
                const reasons = (agg.errors ?? []).map((r) => oneLine(r instanceof Error ? r.message : r, 120));
                const uncertain = reasons.some((r) => /timed out|timeout/i.test(r));
                finish(() =>
                  reject(new WalletError('NO_RELAY', `no relay accepted the ${method} request (${reasons.join('; ') || 'no reason given'})`, uncertain)),
                );
              });
            },
            onclose: (reasons) => {
              // every relay dropped the subscription (connection lost, or CLOSED by the relay)
              const why = reasons.map((r) => oneLine(r.reason, 80)).filter(Boolean)[0] ?? 'connection closed';
              finish(() => reject(new WalletError('NO_RELAY', `lost the wallet's relay while waiting for ${method} (${why})`, state.sent)));
            },
          },
        );
      });
    });
  }

  /**
   * Runs `work` with a timeout, an abort signal, an idle-close guard and
   * close() support. `state.sent` marks the point after which a failure may
   * hide a request the wallet carried out.
   */
  private async call<T>(options: WalletCallOptions, timeoutMs: number, work: (state: CallState) => Promise<T>): Promise<T> {
    const signal = options.signal;
    if (signal?.aborted) throw new WalletError('ABORTED', 'cancelled before the request was sent to the wallet');
    this.active++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const state = new CallState();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      if (!state.sent) return state.fail(new WalletError('ABORTED', 'cancelled before the request was sent to the wallet'));
      const grace = options.abortGraceMs ?? 0;
      const give = () =>
        state.fail(new WalletError('ABORTED', 'cancelled after the request was sent; the wallet may still carry it out, check the wallet', true));
      if (grace > 0) graceTimer = setTimeout(give, grace);
      else give();
    };
    const closer = (error: WalletError) => state.fail(error);
    this.closers.add(closer);
    try {
      signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => {
        state.fail(
          state.sent
            ? new WalletError(
                'TIMEOUT',
                `no answer from the wallet within ${Math.round(timeoutMs / 1000)} s; it may still carry out the request, check the wallet`,
                true,
              )
            : new WalletError('TIMEOUT', `could not reach the wallet within ${Math.round(timeoutMs / 1000)} s`),
        );
      }, timeoutMs);
      const working = work(state);
      working.catch(() => {}); // it may fail after the race is decided (timeout, abort)
      return await Promise.race([working, state.failed]);
    } finally {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      signal?.removeEventListener('abort', onAbort);
      this.closers.delete(closer);
      state.fail(new WalletError('CLOSED', 'call finished')); // wake anything still waiting on it
      this.active--;
      this.scheduleIdleClose();
    }
  }

  private loadInfo(): Promise<WalletServiceInfo> {
    if (this.opts.encryption) {
      return Promise.resolve({ methods: [], encryptions: [], notifications: [], encryption: this.opts.encryption });
    }
    if (!this.info) {
      this.info = this.fetchInfo();
      this.info.catch(() => {
        this.info = null; // try again on the next call
      });
    }
    return this.info;
  }

  private async fetchInfo(): Promise<WalletServiceInfo> {
    const relays = await this.connectedRelays();
    const pool = this.pool!;
    const { walletPubkey } = this.connection;
    const events = await new Promise<NostrEvent[]>((resolve) => {
      const found: NostrEvent[] = [];
      let done = false;
      const end = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sub.close();
        resolve(found);
      };
      const timer = setTimeout(end, this.opts.infoTimeoutMs);
      const sub = pool.subscribeMany(
        relays,
        { kinds: [KIND_NWC_INFO], authors: [walletPubkey] },
        {
          onauth: this.onauth,
          onevent: (e) => {
            if (e.pubkey === walletPubkey && e.kind === KIND_NWC_INFO) found.push(e);
          },
          oneose: end,
          onclose: end,
        },
      );
    });
    if (events.length === 0) {
      throw new WalletError(
        'NO_INFO',
        `the wallet published no info event (kind 13194) on ${relays.join(', ')}; check the relay and wallet pubkey in the NWC URI`,
      );
    }
    const info = events.sort((a, b) => b.created_at - a.created_at)[0];
    const words = (name: string) => (info.tags.find((t) => t[0] === name)?.[1] ?? '').split(/\s+/).filter(Boolean);
    const encryptions = words('encryption');
    let encryption: NwcEncryption;
    if (encryptions.includes('nip44_v2')) encryption = 'nip44_v2';
    else if (encryptions.length === 0 || encryptions.includes('nip04')) encryption = 'nip04';
    else {
      throw new WalletError('UNSUPPORTED_ENCRYPTION', `the wallet only speaks ${oneLine(encryptions.join(', '), 80)}; this client speaks nip44_v2 and nip04`);
    }
    return { methods: info.content.split(/\s+/).filter(Boolean), encryptions, notifications: words('notifications'), encryption };
  }

  /** Connects (once per pool) and returns the relays that answered; throws NO_RELAY if none did. */
  private async connectedRelays(): Promise<string[]> {
    if (!this.pool) this.pool = new SimplePool();
    const pool = this.pool;
    const results = await Promise.allSettled(
      this.connection.relays.map((url) =>
        pool.ensureRelay(url, { connectionTimeout: this.opts.connectTimeoutMs }).then((relay) => {
          // nostr-tools prints NOTICEs with console.debug, i.e. on stdout, which belongs to --json
          relay.onnotice = () => {};
          return url;
        }),
      ),
    );
    const up = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (up.length === 0) {
      const why = results.map((r) => (r.status === 'rejected' ? oneLine(r.reason instanceof Error ? r.reason.message : r.reason, 80) : '')).filter(Boolean);
      throw new WalletError('NO_RELAY', `cannot reach the wallet's relay ${this.connection.relays.join(', ')}${why.length ? ` (${why[0]})` : ''}`);
    }
    return up;
  }

  private decrypt(event: NostrEvent): Json {
    const { secretKey, walletPubkey } = this.connection;
    // The answer's scheme is recognisable: NIP-04 carries "?iv=".
    const text = event.content.includes('?iv=')
      ? nip04.decrypt(secretKey, walletPubkey, event.content)
      : nip44.decrypt(event.content, nip44.getConversationKey(secretKey, walletPubkey));
    const body = JSON.parse(text) as unknown;
    if (!body || typeof body !== 'object') throw new Error('not a JSON object');
    return body as Json;
  }

  private scheduleIdleClose() {
    if (this.active > 0 || !this.pool) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.active === 0) this.closePool();
    }, this.opts.idleCloseMs);
  }

  private closePool() {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.pool?.destroy();
    this.pool = null;
  }
}

/** Per-call state: whether the request went out, and a way to fail the call from outside. */
class CallState {
  sent = false;
  private failure: WalletError | null = null;
  private readonly listeners: ((e: WalletError) => void)[] = [];
  private rejectFailed!: (e: WalletError) => void;
  readonly failed = new Promise<never>((_, reject) => {
    this.rejectFailed = reject;
  });
  constructor() {
    this.failed.catch(() => {});
  }
  fail(error: WalletError) {
    if (this.failure) return;
    this.failure = error;
    this.rejectFailed(error);
    for (const l of this.listeners) l(error);
  }
  onFail(listener: (e: WalletError) => void) {
    if (this.failure) listener(this.failure);
    else this.listeners.push(listener);
  }
  /** throws the failure if the call already failed (timeout, abort, close) */
  check() {
    if (this.failure) throw this.failure;
  }
  mayStillSend() {
    return this.failure === null;
  }
}

function msats(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function toTransaction(r: Json): NwcTransaction {
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
