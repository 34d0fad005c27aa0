// One count of answers for every view: the status-bar tooltip, the metrics
// view and `swarm-compute metrics` all read the same history numbers (a local
// answer is metrics.localSuccess, a swarm answer metrics.swarmSuccess). A
// stopped run is its own state: neither a lane's answer nor a failure. And
// the question as the user asked it, never the internal Explain prompt.
// No vscode here.
import type { JobRecord, Metrics } from '../history/types';

export interface AnswerCounts {
  local: number;
  swarm: number;
}

export function answerCounts(m: Metrics): AnswerCounts {
  return { local: m.localSuccess, swarm: m.swarmSuccess };
}

/** "6 local · 3 swarm answers · fallback rate 20%" */
export function countsLine(m: Metrics): string {
  const c = answerCounts(m);
  return `Answers: ${c.local} local · ${c.swarm} swarm · fallback rate ${Math.round(m.fallbackRate)}%`;
}

/** Failed and stopped runs among this machine's own rows (served jobs are someone else's). */
export function endCounts(records: JobRecord[]): { failed: number; stopped: number } {
  let failed = 0;
  let stopped = 0;
  for (const r of records) {
    if (r.lane === 'served') continue;
    if (r.state === 'cancelled') stopped++;
    // a send the user refused, with nothing tried, is not a failure either ("Never" then answers locally)
    else if (r.state === 'failed' && r.completedAt !== null && !(r.swarmErrorKind === 'declined' && r.localOutcome === null)) failed++;
  }
  return { failed, stopped };
}

/** What a row's lane column says: local / swarm / failed / stopped. */
export function rowOutcome(
  r: Pick<JobRecord, 'state' | 'lane'> & Partial<Pick<JobRecord, 'swarmErrorKind' | 'localOutcome'>>,
): 'local' | 'swarm' | 'failed' | 'stopped' | 'not sent' {
  if (r.state === 'cancelled') return 'stopped';
  if (r.state === 'completed' && (r.lane === 'local' || r.lane === 'swarm')) return r.lane;
  // the user refused the send and nothing was tried: not a failure
  if (r.swarmErrorKind === 'declined' && r.localOutcome === null) return 'not sent';
  return 'failed';
}

const EXPLAIN = /^Explain what this (?:.+?) code from `([^`\n]+)` \((lines? [^)\n]+)\) does\./;

/** A one-line title for a prompt: "Explain debounce.ts lines 2–3" for Explain Selection, else the prompt cut at a word. */
export function questionTitle(prompt: string, max = 80): string {
  const m = EXPLAIN.exec(prompt);
  if (m) return `Explain ${m[1]} ${m[2]}`;
  const line = prompt.replace(/\s+/g, ' ').trim();
  if (line.length <= max) return line;
  const cut = line.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}
