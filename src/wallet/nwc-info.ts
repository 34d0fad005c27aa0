// The wallet service's info event (kind 13194): which methods it offers and
// which encryption this client speaks with it — NIP-44 when it lists
// nip44_v2, NIP-04 when it lists nip04 or nothing (an older wallet).
import type { Event } from 'nostr-tools/pure';
import type { RelayConnection } from '../relay/relay-connection';
import type { WalletRelays } from './nwc-relays';
import { WalletError, oneLine } from './wallet-error';

export const KIND_NWC_INFO = 13194;

export type NwcEncryption = 'nip44_v2' | 'nip04';

export interface WalletServiceInfo {
  /** methods the wallet says it supports (content of the info event) */
  methods: string[];
  /** encryptions the wallet lists; [] when it has no `encryption` tag (a NIP-04-only wallet) */
  encryptions: string[];
  notifications: string[];
  /** what this client uses with it */
  encryption: NwcEncryption;
}

/** Looks for the info event until every relay sent EOSE (or `timeoutMs` passed); throws NO_INFO or UNSUPPORTED_ENCRYPTION. */
export async function fetchWalletInfo(
  relays: WalletRelays,
  connections: RelayConnection[],
  walletPubkey: string,
  timeoutMs: number,
): Promise<WalletServiceInfo> {
  const events = await new Promise<Event[]>((resolve) => {
    const found: Event[] = [];
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sub.close();
      resolve(found);
    };
    const sub = relays.subscribe(
      connections,
      { kinds: [KIND_NWC_INFO], authors: [walletPubkey] },
      {
        onevent: (e) => {
          if (e.pubkey === walletPubkey && e.kind === KIND_NWC_INFO) found.push(e);
        },
        oneose: end,
        onclose: end,
      },
    );
    const timer = setTimeout(end, timeoutMs);
  });
  if (events.length === 0) {
    const on = connections.map((c) => c.url).join(', ');
    throw new WalletError('NO_INFO', `the wallet published no info event (kind 13194) on ${on}; check the relay and wallet pubkey in the NWC URI`);
  }
  return readInfoEvent(events.sort((a, b) => b.created_at - a.created_at)[0]);
}

function readInfoEvent(info: Event): WalletServiceInfo {
  const words = (name: string) => (info.tags.find((t) => t[0] === name)?.[1] ?? '').split(/\s+/).filter(Boolean);
  const encryptions = words('encryption');
  let encryption: NwcEncryption;
  if (encryptions.includes('nip44_v2')) encryption = 'nip44_v2';
  else if (encryptions.length === 0 || encryptions.includes('nip04')) encryption = 'nip04';
  else {
    throw new WalletError('UNSUPPORTED_ENCRYPTION', `the wallet only speaks ${oneLine(encryptions.join(', '), 80)}; this client speaks nip44_v2 and nip04`);
  }
  return { methods: info.content.split(/\s+/).filter(Boolean), encryptions, notifications: words('notifications'), encryption };
}
