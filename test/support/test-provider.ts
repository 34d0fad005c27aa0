// A NIP-90 text-generation provider (a "DVM") for tests, written from the
// spec and independent of src/: it speaks NIP-01 over `ws` to the test
// relays with its own key, takes kind-5050 jobs, and follows a script
// (processing → partials → result, error, payment-required, pay-after,
// encrypted replies, answering jobs meant for others, deleting its answers).
//
// Also here: makeInvoice() for real signed bolt11 invoices, and a rogue
// relay that injects forged events a real relay would refuse to store
// (bad signatures, answers for another job): what a client must ignore.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { makeInvoice as makeTestInvoice } from './invoices';
import { signNow } from './signed-now';
import { finalizeEvent, generateSecretKey, getPublicKey, type Event, type EventTemplate } from 'nostr-tools/pure';
import { getConversationKey, encrypt as nip44Encrypt, decrypt as nip44Decrypt } from 'nostr-tools/nip44';
import { encrypt as nip04Encrypt, decrypt as nip04Decrypt } from 'nostr-tools/nip04';

const JOB_KIND = 5050;

/** A relay or client frame (a JSON array), or null for anything else: garbage is passed over. */
function frame(raw: WebSocket.RawData): unknown[] | null {
  try {
    const msg: unknown = JSON.parse(String(raw));
    return Array.isArray(msg) ? msg : null;
  } catch {
    return null;
  }
}
const RESULT_KIND = 6050;
const FEEDBACK_KIND = 7000;

// ---- invoices ---------------------------------------------------------

/** A real, signed BOLT11 invoice for the given amount (see ./invoices, which also keeps its preimage). */
export function makeInvoice(options: { amountMsats: number; expirySecs?: number }): string {
  return makeTestInvoice({ amountMsats: options.amountMsats, expirySecs: options.expirySecs ?? 600 }).bolt11;
}

// ---- the provider -----------------------------------------------------

export interface PaymentRequiredScript {
  amountMsats: number;
  /** the invoice to send; default a fresh one for amountMsats; null sends the amount tag alone */
  bolt11?: string | null;
  /** what the amount tag says (default amountMsats) */
  amountTagMsats?: number;
  /** after asking: wait for settle(bolt11) (default), go on at once, or stop */
  then?: 'wait-settle' | 'continue' | 'stop';
  /** ask again with the same invoice in a second event (an impatient provider) */
  remind?: boolean;
}

export interface ProviderScript {
  /** take no job at all */
  silent?: boolean;
  /** also answer jobs p-tagged only to other providers (a misbehaving provider) */
  answerJobsForOthers?: boolean;
  /** wait before the first reply */
  delayMs?: number;
  /** send processing feedback first (default true) */
  processing?: boolean;
  /** partial feedback, one event per chunk, as increments */
  partials?: string[];
  /** pause between partials (default 20 ms) */
  chunkDelayMs?: number;
  /** pause before the result (after partials) */
  resultDelayMs?: number;
  /** the result's text; default `echo: <prompt>`; null sends no result */
  result?: string | null | ((job: SeenJob) => string);
  /** send error feedback with this reason, and nothing else */
  error?: string;
  paymentRequired?: PaymentRequiredScript;
  /** put ["amount", msats, bolt11] on the result */
  payAfter?: { amountMsats: number; bolt11?: string };
  /** scheme for replies to encrypted jobs (default nip44) */
  replyEncryption?: 'nip44' | 'nip04';
  /** relay URLs to publish replies to (default all it is connected to) */
  publishTo?: string[];
  /** delete each reply (kind 5) right after publishing it: the relay keeps nothing for a late subscriber */
  deleteAfterPublish?: boolean;
}

export interface SeenJob {
  event: Event;
  /** the i tag's text: read from the encrypted content when the job is encrypted */
  prompt: string | null;
  params: Record<string, string>;
  encrypted: boolean;
  /** scheme the encrypted content was opened with */
  encryption: 'nip44' | 'nip04' | null;
  pTags: string[];
  bid: number | null;
  /** when this provider saw it (ms) */
  seenAt: number;
}

export interface TestProvider {
  readonly pubkey: string;
  readonly secretKey: Uint8Array;
  /** jobs this provider received (answered or not) */
  readonly jobs: SeenJob[];
  /** every event this provider published, in order */
  readonly published: Event[];
  /** deletions (kind 5) that referenced jobs this provider saw */
  readonly deletions: Event[];
  setScript(script: ProviderScript | ((job: SeenJob) => ProviderScript)): void;
  /** mark an invoice paid: a provider waiting on it goes on */
  settle(bolt11: string): void;
  /** the first job received (already or future) */
  waitForJob(timeoutMs?: number): Promise<SeenJob>;
  stop(): Promise<void>;
}

