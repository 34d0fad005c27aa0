// Past conversations as a person picks them: a title from the first
// question, when, how many turns, which lanes answered, what it cost. Pure:
// no vscode here (the quick pick is in conversation-commands.ts).
import type { ConversationSummary } from '../history/types';
import { formatSats } from '../text/format';

export interface ConversationItem {
  conversationId: string;
  label: string;
  description: string;
  detail: string;
}

const TITLE_CHARS = 80;

/** The first question in one line, markdown marks and code blocks left out. */
export function conversationTitle(question: string): string {
  const withoutCode = question.replace(/(`{3,4})[^\n]*\n[\s\S]*?\n\1/g, ' ');
  const line = withoutCode
    .replace(/[*_`#>]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!line) return '(no question)';
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line;
}

export function lanesSummary(c: ConversationSummary): string {
  const parts: string[] = [];
  if (c.localTurns) parts.push(`${c.localTurns} local`);
  if (c.swarmTurns) parts.push(`${c.swarmTurns} swarm`);
  if (c.failedTurns) parts.push(`${c.failedTurns} failed`);
  return parts.join(', ') || 'not answered';
}

export function conversationItem(c: ConversationSummary, now: Date = new Date()): ConversationItem {
  const when = new Date(c.updatedAt);
  const sameDay = when.toDateString() === now.toDateString();
  const date = sameDay
    ? `today ${when.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`
    : when.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
  return {
    conversationId: c.conversationId,
    label: conversationTitle(c.title),
    description: date,
    detail: `${c.turns} turn${c.turns === 1 ? '' : 's'} · ${lanesSummary(c)} · ${c.costMsats > 0 ? formatSats(c.costMsats) : 'free'}`,
  };
}
