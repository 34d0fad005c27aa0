// The one history row (lane 'served') that follows a served job from the
// moment it is accepted. Writes go out in order; a write that fails is
// logged, never thrown: the job goes on without its row.
import { pendingRecord } from '../engine/pending-record';
import type { HistoryStore, JobRecord } from '../history/types';
import type { ProviderLog } from './types';

export class ServedRecord {
  private writes: Promise<void> = Promise.resolve();
  private inserted = false;

  constructor(
    private readonly history: HistoryStore | null,
    /** the customer's job event id */
    private readonly jobId: string,
    private readonly log: ProviderLog,
  ) {}

  /** The row as the job is accepted: pending, this provider's, nothing paid or answered yet. */
  insert(row: { model: string; prompt: string; provider: string; receivedAt: number }): void {
    const history = this.history;
    if (!history) return;
    this.inserted = true;
    const record = { ...pendingRecord(this.id, row.model, row.prompt, row.receivedAt), jobId: this.jobId, lane: 'served' as const, provider: row.provider };
    this.writes = this.writes.then(() =>
      history.insert(record).catch((err) => this.log.warn(`history: could not record served job: ${(err as Error)?.message ?? err}`)),
    );
  }

  /** Changes nothing before insert() (a job refused at its model check has no row). */
  update(patch: Partial<Omit<JobRecord, 'id'>>): void {
    const history = this.history;
    if (!history || !this.inserted) return;
    this.writes = this.writes.then(() =>
      history.update(this.id, patch).catch((err) => this.log.warn(`history: could not update served job: ${(err as Error)?.message ?? err}`)),
    );
  }

  /** Resolves once every write asked for so far is done. */
  written(): Promise<void> {
    return this.writes;
  }

  private get id(): string {
    return `served:${this.jobId}`;
  }
}