export interface TestProviderOptions {
  relays: string[];
  script?: ProviderScript | ((job: SeenJob) => ProviderScript);
  secretKey?: Uint8Array;
}

class RelayLink {
  ws: WebSocket | null = null;
  private queue: string[] = [];
  private readonly okWaiters = new Map<string, () => void>();
  private stopped = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    readonly url: string,
    private readonly onEvent: (event: Event) => void,
  ) {
    this.ready = new Promise((r) => (this.markReady = r));
    this.open();
  }

  private open(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.on('open', () => {
      ws.send(JSON.stringify(['REQ', 'jobs', { kinds: [JOB_KIND, 5] }]));
      for (const m of this.queue.splice(0)) ws.send(m);
      this.markReady();
    });
    ws.on('message', (raw) => {
      const msg = frame(raw);
      if (!msg) return;
      if (msg[0] === 'EVENT') this.onEvent(msg[2] as Event);
      if (msg[0] === 'OK') {
        const done = this.okWaiters.get(msg[1] as string);
        this.okWaiters.delete(msg[1] as string);
        done?.();
      }
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.stopped) return;
      // the relay hiccuped: come back, like a real DVM would
      this.reconnectTimer = setTimeout(() => this.open(), 150);
    });
  }

  /** sends (or queues while reconnecting) and resolves on the relay's OK, or after 3 s */
  send(event: Event): Promise<void> {
    const message = JSON.stringify(['EVENT', event]);
    const acked = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      this.okWaiters.set(event.id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(message);
    else this.queue.push(message);
    return acked;
  }

  close(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const done of this.okWaiters.values()) done();
    this.okWaiters.clear();
    this.ws?.terminate();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    // the signal lives as long as the provider: each sleep takes its listener off again
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function startTestProvider(options: TestProviderOptions): Promise<TestProvider> {
  const secretKey = options.secretKey ?? generateSecretKey();
  const pubkey = getPublicKey(secretKey);
  let script = options.script ?? {};
  const jobs: SeenJob[] = [];
  const published: Event[] = [];
  const deletions: Event[] = [];
  const handled = new Set<string>();
  const settled = new Map<string, () => void>();
  const settledEarly = new Set<string>();
  const jobWaiters: ((job: SeenJob) => void)[] = [];
  const stop = new AbortController();
  const running: Promise<void>[] = [];

  const links = options.relays.map((url) => new RelayLink(url, (event) => onEvent(event)));
  await Promise.all(links.map((l) => l.ready));

  function readJob(event: Event): SeenJob {
    const encrypted = event.tags.some((t) => t[0] === 'encrypted');
    let inputs = event.tags;
    let encryption: SeenJob['encryption'] = null;
    if (encrypted) {
      inputs = [];
      try {
        inputs = JSON.parse(nip44Decrypt(event.content, getConversationKey(secretKey, event.pubkey)));
        encryption = 'nip44';
      } catch {
        try {
          inputs = JSON.parse(nip04Decrypt(secretKey, event.pubkey, event.content));
          encryption = 'nip04';
        } catch {
          inputs = [];
        }
      }
    }
    const params: Record<string, string> = {};
    for (const t of inputs) if (t[0] === 'param') params[t[1]] = t[2];
    const bid = event.tags.find((t) => t[0] === 'bid')?.[1];
    return {
      event,
      prompt: inputs.find((t) => t[0] === 'i')?.[1] ?? null,
      params,
      encrypted,
      encryption,
      pTags: event.tags.filter((t) => t[0] === 'p').map((t) => t[1]),
      bid: bid === undefined ? null : Number(bid),
      seenAt: Date.now(),
    };
  }

  function onEvent(event: Event): void {
    if (event.kind === 5) {
      if (event.tags.some((t) => t[0] === 'e' && handled.has(t[1]))) deletions.push(event);
      return;
    }
    if (event.kind !== JOB_KIND || handled.has(event.id)) return;
    handled.add(event.id);
    const job = readJob(event);
    jobs.push(job);
    for (const w of jobWaiters.splice(0)) w(job);
    const s = typeof script === 'function' ? script(job) : script;
    if (s.silent) return;
    if (job.pTags.length > 0 && !job.pTags.includes(pubkey) && !s.answerJobsForOthers) return;
    running.push(answer(job, s).catch(() => {}));
  }

  async function publish(template: EventTemplate, s: ProviderScript): Promise<Event> {
    const event = finalizeEvent(template, secretKey);
    published.push(event);
    const targets = links.filter((l) => !s.publishTo || s.publishTo.includes(l.url));
    await Promise.all(targets.map((l) => l.send(event)));
    if (s.deleteAfterPublish) {
      const deletion = finalizeEvent({ kind: 5, created_at: event.created_at, content: '', tags: [['e', event.id]] }, secretKey);
      await Promise.all(targets.map((l) => l.send(deletion)));
    }
    return event;
  }

  function seal(job: SeenJob, s: ProviderScript, text: string): string {
    if (s.replyEncryption === 'nip04') return nip04Encrypt(secretKey, job.event.pubkey, text);
    return nip44Encrypt(text, getConversationKey(secretKey, job.event.pubkey));
  }

  async function feedback(job: SeenJob, s: ProviderScript, status: string, extra: string, content = '', amount?: string[]): Promise<void> {
    const tags = [
      ['status', status, ...(extra ? [extra] : [])],
      ['e', job.event.id],
      ['p', job.event.pubkey],
    ];
    if (amount) tags.push(amount);
    if (job.encrypted && content) tags.push(['encrypted']);
    const body = job.encrypted && content ? seal(job, s, content) : content;
    await publish({ kind: FEEDBACK_KIND, created_at: Math.floor(Date.now() / 1000), content: body, tags }, s);
  }

  function waitSettled(invoice: string): Promise<void> {
    if (settledEarly.has(invoice) || stop.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        stop.signal.removeEventListener('abort', done);
        resolve();
      };
      settled.set(invoice, done);
      stop.signal.addEventListener('abort', done, { once: true });
    });
  }

  async function answer(job: SeenJob, s: ProviderScript): Promise<void> {
    const signal = stop.signal;
    await sleep(s.delayMs ?? 0, signal);
    if (signal.aborted) return;
    if (s.error) {
      await feedback(job, s, 'error', s.error);
      return;
    }
    if (s.paymentRequired) {
      const pr = s.paymentRequired;
      const invoice = pr.bolt11 === undefined ? makeInvoice({ amountMsats: pr.amountMsats }) : pr.bolt11;
      const amountTag = ['amount', String(pr.amountTagMsats ?? pr.amountMsats), ...(invoice ? [invoice] : [])];
      await feedback(job, s, 'payment-required', `pay ${pr.amountMsats} msats to start`, '', amountTag);
      if (pr.remind) await feedback(job, s, 'payment-required', `still waiting for ${pr.amountMsats} msats`, '', amountTag);
      const then = pr.then ?? 'wait-settle';
      if (then === 'stop') return;
      if (then === 'wait-settle' && invoice) await waitSettled(invoice);
      if (signal.aborted) return;
    }
    if (s.processing !== false) await feedback(job, s, 'processing', 'working on it');
    for (const chunk of s.partials ?? []) {
      if (signal.aborted) return;
      await feedback(job, s, 'partial', '', chunk);
      await sleep(s.chunkDelayMs ?? 20, signal);
    }
    await sleep(s.resultDelayMs ?? 0, signal);
    if (signal.aborted || s.result === null) return;
    const text = typeof s.result === 'function' ? s.result(job) : (s.result ?? `echo: ${job.prompt}`);
    const tags = [
      ['request', JSON.stringify(job.event)],
      ['e', job.event.id],
      ['p', job.event.pubkey],
    ];
    if (!job.encrypted) {
      const i = job.event.tags.find((t) => t[0] === 'i');
      if (i) tags.push(i);
    } else {
      tags.push(['encrypted']);
    }
    if (s.payAfter) {
      tags.push(['amount', String(s.payAfter.amountMsats), s.payAfter.bolt11 ?? makeInvoice({ amountMsats: s.payAfter.amountMsats })]);
    }
    await publish({ kind: RESULT_KIND, created_at: Math.floor(Date.now() / 1000), content: job.encrypted ? seal(job, s, text) : text, tags }, s);
  }

  return {
    pubkey,
    secretKey,
    jobs,
    published,
    deletions,
    setScript(next) {
      script = next;
    },
    settle(invoice) {
      const resolve = settled.get(invoice);
      if (resolve) {
        settled.delete(invoice);
        resolve();
      } else settledEarly.add(invoice);
    },
    waitForJob(timeoutMs = 10_000) {
      if (jobs[0]) return Promise.resolve(jobs[0]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the test provider received no job')), timeoutMs);
        jobWaiters.push((job) => {
          clearTimeout(timer);
          resolve(job);
        });
      });
    },
    async stop() {
      stop.abort();
      await Promise.all(running);
      for (const l of links) l.close();
    },
  };
}

