// What one published job is started with (swarm-job.ts): its request, the
// lane's dependencies, the cancel signal, and the relays it reached.
import type { Decrypt } from './job-messages';
import type { SwarmDeps, SwarmRequest } from './types';

export interface SwarmJobInit {
  jobId: string;
  request: SwarmRequest;
  deps: SwarmDeps;
  signal: AbortSignal;
  /** when the run began: the swarm timeout and durations count from here */
  startedAt: number;
  /** relays that accepted the job */
  relays: string[];
  decrypt: Decrypt;
  /** publishes the job's kind-5 deletion; resolves once relays answered (bounded) */
  cancelJob(): Promise<void>;
  /** providers whose answers were ignored because the job named others */
  ignoredProviders?(): ReadonlySet<string>;
}
