// The swarm lane: a NIP-90 (kind 5050) client on nostr-tools v2.
// Order matters: sign → onJobId → connect → subscribe (EOSE) → publish →
// the SwarmJob state machine. Events that arrive before the job is known to
// be published wait in an inbox, so every consumer sees `job` first.
import { loadFastCrypto } from '../relay/nostr-crypto';
import type { Event } from 'nostr-tools/pure';
import { swarmError, type SwarmErrorKind } from '../run/errors';
import type { RunEvent } from '../run/events';
import { KIND_FEEDBACK, KIND_TEXT_RESULT, type SwarmDeps, type SwarmLane, type SwarmOutcome, type SwarmRequest } from './types';
import { Nip44Keys, decryptFromProvider } from './encryption';
import { buildJobDeletion, buildJobRequest } from './job-request';
import { JobEventGate } from './event-gate';
import { DEFAULT_RELAY_TUNING, RelayGroup, type RelayGroupTuning } from '../relay/relay-group';
import type { RelayFailure } from '../relay/relay-connection';
import { SwarmJob } from './swarm-job';
import { authSigner } from '../relay/relay-auth';

export type SwarmLaneTuning = RelayGroupTuning;

function failed(kind: SwarmErrorKind, message: string, jobId: string | null, startedAt: number): SwarmOutcome {
  return {
    ok: false,
    error: swarmError(kind, message),
    jobId,
    provider: null,
    costMsats: 0,
    feesMsats: 0,
    paymentBolt11: null,
    partial: '',
    durationMs: Date.now() - startedAt,
  };
}

function describeFailures(failures: RelayFailure[]): string {
  return failures.map((f) => `${f.url} (${f.reason})`).join(', ');
}

const ABORTED = Symbol('aborted');

/** Resolves with ABORTED as soon as the signal fires; the work itself is bounded by its own timeouts. */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export class Nip90SwarmLane implements SwarmLane {
  private readonly tuning: RelayGroupTuning;

  constructor(tuning: Partial<SwarmLaneTuning> = {}) {
    this.tuning = { ...DEFAULT_RELAY_TUNING, ...tuning };
  }

  async run(request: SwarmRequest, deps: SwarmDeps, signal: AbortSignal): Promise<SwarmOutcome> {
    const startedAt = Date.now();
    await loadFastCrypto();
    if (request.encrypt && request.providers.length !== 1) {
      return failed('error', `an encrypted job needs exactly one provider, got ${request.providers.length}`, null, startedAt);
    }
    if (request.relays.length === 0) return failed('no-relay', 'no relay configured', null, startedAt);
    if (signal.aborted) return failed('cancelled', 'cancelled before the job was sent', null, startedAt);

    const keys = new Nip44Keys(deps.secretKey);
    const job = buildJobRequest(request, deps.secretKey, keys);
    deps.onJobId?.(job.id);

    const gate = new JobEventGate(job.id, request.providers);
    const inbox: Event[] = [];
    let deliver: (event: Event) => void = (event) => void inbox.push(event);
    // NIP-42: relays that ask are answered with the key the job is signed with
    const relays = new RelayGroup(request.relays, this.tuning, authSigner(deps.secretKey));
    const cancelJob = async () => {
      await relays.publish(buildJobDeletion(job.id, deps.secretKey));
    };
    const cancelledEarly = async (published: boolean) => {
      if (published) await cancelJob().catch(() => {});
      return failed('cancelled', 'cancelled while the job was being sent', job.id, startedAt);
    };

    try {
      const connection = await unlessAborted(relays.connect(), signal);
      if (connection === ABORTED) return await cancelledEarly(false);
      if (connection.connected.length === 0) {
        return failed('no-relay', `no relay could be reached: ${describeFailures(connection.failed)}`, job.id, startedAt);
      }

      const subscribed = await unlessAborted(
        relays.subscribe(
          { kinds: [KIND_FEEDBACK, KIND_TEXT_RESULT], '#e': [job.id] },
          {
            alreadyHave: (id) => gate.has(id),
            onevent: (event) => {
              const admitted = gate.admit(event);
              if (admitted) deliver(admitted);
            },
          },
        ),
        signal,
      );
      if (subscribed === ABORTED) return await cancelledEarly(false);

      const publishing = relays.publish(job);
      const published = await unlessAborted(publishing, signal);
      if (published === ABORTED) {
        await publishing.catch(() => undefined);
        return await cancelledEarly(true);
      }
      if (published.accepted.length === 0) {
        const failures = [...connection.failed, ...published.failed];
        return failed('no-relay', `no relay accepted the job: ${describeFailures(failures)}`, job.id, startedAt);
      }

      const emit = (event: RunEvent) => {
        try {
          deps.emit(event);
        } catch {
          // a failing view must not break the job
        }
      };
      emit({ type: 'job', jobId: job.id, relays: published.accepted });
      const refused = [...connection.failed, ...published.failed];
      emit({
        type: 'status',
        lane: 'swarm',
        state: 'pending',
        message:
          `job published to ${published.accepted.length} relay(s); waiting for providers` +
          (refused.length > 0 ? ` (not sent to ${describeFailures(refused)})` : ''),
      });

      const swarmJob = new SwarmJob({
        jobId: job.id,
        request,
        deps: { ...deps, emit },
        signal,
        startedAt,
        relays: published.accepted,
        decrypt: (content, provider) => decryptFromProvider(content, deps.secretKey, keys, provider),
        cancelJob,
        ignoredProviders: () => gate.ignoredAuthors,
      });
      swarmJob.start();
      deliver = (event) => swarmJob.receive(event);
      for (const event of inbox.splice(0)) swarmJob.receive(event);
      return await swarmJob.outcome;
    } finally {
      relays.close();
    }
  }
}

/** The lane with default relay timeouts. */
export function createSwarmLane(tuning: Partial<SwarmLaneTuning> = {}): SwarmLane {
  return new Nip90SwarmLane(tuning);
}