// ---- forged events and a relay that delivers them ---------------------

export type ForgeryMode = 'bad-signature' | 'other-job' | 'mixed-jobs';

/**
 * A result a real relay would never route to the job's subscription:
 * - 'bad-signature': for the right job, its id matches its content, but the signature is another key's;
 * - 'other-job': correctly signed, answering another job (a relay that ignores #e filters delivers it);
 * - 'mixed-jobs': correctly signed, e-tagging another job first and ours second.
 */
export function forgedResult(job: Event, mode: ForgeryMode, content: string, secretKey = generateSecretKey()): Event {
  const otherJob = randomBytes(32).toString('hex');
  const eTags =
    mode === 'other-job'
      ? [['e', otherJob]]
      : mode === 'mixed-jobs'
        ? [
            ['e', otherJob],
            ['e', job.id],
          ]
        : [['e', job.id]];
  const tags = [...eTags, ['p', job.pubkey]];
  const created_at = Math.floor(Date.now() / 1000);
  const event = finalizeEvent({ kind: RESULT_KIND, created_at, content, tags }, secretKey);
  let sig = event.sig;
  if (mode === 'bad-signature') {
    // a valid signature, by another key, over the same id
    sig = finalizeEvent({ kind: RESULT_KIND, created_at, content, tags }, generateSecretKey()).sig;
  }
  return { id: event.id, pubkey: event.pubkey, created_at, kind: RESULT_KIND, tags, content, sig };
}

