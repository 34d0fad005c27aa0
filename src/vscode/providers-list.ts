// "Show Providers": the kind-5050 providers announced (NIP-89) on the
// configured relays, each with what this machine's history knows of it (jobs,
// how many answered, median time), in a QuickPick. Choosing one adds it to
// swarmCompute.providers, the preferred providers jobs are addressed to.
import * as vscode from 'vscode';
import { npubEncode } from 'nostr-tools/nip19';
import type { ProviderListing, TrackRecord } from '../provider/provider-directory';
import { loadEngineModule, type WindowEngine } from './window-engine';
import { formatDuration, formatSats } from '../text/format';
import { providerHex, readSettings, SECTION, usesSwarm, writeSetting } from './settings';
import { MODE_LABELS } from '../ui-model/protocol';

export interface ProviderPick extends vscode.QuickPickItem {
  /** hex; absent on the "nothing found" row */
  pubkey?: string;
  /** the row that agrees to contact the relays this once (local-only modes ask first) */
  contactRelays?: true;
}

export interface ProviderRow {
  listing: ProviderListing;
  record: TrackRecord | null;
  preferred: boolean;
  /** this machine's own announcement (Share My Model) */
  own?: boolean;
}

/** Preferred first, then by this machine's record (answered share, then jobs), then cheapest. */
export function rankProviders(rows: ProviderRow[]): ProviderRow[] {
  const rate = (r: TrackRecord | null) => (r && r.jobs > 0 ? r.successes / r.jobs : -1);
  const price = (l: ProviderListing) => l.priceMsats ?? Number.MAX_SAFE_INTEGER;
  return [...rows].sort(
    (a, b) =>
      Number(b.preferred) - Number(a.preferred) ||
      rate(b.record) - rate(a.record) ||
      (b.record?.jobs ?? 0) - (a.record?.jobs ?? 0) ||
      price(a.listing) - price(b.listing),
  );
}

/** The QuickPick row for one provider: name, models and price; this machine's record below. */
export function providerItem(row: ProviderRow): ProviderPick {
  const { listing, record } = row;
  const npub = npubEncode(listing.pubkey);
  const short = `${npub.slice(0, 12)}…${npub.slice(-4)}`;
  const price = listing.priceMsats === null ? 'price not announced' : listing.priceMsats === 0 ? 'free' : `${formatSats(listing.priceMsats)} a job`;
  const models = listing.models && listing.models.length > 0 ? listing.models.join(', ') : 'models not announced';
  const here =
    record && record.jobs > 0
      ? `${record.jobs} job${record.jobs === 1 ? '' : 's'} from here · ${Math.round((100 * record.successes) / record.jobs)}% answered` +
        (record.medianDurationMs !== null ? ` · median ${formatDuration(record.medianDurationMs)}` : '')
      : 'no jobs from this machine yet';
  return {
    label: `${row.preferred ? '$(star-full) ' : ''}${listing.name ?? short}${row.own ? ' (you)' : ''}`,
    description: `${models} · ${price}`,
    detail: `${here} · ${short}`,
    pubkey: listing.pubkey,
  };
}

export class ProvidersList implements vscode.Disposable {
  private picker: vscode.QuickPick<ProviderPick> | null = null;

  constructor(
    private readonly engines: WindowEngine,
    private readonly log: vscode.LogOutputChannel,
    /** this machine's Nostr public key (hex), to mark its own announcement */
    private readonly ownPubkey: () => Promise<string | null> = async () => null,
    /** the identity that answers relays asking for NIP-42 authentication */
    private readonly secretKey: () => Promise<Uint8Array | null> = async () => null,
  ) {}

  /** The open picker (read by the integration tests). */
  get current(): { busy: boolean; items: ProviderPick[]; title: string | undefined } | null {
    return this.picker ? { busy: this.picker.busy, items: [...this.picker.items], title: this.picker.title } : null;
  }

