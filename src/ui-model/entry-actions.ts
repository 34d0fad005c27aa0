// What the chat offers on an entry once it has ended: Retry, Regenerate, Ask
// the swarm instead, Edit and resend. Failure fixes (start Ollama, connect a
// wallet…) come from error-actions.ts and are not repeated here. No vscode.
import type { JobRecord } from '../history/types';
import type { ChatEntry, ChatMode, ErrorAction } from './protocol';

export interface EntryContext {
  /** the user answered "never": the swarm is not offered */
  swarmRefused: boolean;
  mode: ChatMode;
}

export function entryActions(e: ChatEntry, ctx: EntryContext): ErrorAction[] {
  if (e.state === 'running') return [];
  const out: ErrorAction[] = [];
  if (e.state === 'completed') {
    out.push('regenerate');
    // a local answer can be asked of the swarm too (with consent), unless the user said never or is local only by choice
    if (e.lane === 'local' && !ctx.swarmRefused && ctx.mode !== 'local-only') out.push('askSwarm');
  } else {
    out.push('retry');
  }
  out.push('editResend');
  const fixes = e.error?.actions ?? [];
  return out.filter((a) => !fixes.includes(a));
}

/** An entry as the chat shows it now: with what can be done with it, and no offer of the swarm after "never". */
export function presentEntry(e: ChatEntry, ctx: EntryContext): ChatEntry {
  const error = e.error && ctx.swarmRefused ? { ...e.error, actions: e.error.actions.filter((a) => a !== 'askSwarm') } : e.error;
  return { ...e, error, actions: entryActions({ ...e, error }, ctx) };
}

/**
 * Rows the chat does not show again after a reload: a swarm-only run refused
 * with "Never (local only)" that was answered locally right after (the next
 * row, same prompt). Live, that answer took the refused entry's place.
 * `oldestFirst` is the order the chat shows.
 */
export function supersededRows(oldestFirst: JobRecord[]): Set<string> {
  const hidden = new Set<string>();
  for (let i = 0; i + 1 < oldestFirst.length; i++) {
    const r = oldestFirst[i];
    const next = oldestFirst[i + 1];
    if (r.state === 'failed' && r.swarmErrorKind === 'declined' && r.localOutcome === null && next.prompt === r.prompt && next.localOutcome !== null)
      hidden.add(r.id);
  }
  return hidden;
}