/** A genuine, correctly signed result for the job (as a provider with `secretKey` would send), with `more` tags after its own. */
export function signedResult(job: Event, content: string, secretKey: Uint8Array, more: string[][] = [], finalize?: Parameters<typeof signNow>[2]): Event {
  const tags = [['request', JSON.stringify(job)], ['e', job.id], ['p', job.pubkey], ...more];
  const event = signNow({ kind: RESULT_KIND, content, tags }, secretKey, finalize);
  return { id: event.id, pubkey: event.pubkey, created_at: event.created_at, kind: event.kind, tags: event.tags, content: event.content, sig: event.sig };
}

export interface ScriptedRelay {
  url: string;
  /** events clients sent it */
  received: Event[];
  stop(): Promise<void>;
}

export interface ScriptedRelayOptions {
  /** events to push when a job request arrives, to every subscription asking for that job's replies */
  onJob: (job: Event) => Event[];
  /** push them before acknowledging the job (an instant provider): only a subscription opened earlier sees them */
  beforeOk?: boolean;
  /** raw frames sent (unchanged, not even JSON) right after answering each REQ with EOSE: a garbage relay */
  garbageOnReq?: string[];
}

/**
 * A minimal relay that checks nothing and stores nothing: it accepts every
 * EVENT, answers EOSE at once, and pushes `onJob(job)` to the subscriptions
 * whose #e filter names the job — unverified, even when the events do not
 * match. What a malicious, broken or forgetful relay can do to a client.
 */
export async function startScriptedRelay(options: ScriptedRelayOptions): Promise<ScriptedRelay> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const received: Event[] = [];
  const subs = new Map<WebSocket, Map<string, { '#e'?: string[] }[]>>();
  wss.on('connection', (ws) => {
    subs.set(ws, new Map());
    ws.on('error', () => {});
    ws.on('close', () => subs.delete(ws));
    ws.on('message', (raw) => {
      const msg = frame(raw);
      if (!msg) return;
      if (msg[0] === 'REQ') {
        subs.get(ws)?.set(msg[1] as string, msg.slice(2) as { '#e'?: string[] }[]);
        ws.send(JSON.stringify(['EOSE', msg[1]]));
        for (const frame of options.garbageOnReq ?? []) ws.send(frame);
      } else if (msg[0] === 'CLOSE') {
        subs.get(ws)?.delete(msg[1] as string);
      } else if (msg[0] === 'EVENT') {
        const event = msg[1] as Event;
        received.push(event);
        const ok = () => ws.send(JSON.stringify(['OK', event.id, true, '']));
        if (!options.beforeOk) ok();
        if (event.kind === JOB_KIND) {
          const pushed = options.onJob(event);
          for (const [client, clientSubs] of subs) {
            for (const [subId, filters] of clientSubs) {
              if (!filters.some((f) => f['#e']?.includes(event.id))) continue;
              for (const e of pushed) client.send(JSON.stringify(['EVENT', subId, e]));
            }
          }
        }
        if (options.beforeOk) ok();
      }
    });
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    received,
    async stop() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
