// Before the consent card: can any configured relay be reached at all? When
// none can (offline, or every relay gone), the chat says so once, plainly,
// instead of asking to send and then listing one "host not found" per relay.
import { probeRelays } from './relay-probe';

const PROBE_MS = 3000;

/** A one-line explanation when no relay answers; null when at least one does (or the run was stopped). */
export async function relaysOffline(relays: string[], signal: AbortSignal, timeoutMs = PROBE_MS): Promise<string | null> {
  if (relays.length === 0) return null; // the engine reports "no relay configured" itself
  const results = await probeRelays(relays, timeoutMs);
  if (signal.aborted || results.some((r) => r.reachable)) return null;
  const n = relays.length;
  return `Offline: ${n === 1 ? 'the relay' : `none of the ${n} relays`} could be reached, so nothing was sent to the swarm. Check your connection, then retry.`;
}