  /** Shows the list; resolves with the npub added to the preferred providers, or undefined. */
  async show(): Promise<string | undefined> {
    this.picker?.dispose();
    const settings = readSettings();
    if (settings.relays.length === 0) {
      const open = 'Open Settings';
      if ((await vscode.window.showWarningMessage('Swarm Compute: no relay in swarmCompute.relays to look for providers on.', open)) === open) {
        await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.relays`);
      }
      return undefined;
    }
    const picker = vscode.window.createQuickPick<ProviderPick>();
    this.picker = picker;
    picker.title = 'Swarm Compute: providers (NIP-90 text generation)';
    picker.placeholder = `Looking for providers on ${settings.relays.length} relay(s)…`;
    picker.matchOnDescription = true;
    picker.matchOnDetail = true;
    // In a mode that keeps everything local no relay is contacted unless the user says so here.
    const askFirst = !usesSwarm(settings.mode);
    picker.busy = !askFirst;
    if (askFirst) {
      picker.placeholder = `${MODE_LABELS[settings.mode]}: no relay has been contacted`;
      picker.items = [
        {
          label: `$(globe) Contact ${settings.relays.length} relay(s) this once to look for providers`,
          detail: `Would contact: ${settings.relays.join(', ')}`,
          contactRelays: true,
        },
        {
          label: '$(shield) Stay local',
          detail: `Mode ${MODE_LABELS[settings.mode]} opens no relay connection; close this list to keep it that way`,
        },
      ];
    }
    picker.show();

    const chosen = new Promise<ProviderPick | undefined>((resolve) => {
      picker.onDidAccept(() => {
        const item = picker.selectedItems[0] ?? picker.activeItems[0];
        if (item?.contactRelays) {
          picker.items = [];
          picker.busy = true;
          picker.placeholder = `Looking for providers on ${settings.relays.length} relay(s)…`;
          void this.load(picker, settings.relays, settings.providers);
          return;
        }
        if (item?.pubkey) resolve(item);
        else if (askFirst && item) picker.hide();
      });
      picker.onDidHide(() => resolve(undefined));
    });

    if (!askFirst) void this.load(picker, settings.relays, settings.providers);
    const item = await chosen;
    picker.dispose();
    if (this.picker === picker) this.picker = null;
    if (!item?.pubkey) return undefined;
    return this.prefer(item.pubkey, item.label.replace(/^\$\([^)]*\)\s*/, ''));
  }

  private async load(picker: vscode.QuickPick<ProviderPick>, relays: string[], preferred: string[]): Promise<void> {
    try {
      const module = loadEngineModule();
      const key = await this.secretKey().catch(() => null);
      const [found, records, own] = await Promise.all([
        module.findProviders(relays, { connectTimeoutMs: 4000, eoseTimeoutMs: 4000 }, key ? module.authSigner(key) : null),
        this.engines.get().then(async (engine) => module.trackRecords(await engine.history.exportAll())),
        this.ownPubkey().catch(() => null),
      ]);
      const rows = rankProviders(
        found.listings.map((listing) => ({
          listing,
          record: records.get(listing.pubkey) ?? null,
          preferred: preferred.includes(listing.pubkey),
          own: listing.pubkey === own,
        })),
      );
      const items: ProviderPick[] = rows.map(providerItem);
      if (found.failed.length > 0) {
        this.log.warn(`providers: unreachable relays: ${found.failed.map((f) => `${f.url} (${f.reason})`).join(', ')}`);
      }
      if (items.length === 0) {
        items.push({
          label: '$(info) No provider announced on these relays',
          detail:
            found.reached.length === 0
              ? `No relay could be reached: ${found.failed.map((f) => f.url).join(', ')}`
              : `Asked ${found.reached.join(', ')}. Add relays in swarmCompute.relays to look further.`,
        });
      }
      picker.items = items;
      picker.placeholder =
        rows.length > 0 ? `${rows.length} provider(s) on ${found.reached.length} of ${relays.length} relay(s): choose one to prefer it` : 'No provider found';
    } catch (err) {
      picker.items = [{ label: '$(error) Providers could not be listed', detail: err instanceof Error ? err.message : String(err) }];
    } finally {
      picker.busy = false;
    }
  }

  private async prefer(pubkey: string, name: string): Promise<string> {
    const npub = npubEncode(pubkey);
    const configured = vscode.workspace.getConfiguration(SECTION).get<string[]>('providers', []);
    if (configured.some((p) => providerHex(p) === pubkey)) {
      void vscode.window.showInformationMessage(`Swarm Compute: ${name} is already one of your preferred providers.`);
      return npub;
    }
    await writeSetting('providers', [...configured, npub]);
    this.log.info(`preferred provider added: ${npub} (${name})`);
    const open = 'Open Settings';
    void vscode.window
      .showInformationMessage(`Swarm Compute: ${name} added to your preferred providers. Jobs now go to these providers only.`, open)
      .then((a) => {
        if (a === open) void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.providers`);
      });
    return npub;
  }

  dispose(): void {
    this.picker?.dispose();
  }
}
