// Consent as one pure policy: whether a prompt may leave the machine is
// decided here, from the mode, the stored choice and what would be sent
// (and what "Always allow" covered), and so is what an answer on the card means. The adapter
// (src/vscode/consent.ts) only stores and shows; "use local instead" is an
// outcome the engine carries out (RunRequest.confirmSwarm → 'local').
import type { Mode, SwarmConsent, SwarmOutbound } from '../engine/api';
import { formatSats } from '../text/format';
import { npubOf } from '../text/npub';
import type { ConsentChoice, ConsentRequest } from './protocol';

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

/** What is remembered: "Always allow" and what it covered. "Never" is not stored here: it is the mode, local only. */
export interface StoredConsent {
  always: boolean;
  /** absent: "always" kept from a version that did not record what it covered */
  scope?: ConsentScope;
}

/** Before anything is shown: send, or ask (with the reason the card gives). */
export type ConsentStep = { verdict: 'allow' } | { verdict: 'ask'; request: ConsentRequest };

/** What an answer on the card does: the engine's verdict, and what to remember. */
export interface ConsentOutcome {
  verdict: SwarmConsent;
  remember: { always: ConsentScope } | { mode: 'local-only' } | null;
}

/** The user said "Never" (or chose local only): the swarm is not offered again. */
export function swarmRefused(mode: Mode): boolean {
  return mode === 'local-only';
}

/** Why "Always allow" does not cover this send (empty: it does); null when "always" was not chosen. */
export function changesSinceAlways(stored: StoredConsent, request: ConsentRequest): string[] | null {
  if (!stored.always) return null;
  if (!stored.scope) return ['what “Always allow” covered was not recorded'];
  return beyondScope(stored.scope, request);
}

/**
 * Whether to send now or ask first: the chat's rule, and the language model
 * API's for each calling extension (`who`, its name). A cloud model's host is
 * asked every time (nothing is remembered for it).
 */
export function beforeSending(stored: StoredConsent, request: ConsentRequest, who?: string): ConsentStep {
  if (request.remoteHost) return { verdict: 'ask', request };
  const changes = changesSinceAlways(stored, request);
  if (changes?.length === 0) return { verdict: 'allow' };
  if (changes) {
    const since = `You chose “Always allow”${who ? ` for ${who}` : ''} before, but since then ${changes.join('; ')}.`;
    return { verdict: 'ask', request: { ...request, reason: `${request.reason} ${since}` } };
  }
  return { verdict: 'ask', request };
}

/** The card's answer (undefined: dismissed). "Never" answers with the local model from now on. */
export function afterAnswer(answer: ConsentChoice | undefined, request: ConsentRequest): ConsentOutcome {
  // a cloud model's question is for this send only: "always" counts as once, "never" as no
  if (request.remoteHost) return { verdict: answer === 'once' || answer === 'always', remember: null };
  switch (answer) {
    case 'once':
      return { verdict: true, remember: null };
    case 'always':
      return { verdict: true, remember: { always: scopeOf(request) } };
    case 'never':
      return { verdict: 'local', remember: { mode: 'local-only' } };
    default:
      return { verdict: false, remember: null };
  }
}

export function scopeOf(r: Pick<ConsentRequest, 'maxPriceMsats' | 'relays' | 'providers' | 'encrypt'>): ConsentScope {
  return { maxPriceMsats: r.maxPriceMsats, relays: r.relays, providers: r.providers, encrypt: r.encrypt };
}

/** The consent card's content: what the engine is about to send, with providers as npubs. */
export function consentRequest(outbound: SwarmOutbound, reason?: string): ConsentRequest {
  return {
    id: globalThis.crypto.randomUUID(),
    prompt: outbound.prompt,
    model: outbound.model,
    relays: outbound.relays,
    providers: outbound.providers.map(npubOf),
    maxPriceMsats: outbound.maxPriceMsats,
    encrypt: outbound.encrypt,
    reason:
      reason ??
      (outbound.reason === 'swarm only'
        ? 'The mode is “Swarm only”.'
        : /\(hedging\)/.test(outbound.reason)
          ? `Your local model is slow to start: ${outbound.reason}`
          : `Your local model could not answer: ${outbound.reason.replace(/^local inference failed: /, '')}`),
    ...(outbound.earlierTurns ? { earlierTurns: outbound.earlierTurns } : {}),
  };
}

/** The question for a model Ollama serves from another machine: asked each time, naming the host. */
export function remoteModelRequest(info: { model: string; remoteHost: string; prompt: string }): ConsentRequest {
  return {
    id: globalThis.crypto.randomUUID(),
    prompt: info.prompt,
    model: info.model,
    relays: [],
    providers: [],
    maxPriceMsats: 0,
    encrypt: false,
    reason: `${info.model} is an Ollama cloud model: Ollama sends your prompt to ${info.remoteHost}, not to a model on this machine.`,
    remoteHost: info.remoteHost,
  };
}
