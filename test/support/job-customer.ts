// A NIP-90 customer for provider tests, written from the spec and independent
// of src/: it signs kind-5050 job requests (clear, or with the i/param tags
// sealed with NIP-44 or NIP-04), withdraws them with kind 5, and publishes
// them over bare `ws` to one or more test relays, waiting for each OK.
// What the provider answers is read from the relay's own record
// (TestRelay.received), so nothing here can hide a reply.
import WebSocket from 'ws';
import { finalizeEvent, generateSecretKey, getPublicKey, type Event } from 'nostr-tools/pure';
import { getConversationKey, encrypt as nip44Encrypt, decrypt as nip44Decrypt } from 'nostr-tools/nip44';
import { encrypt as nip04Encrypt, decrypt as nip04Decrypt } from 'nostr-tools/nip04';
import type { TestRelay } from './relay';
import { signNow } from './signed-now';

export interface JobSpec {
  prompt: string;
  /** ["param","model",…]; omitted = no model param */
  model?: string;
  /** ["bid", msats] */
  bidMsats?: number;
  /** p tags */
  providers?: string[];
  /** seal i/param tags for providers[0] */
  encrypt?: 'nip44' | 'nip04';
  /** extra clear tags */
  tags?: string[][];
  /** override created_at */
  createdAt?: number;
}

export interface JobCustomer {
  readonly pubkey: string;
  readonly secretKey: Uint8Array;
  readonly relayUrls: string[];
  /** signs a job request and publishes it to every relay (resolves after all OKs) */
  submit(spec: JobSpec): Promise<Event>;
  /** kind-5 withdrawal of a job, as NIP-90 clients send it */
  withdraw(jobId: string): Promise<Event>;
  publish(event: Event): Promise<void>;
  /** opens an ["encrypted"] reply from `provider` */
  open(reply: Event): string;
  close(): Promise<void>;
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export async function startCustomer(relayUrls: string[]): Promise<JobCustomer> {
  const secretKey = generateSecretKey();
  const pubkey = getPublicKey(secretKey);
  const sockets = await Promise.all(relayUrls.map(connect));
  const oks = new Map<string, { resolve: () => void; reject: (e: Error) => void }[]>();
  for (const ws of sockets) {
    ws.on('error', () => {});
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as unknown[];
      if (msg[0] !== 'OK') return;
      const waiter = oks.get(msg[1] as string)?.shift();
      if (!waiter) return;
      if (msg[2]) waiter.resolve();
      else waiter.reject(new Error(`relay refused: ${msg[3]}`));
    });
  }

  const publish = async (event: Event) => {
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve, reject) => {
            const list = oks.get(event.id) ?? [];
            list.push({ resolve, reject });
            oks.set(event.id, list);
            ws.send(JSON.stringify(['EVENT', event]));
          }),
      ),
    );
  };

  const seal = (scheme: 'nip44' | 'nip04', provider: string, text: string) =>
    scheme === 'nip44' ? nip44Encrypt(text, getConversationKey(secretKey, provider)) : nip04Encrypt(secretKey, provider, text);

  return {
    pubkey,
    secretKey,
    relayUrls,
    publish,
    async submit(spec) {
      const secret: string[][] = [['i', spec.prompt, 'text']];
      if (spec.model !== undefined) secret.push(['param', 'model', spec.model]);
      const routing: string[][] = [
        ['output', 'text/plain'],
        ['relays', ...relayUrls],
      ];
      if (spec.bidMsats !== undefined) routing.push(['bid', String(spec.bidMsats)]);
      const targets = (spec.providers ?? []).map((p) => ['p', p]);
      let tags: string[][];
      let content = '';
      if (spec.encrypt) {
        content = seal(spec.encrypt, spec.providers![0], JSON.stringify(secret));
        tags = [...routing, ...targets, ['encrypted'], ...(spec.tags ?? [])];
      } else {
        tags = [...secret, ...routing, ...targets, ...(spec.tags ?? [])];
      }
      const event = finalizeEvent({ kind: 5050, created_at: spec.createdAt ?? Math.floor(Date.now() / 1000), content, tags }, secretKey);
      await publish(event);
      return event;
    },
    async withdraw(jobId) {
      const tags = [
        ['e', jobId],
        ['k', '5050'],
      ];
      const event = signNow({ kind: 5, content: 'cancelled', tags }, secretKey);
      await publish(event);
      return event;
    },
    open(reply) {
      if (reply.content.includes('?iv=')) return nip04Decrypt(secretKey, reply.pubkey, reply.content);
      return nip44Decrypt(reply.content, getConversationKey(secretKey, reply.pubkey));
    },
    async close() {
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === WebSocket.CLOSED) return resolve();
              ws.once('close', () => resolve());
              ws.close();
            }),
        ),
      );
    },
  };
}

/** Feedback (7000) and results (6050) the relay accepted for a job, in arrival order. */
export function repliesTo(relay: TestRelay, jobId: string): Event[] {
  return relay.received.filter((e) => (e.kind === 7000 || e.kind === 6050) && e.tags.some((t) => t[0] === 'e' && t[1] === jobId));
}

export function statusOf(event: Event): string | undefined {
  return event.tags.find((t) => t[0] === 'status')?.[1];
}

export function statusExtra(event: Event): string {
  return event.tags.find((t) => t[0] === 'status')?.[2] ?? '';
}
