// What "Always allow" covered, and what about a later send goes beyond it.
// No vscode here: unit-tested on its own.
import { formatSats } from '../text/format';
import type { ConsentRequest } from './protocol';

/** What was shown on the card when the user chose "Always allow". */
export interface ConsentScope {
  maxPriceMsats: number;
  relays: string[];
  /** npubs; empty: any provider */
  providers: string[];
  encrypt: boolean;
}

/** What about `request` goes beyond `scope` (a higher cap, a new relay or provider, no encryption); empty when covered. */
export function beyondScope(scope: ConsentScope, request: Pick<ConsentRequest, 'maxPriceMsats' | 'relays' | 'providers' | 'encrypt'>): string[] {
  const changes: string[] = [];
  if (request.maxPriceMsats > scope.maxPriceMsats)
    changes.push(`the price cap rose from ${formatSats(scope.maxPriceMsats)} to ${formatSats(request.maxPriceMsats)}`);
  const norm = (r: string) => r.trim().replace(/\/+$/, '').toLowerCase();
  const known = new Set(scope.relays.map(norm));
  const newRelays = request.relays.filter((r) => !known.has(norm(r)));
  if (newRelays.length) changes.push(`new relay${newRelays.length > 1 ? 's' : ''} ${newRelays.join(', ')}`);
  if (scope.providers.length > 0) {
    if (request.providers.length === 0) changes.push('any provider may now answer (not only the ones you chose)');
    else {
      const newProviders = request.providers.filter((p) => !scope.providers.includes(p));
      if (newProviders.length) changes.push(`new provider${newProviders.length > 1 ? 's' : ''} ${newProviders.map((p) => `${p.slice(0, 12)}…`).join(', ')}`);
    }
  }
  if (scope.encrypt && !request.encrypt) changes.push('encryption is now off');
  return changes;
}
