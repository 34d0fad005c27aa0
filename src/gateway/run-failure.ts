// How a run that found no answer is told to an API client: one status code
// per cause (CLI.md: unknown model 404, price cap or budget 402, no lane could
// answer 503), decided on the error kinds, never on message text.
import type { FailedResult } from '../run/result';

export type FailureCode = 'model_not_found' | 'payment_required' | 'no_lane_available' | 'cancelled';

export interface Failure {
  status: 404 | 402 | 503;
  code: FailureCode;
  message: string;
}

/** `swarmOff`: what to tell when the swarm may not answer (how to turn it on, where that is possible) */
export function describeFailure(result: FailedResult, swarmAllowed: boolean, swarmOff = 'the swarm is off'): Failure {
  const parts: string[] = [];
  if (result.localError) parts.push(`local: ${result.localError}`);
  const swarmTried = result.swarmErrorKind !== undefined && !['disabled', 'not-attempted', 'declined'].includes(result.swarmErrorKind);
  if (swarmTried && result.swarmError) parts.push(`swarm: ${result.swarmError}`);
  else if (!swarmAllowed) parts.push(swarmOff);
  else if (result.swarmError) parts.push(`swarm: ${result.swarmError}`);
  const message = parts.join('; ') || 'no lane could answer';

  if (result.cancelled) return { status: 503, code: 'cancelled', message: `cancelled: ${message}` };
  if (result.swarmErrorKind === 'price-too-high' || result.swarmErrorKind === 'payment-failed') {
    return { status: 402, code: 'payment_required', message };
  }
  // a model neither this machine has nor the swarm answered for
  if (result.localErrorKind === 'model-missing' && (!swarmTried || result.swarmErrorKind === 'no-provider')) {
    return { status: 404, code: 'model_not_found', message };
  }
  return { status: 503, code: 'no_lane_available', message };
}
