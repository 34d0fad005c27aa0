// Finding kind-5050 providers through NIP-89: kind-31990 announcements with
// k=5050, the newest per pubkey, read leniently (other DVMs put only name and
// about in the content, some nothing at all), plus what this machine's
// history knows of each provider.
import type { Event } from 'nostr-tools/pure';
import { verifyEvent } from '../relay/nostr-crypto';
import type { JobRecord } from '../history/types';
import { DEFAULT_RELAY_TUNING, RelayGroup, type RelayGroupTuning } from '../relay/relay-group';
import type { RelayFailure } from '../relay/relay-connection';
import { KIND_TEXT_GENERATION } from '../swarm/types';
import type { AuthSigner } from '../relay/relay-auth';
import { KIND_HANDLER_INFO } from './announcement';

export interface ProviderListing {
  pubkey: string;
  name: string | null;
  about: string | null;
  models: string[] | null;
  priceMsats: number | null;
  /** created_at of the announcement, Unix seconds */
  announcedAt: number;
}

export interface TrackRecord {
  jobs: number;
  successes: number;
  medianDurationMs: number | null;
}

/** One entry of `swarm-compute providers --json` (CLI.md). */
export interface ProviderJson extends TrackRecord {
  pubkey: string;
  name: string | null;
  about: string | null;
  models: string[] | null;
  priceMsats: number | null;
}

export interface DirectoryResult {
  listings: ProviderListing[];
  reached: string[];
  failed: RelayFailure[];
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** The listing an announcement describes; null when it is not a live kind-5050 announcement. */
export function readAnnouncement(event: Event, nowSecs = Math.floor(Date.now() / 1000)): ProviderListing | null {
  if (event?.kind !== KIND_HANDLER_INFO || !Array.isArray(event.tags)) return null;
  if (!event.tags.some((t) => t[0] === 'k' && t[1] === String(KIND_TEXT_GENERATION))) return null;
  const expiration = Number(event.tags.find((t) => t[0] === 'expiration')?.[1]);
  if (Number.isFinite(expiration) && expiration <= nowSecs) return null;
  let content: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(event.content) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) content = parsed as Record<string, unknown>;
  } catch {
    // not JSON: an announcement without details
  }
  const models = Array.isArray(content.models) ? content.models.filter((m): m is string => typeof m === 'string') : null;
  const price = content.priceMsats;
  return {
    pubkey: event.pubkey,
    name: text(content.name) ?? text(content.display_name),
    about: text(content.about),
    models,
    priceMsats: typeof price === 'number' && Number.isSafeInteger(price) && price >= 0 ? price : null,
    announcedAt: event.created_at,
  };
}

/** Newest announcement per pubkey, newest providers first. */
export function newestPerProvider(events: Event[]): ProviderListing[] {
  const byPubkey = new Map<string, ProviderListing>();
  for (const event of events) {
    const listing = readAnnouncement(event);
    if (!listing) continue;
    const known = byPubkey.get(listing.pubkey);
    if (!known || listing.announcedAt > known.announcedAt) byPubkey.set(listing.pubkey, listing);
  }
  return [...byPubkey.values()].sort((a, b) => b.announcedAt - a.announcedAt);
}

/**
 * Asks the relays for kind-5050 announcements; done at EOSE from all (each
 * bounded by the tuning). `auth` answers relays that ask for NIP-42
 * authentication (absent: such a relay's refusal is reported as a failure).
 */
export async function findProviders(relays: string[], tuning: Partial<RelayGroupTuning> = {}, auth: AuthSigner | null = null): Promise<DirectoryResult> {
  const group = new RelayGroup(relays, { ...DEFAULT_RELAY_TUNING, connectTimeoutMs: 3000, eoseTimeoutMs: 3000, ...tuning }, auth);
  const events = new Map<string, Event>();
  try {
    const connection = await group.connect();
    if (connection.connected.length > 0) {
      await group.subscribe(
        { kinds: [KIND_HANDLER_INFO], '#k': [String(KIND_TEXT_GENERATION)], limit: 500 },
        {
          alreadyHave: (id) => events.has(id),
          onevent: (event) => {
            if (!events.has(event.id) && verifyEvent(event)) events.set(event.id, event);
          },
        },
      );
    }
    return { listings: newestPerProvider([...events.values()]), reached: connection.connected, failed: connection.failed };
  } finally {
    group.close();
  }
}

/** Jobs, successes and the median duration of successful jobs, per provider, from history rows. */
export function trackRecords(rows: JobRecord[]): Map<string, TrackRecord> {
  const acc = new Map<string, { jobs: number; successes: number; durations: number[] }>();
  for (const row of rows) {
    if (!row.provider) continue;
    let a = acc.get(row.provider);
    if (!a) acc.set(row.provider, (a = { jobs: 0, successes: 0, durations: [] }));
    a.jobs++;
    if (row.state === 'completed') {
      a.successes++;
      if (row.durationMs !== null) a.durations.push(row.durationMs);
    }
  }
  const out = new Map<string, TrackRecord>();
  for (const [pubkey, a] of acc) out.set(pubkey, { jobs: a.jobs, successes: a.successes, medianDurationMs: median(a.durations) });
  return out;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

export function providerJson(listing: ProviderListing, record: TrackRecord | undefined): ProviderJson {
  return {
    pubkey: listing.pubkey,
    name: listing.name,
    about: listing.about,
    models: listing.models,
    priceMsats: listing.priceMsats,
    jobs: record?.jobs ?? 0,
    successes: record?.successes ?? 0,
    medianDurationMs: record?.medianDurationMs ?? null,
  };
}
