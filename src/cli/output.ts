import * as nip19 from 'nostr-tools/nip19';
import type { FallbackResult } from '../run/result';

/** CLI.md's `--json` object for a submit. */
export interface SubmitJson {
  lane: 'local' | 'swarm' | 'failed';
  response: string | null;
  model: string;
  jobId: string | null;
  provider: string | null;
  costMsats: number;
  durationMs: number;
  localAttempted: boolean;
  localError: string | null;
  swarmError: string | null;
  /** what local streamed before it failed; absent when nothing streamed */
  localPartial?: string;
  /** the swarm job was started while local was slow (--hedge-after-secs) */
  hedged?: true;
  /** with hedged: the lane that answered first */
  hedgeWinner?: 'local' | 'swarm';
  /** a model Ollama served from another machine answered (--allow-ollama-cloud) */
  localRemoteHost?: string;
  /** added (money): present when the wallet did not confirm the payment counted in costMsats */
  paymentUnconfirmed?: true;
  /** CLI.md "Conversations" */
  conversationId: string;
}

export interface SubmitFacts {
  result: FallbackResult;
  model: string;
  localAttempted: boolean;
  /** the NIP-90 job id if a relay accepted the job, else null */
  jobId: string | null;
  /** provider of a failed swarm job, when one was involved */
  provider: string | null;
  costMsats: number;
  durationMs: number;
  /** why local failed, also when the swarm then answered */
  localError: string | null;
  /** the wallet did not confirm the payment (it counts in costMsats) */
  paymentUnconfirmed?: boolean;
  conversationId: string;
}

export function submitJson(f: SubmitFacts): SubmitJson {
  const r = f.result;
  return {
    lane: r.lane,
    response: r.lane === 'failed' ? (r.partialResponse ?? null) : r.response,
    model: f.model,
    jobId: r.lane === 'swarm' ? r.jobId : f.jobId,
    provider: r.lane === 'swarm' ? r.provider : r.lane === 'failed' ? f.provider : null,
    costMsats: r.lane === 'swarm' ? r.costMsats : f.costMsats,
    durationMs: f.durationMs,
    localAttempted: f.localAttempted,
    localError: r.lane === 'failed' ? r.localError : f.localError,
    swarmError: r.lane === 'failed' ? r.swarmError : null,
    ...(r.lane !== 'local' && r.localPartial ? { localPartial: r.localPartial } : {}),
    ...(r.hedged ? { hedged: true as const, ...(r.hedgeWinner ? { hedgeWinner: r.hedgeWinner } : {}) } : {}),
    ...(r.lane === 'local' && r.localRemoteHost ? { localRemoteHost: r.localRemoteHost } : {}),
    ...(f.paymentUnconfirmed ? { paymentUnconfirmed: true as const } : {}),
    conversationId: f.conversationId,
  };
}

export function formatCost(msats: number): string {
  return `${msats} msats (${Math.floor(msats / 1000)} sats)`;
}

/**
 * The seed's human formats. `streamed` means the answer was already printed
 * as it arrived, so only the summary follows.
 */
export function humanSummary(f: SubmitFacts, streamed: boolean): string {
  const r = f.result;
  const body = (text: string) => (streamed ? '' : `\n${text}\n`);
  if (r.lane === 'local') return `✓ Completed locally in ${f.durationMs}ms\n${body(r.response)}`;
  if (r.lane === 'swarm') {
    return [
      '✓ Completed on swarm',
      `Job ID: ${r.jobId}`,
      `Provider: ${nip19.npubEncode(r.provider)}`,
      `Cost: ${formatCost(r.costMsats)}${f.paymentUnconfirmed ? ' (not confirmed by the wallet)' : ''}`,
      `Duration: ${f.durationMs}ms`,
      body(r.response),
    ].join('\n');
  }
  const lines = [
    r.cancelled ? '✗ Job cancelled' : '✗ Job failed',
    `Local error: ${r.localError ?? 'not attempted'}`,
    `Swarm error: ${r.swarmError ?? 'not attempted'}`,
  ];
  if (f.jobId) lines.push(`Job ID: ${f.jobId}`);
  if (f.costMsats > 0) lines.push(`Cost: ${formatCost(f.costMsats)}${f.paymentUnconfirmed ? ' (not confirmed by the wallet)' : ''}`);
  if (r.partialResponse && !streamed) lines.push('', 'Partial answer:', r.partialResponse);
  return lines.join('\n') + '\n';
}
