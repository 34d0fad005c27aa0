// What a job that reached the swarm timeout failed with: the most telling of
// "a provider started but sent nothing", "every offer was refused", "a
// provider reported an error" and "nobody answered", in that order.
import type { SwarmErrorKind } from '../run/errors';
import type { Refusal } from './offer-book';
import { providerName } from './provider-name';

export interface DeadlineFacts {
  timeoutMs: number;
  /** some provider is still working on it */
  anyActive: boolean;
  /** providers that engaged */
  engaged: string[];
  /** every refusal, summed up (job-offers.ts) */
  refusal: Refusal | null;
  errors: string[];
  targeted: boolean;
  relays: string[];
  /** providers that answered but were not among the named ones */
  ignored: number;
}

export function deadlineFailure(f: DeadlineFacts): { kind: SwarmErrorKind; message: string } {
  const secs = Math.round(f.timeoutMs / 100) / 10;
  const refused = f.refusal ? ` (${f.refusal.message})` : '';
  const who = f.engaged.map(providerName).join(', ');
  if (f.anyActive) return { kind: 'timeout', message: `provider ${who} started but sent no result within ${secs} s${refused}` };
  if (f.refusal) return f.refusal;
  if (f.engaged.length > 0) return { kind: 'timeout', message: `provider ${who} started but sent no result within ${secs} s` };
  if (f.errors.length > 0) return { kind: 'error', message: f.errors.join('; ') };
  const others =
    f.ignored > 0
      ? ` (${f.ignored} other provider${f.ignored === 1 ? '' : 's'} answered but ${f.ignored === 1 ? 'was' : 'were'} not among the named ones)`
      : '';
  const whom = f.targeted ? 'no named provider' : 'no provider';
  return { kind: 'no-provider', message: `${whom} answered within ${secs} s on ${f.relays.join(', ')}${refused}${others}` };
}
