// A NIP-47 (Nostr Wallet Connect) client: one request event (kind 23194) per
// call, its answer is the kind-23195 event that `e`-tags it. The parts: the
// wallet's relays (nwc-relays.ts, over the one relay layer the swarm and the
// provider use), its info event and the encryption it implies (nwc-info.ts),
// the request and answer (nwc-messages.ts), a call's timeout/abort/close
// (nwc-call.ts) and what the answers mean (nwc-results.ts).
import { parseNwcUri, type NwcConnection } from './nwc-uri';
import { WalletError, nwcErrorMessage } from './wallet-error';
import type { PaymentWallet, WalletCallOptions, WalletPayment } from './types';
import { WalletRelays } from './nwc-relays';
import { fetchWalletInfo, type NwcEncryption, type WalletServiceInfo } from './nwc-info';
import { answerFilter, isAnswerTo, readAnswer, requestEvent, type Json } from './nwc-messages';
import { runCall, type CallState } from './nwc-call';
import { msats, toGetInfo, toTransaction, type NwcGetInfo, type NwcTransaction } from './nwc-results';

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

export class NwcClient implements PaymentWallet {
  readonly connection: NwcConnection;
  private readonly opts: Required<Omit<NwcClientOptions, 'encryption'>> & { encryption?: NwcEncryption };
  private readonly relays: WalletRelays;
  private info: Promise<WalletServiceInfo> | null = null;
  private readonly closers = new Set<(error: WalletError) => void>();

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
    this.relays = new WalletRelays(this.connection.relays, this.connection.secretKey, this.opts);
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
    return toGetInfo(await this.request('get_info', {}, options));
  }

  /** Ends every connection now; calls still running fail with CLOSED. */
  close(): void {
    for (const closeCall of [...this.closers]) {
      closeCall(new WalletError('CLOSED', 'wallet connection closed while a request was running', true));
    }
    this.closers.clear();
    this.relays.close();
  }

  /** A call keeps the relays open while it runs (they close when idle). */
  private async call<T>(options: WalletCallOptions, timeoutMs: number, work: (state: CallState) => Promise<T>): Promise<T> {
    this.relays.hold();
    try {
      return await runCall(options, timeoutMs, this.closers, work);
    } finally {
      this.relays.release();
    }
  }

  /** One NIP-47 request → its result object; throws WalletError. */
  private request(method: string, params: Json, options: WalletCallOptions): Promise<Json> {
    const timeoutMs = options.timeoutMs ?? this.opts.timeoutMs;
    return this.call(options, timeoutMs, async (state) => {
      const info = await this.loadInfo();
      state.check();
      if (info.methods.length > 0 && !info.methods.includes(method)) {
        throw new WalletError('NOT_IMPLEMENTED', nwcErrorMessage('NOT_IMPLEMENTED', method, "not listed in the wallet's info event"));
      }
      const relays = await this.relays.open();
      state.check();
      const { walletPubkey } = this.connection;
      const event = requestEvent(this.connection, info.encryption, method, params, timeoutMs);

      return new Promise<Json>((resolve, reject) => {
        let settled = false;
        const finish = (error: unknown, result?: Json) => {
          if (settled) return;
          settled = true;
          sub.close();
          if (error) reject(error as Error);
          else resolve(result!);
        };
        const sub = this.relays.subscribe(relays, answerFilter(walletPubkey, event.id), {
          onevent: (answer) => {
            if (!isAnswerTo(answer, walletPubkey, event.id)) return;
            let result: Json;
            try {
              result = readAnswer(this.connection, answer, method, state.sent);
            } catch (e) {
              return finish(e);
            }
            finish(null, result);
          },
          oneose: () => {
            // subscribed before publishing, so the answer cannot be missed
            if (settled || !state.mayStillSend()) return;
            state.sent = true;
            void this.relays.publishToAny(relays, event).then((reasons) => {
              if (!reasons) return;
              const uncertain = reasons.some((r) => /timed out|timeout/i.test(r));
              finish(new WalletError('NO_RELAY', `no relay accepted the ${method} request (${reasons.join('; ') || 'no reason given'})`, uncertain));
            });
          },
          onclose: (why) => finish(new WalletError('NO_RELAY', `lost the wallet's relay while waiting for ${method} (${why})`, state.sent)),
        });
        state.onFail((error) => finish(error));
      });
    });
  }

  private loadInfo(): Promise<WalletServiceInfo> {
    if (this.opts.encryption) {
      return Promise.resolve({ methods: [], encryptions: [], notifications: [], encryption: this.opts.encryption });
    }
    if (!this.info) {
      this.info = this.relays.open().then((connections) => fetchWalletInfo(this.relays, connections, this.connection.walletPubkey, this.opts.infoTimeoutMs));
      this.info.catch(() => {
        this.info = null; // try again on the next call
      });
    }
    return this.info;
  }
}
