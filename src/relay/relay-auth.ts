// NIP-42: a relay may send ["AUTH", <challenge>] and refuse events and
// subscriptions with "auth-required: …" until the client answers with a
// signed kind-22242 event. Each connection's challenge is answered as soon as
// it arrives, with the caller's identity key; what was refused before the
// answer was accepted is sent once more afterwards.
//
// Why not nostr-tools' `relay.onauth`: it rethrows a refused or timed-out
// AUTH inside a promise nobody awaits (an unhandled rejection, which ends a
// CLI process). Here the challenge is seen on the socket, and the answer's
// outcome stays a value.
import type WebSocket from 'ws';
import type { AbstractRelay } from 'nostr-tools/abstract-relay';
import { finalizeEvent, type Event, type EventTemplate, type VerifiedEvent } from 'nostr-tools/pure';

/** Signs the kind-22242 answer to a challenge. */
export type AuthSigner = (template: EventTemplate) => VerifiedEvent;

/** A signer for a secret key, or for one loaded only when a relay first asks (e.g. `providers`). */
export function authSigner(secretKey: Uint8Array | (() => Uint8Array)): AuthSigner {
  let key = typeof secretKey === 'function' ? null : secretKey;
  return (template) => {
    key ??= (secretKey as () => Uint8Array)();
    return finalizeEvent(template, key);
  };
}

export function isAuthRequired(reason: unknown): boolean {
  const text = reason instanceof Error ? reason.message : String(reason ?? '');
  return text.startsWith('auth-required:');
}

const AUTH_FRAME = Buffer.from('["AUTH"');

function isAuthFrame(data: unknown): boolean {
  const buf = Buffer.isBuffer(data) ? data : typeof data === 'string' ? Buffer.from(data.slice(0, 16)) : null;
  if (!buf) return false;
  // tolerate whitespace after the bracket, as JSON allows
  let i = 0;
  if (buf[i] !== 0x5b) return false;
  i++;
  while (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09) i++;
  return buf.subarray(i, i + AUTH_FRAME.length - 1).equals(AUTH_FRAME.subarray(1));
}

/** One relay's NIP-42 state, renewed with each socket (each connection has its own challenge). */
export class RelayAuth {
  relay: AbstractRelay | null = null;
  /** why the last answer was not accepted, for error messages */
  lastFailure: string | null = null;
  private challenged!: Promise<void>;
  private markChallenged!: () => void;
  private answered: Promise<boolean> | null = null;

  constructor(
    private readonly sign: AuthSigner,
    /** how long a refused request waits for a challenge and for the relay's OK to our answer */
    private readonly waitMs = 5000,
  ) {
    this.renew();
  }

  /** Called for every new socket of this relay, before nostr-tools attaches its handlers. */
  watch(socket: WebSocket): void {
    this.renew();
    socket.on('message', (data: unknown, isBinary: boolean) => {
      // nostr-tools reads the frame (and keeps the challenge) in the same tick, after this listener
      if (!isBinary && isAuthFrame(data)) setImmediate(() => this.answer());
    });
  }

  /**
   * After a refusal with `auth-required:`: true once the relay accepted our
   * answer (send again), false when there was no challenge or it refused.
   */
  async authenticated(): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.waitMs);
    });
    try {
      const challenged = await Promise.race([this.challenged.then(() => 'challenged' as const), timeout]);
      if (challenged === 'timeout') {
        this.lastFailure = 'the relay requires authentication (NIP-42) but sent no AUTH challenge';
        return false;
      }
      const ok = await Promise.race([this.answered!, timeout]);
      if (ok === 'timeout') {
        this.lastFailure = 'the relay did not answer our NIP-42 authentication';
        return false;
      }
      return ok;
    } finally {
      clearTimeout(timer);
    }
  }

  private renew(): void {
    this.answered = null;
    this.challenged = new Promise<void>((resolve) => (this.markChallenged = resolve));
  }

  private answer(): void {
    const relay = this.relay;
    if (!relay?.connected) return;
    // (a signer that throws leaves nostr-tools' promise unsettled: authenticated() is bounded anyway)
    this.answered = relay
      .auth(async (template) => this.sign(template))
      .then(
        () => {
          this.lastFailure = null;
          return true;
        },
        (e: unknown) => {
          this.lastFailure = `the relay refused our NIP-42 authentication: ${e instanceof Error ? e.message : String(e)}`;
          return false;
        },
      );
    this.markChallenged();
  }
}

/** Publishes; a refusal with `auth-required:` waits for the answer to the challenge and sends once more. */
export async function publishWithAuth(relay: AbstractRelay, auth: RelayAuth | null, event: Event): Promise<string> {
  try {
    return await relay.publish(event);
  } catch (err) {
    if (!auth || !isAuthRequired(err)) throw err;
    if (!(await auth.authenticated())) throw new Error(`${(err as Error).message} (${auth.lastFailure})`);
    return relay.publish(event);
  }
}
