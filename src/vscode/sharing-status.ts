// The status-bar item that says this machine serves its model to the swarm
// (`$(broadcast) serving llama3 · 3 jobs`), shown only while sharing. A click
// stops sharing (after a question when jobs are running).
import * as vscode from 'vscode';
import { npubEncode } from 'nostr-tools/nip19';
import { formatSats } from '../text/format';
import type { ModelSharing, SharingStatus } from './model-sharing';

export interface SharingSnapshot {
  visible: boolean;
  text: string;
  tooltip: string;
}

/** "serving llama3 · 3 jobs" and friends, for the item and the cost indicator's tooltip. */
export function sharingText(s: SharingStatus): string {
  switch (s.state) {
    case 'starting':
      return `sharing ${s.model}…`;
    case 'stopping':
      return `stopping sharing ${s.model}…`;
    case 'serving': {
      const done = `${s.completed} job${s.completed === 1 ? '' : 's'}`;
      const busy = s.running > 0 ? ` (${s.running} running)` : '';
      return `serving ${s.model} · ${done}${busy}`;
    }
    case 'off':
      return 'not sharing';
  }
}

/** One Markdown line about sharing, for tooltips. */
export function sharingLine(s: SharingStatus): string {
  if (s.state === 'off') return '';
  const price = s.priceMsats > 0 ? `${formatSats(s.priceMsats)} a job` : 'free';
  if (s.state !== 'serving') return `$(broadcast) ${escapeMd(sharingText(s))}`;
  const parts = [`${s.completed} served`, `${s.running} running`, `${s.queued} queued`];
  if (s.awaitingPayment > 0) parts.push(`${s.awaitingPayment} awaiting payment`);
  if (s.failed > 0) parts.push(`${s.failed} failed`);
  return `$(broadcast) Sharing \`${s.model}\` with the swarm (${price}) on ${s.relays.length} relay(s): ${parts.join(' · ')}`;
}

export class SharingStatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscription: vscode.Disposable;
  private last: SharingSnapshot = { visible: false, text: '', tooltip: '' };

  constructor(private readonly sharing: ModelSharing) {
    this.item = vscode.window.createStatusBarItem('swarmCompute.sharing', vscode.StatusBarAlignment.Right, 99);
    this.item.name = 'Swarm Compute: Share My Model';
    this.item.command = { command: 'swarmCompute.toggleSharing', title: 'Stop Sharing My Model' };
    this.subscription = sharing.onDidChange(() => this.update());
    this.update();
  }

  get snapshot(): SharingSnapshot {
    return { ...this.last };
  }

  update(): SharingSnapshot {
    const s = this.sharing.status;
    if (s.state === 'off') {
      this.item.hide();
      this.last = { visible: false, text: '', tooltip: '' };
      return this.snapshot;
    }
    const icon = s.state === 'serving' ? '$(broadcast)' : '$(loading~spin)';
    const text = `${icon} ${sharingText(s)}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: ['swarmCompute.stopSharing', 'swarmCompute.showLog'] };
    md.appendMarkdown(`${sharingLine(s)}\n\n`);
    if (s.pubkey) md.appendMarkdown(`As \`${npubEncode(s.pubkey)}\`\n\n`);
    md.appendMarkdown('[Stop sharing](command:swarmCompute.stopSharing) · [Log](command:swarmCompute.showLog)');
    this.item.text = text;
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: `Swarm Compute: ${sharingText(s)}. Click to stop sharing.`, role: 'button' };
    this.item.show();
    this.last = { visible: true, text, tooltip: md.value };
    return this.snapshot;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_[\]|<>]/g, '\\$&');
}
