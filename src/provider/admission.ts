// Which jobs this provider takes, and which it refuses with a reason.
//
// - A job naming no model gets the first offered model; a job naming a model
//   this provider does not offer is refused even when Ollama happens to have it.
// - Admission (CLI.md serve): a job counts from the moment its event is read
//   — checking, awaiting payment, queued, generating — and at most
//   maxConcurrent + maxQueued are admitted; past that a job gets a busy
//   `error` at once, before any invoice or Ollama call. Only generation takes
//   a WorkQueue slot. Busy limits are checked before an invoice is made, so a
//   paid job is never refused after payment.
import type { JobInput } from './job-intake';
import { sameModel } from './model-name';
import type { ProviderSettings } from './types';

/** `revealsInput`: the reason repeats what the job asked, so it is sealed for an encrypted job */
export type Admission = { ok: true; model: string } | { ok: false; reason: string; revealsInput: boolean };

export interface ProviderLoad {
  /** jobs admitted and not ended yet */
  admitted: number;
  awaitingPayment: number;
  /** tuning.maxAwaitingPayment */
  maxAwaitingPayment: number;
}

export function admit(job: JobInput, s: ProviderSettings, load: ProviderLoad): Admission {
  const refuse = (reason: string, revealsInput = false): Admission => ({ ok: false, reason, revealsInput });
  const asked = job.model ?? s.models[0];
  const model = s.models.find((m) => sameModel(m, asked));
  if (!model) return refuse(`model "${asked}" is not served here; this provider serves ${s.models.join(', ')}`, true);
  if (job.prompt.length > s.maxPromptChars) {
    return refuse(`the prompt is ${job.prompt.length} characters; this provider takes at most ${s.maxPromptChars}`, true);
  }
  if (s.priceMsats > 0 && job.bidMsats !== null && job.bidMsats < s.priceMsats) {
    return refuse(`the bid of ${job.bidMsats} msats is below this provider's price of ${s.priceMsats} msats`);
  }
  const limit = Math.max(1, s.maxConcurrent) + Math.max(0, s.maxQueued);
  if (load.admitted >= limit) {
    return refuse(
      `the provider is busy (${load.admitted} jobs being checked, awaiting payment, queued or running; it takes ${limit} at a time); try again later`,
    );
  }
  if (s.priceMsats > 0 && load.awaitingPayment >= load.maxAwaitingPayment) {
    return refuse(`the provider is busy (${load.awaitingPayment} jobs waiting for payment); try again later`);
  }
  return { ok: true, model };
}

/** Settings that cannot work, found before anything is contacted; null when they can. */
export function settingsProblem(s: ProviderSettings, hasWallet: boolean): { kind: 'config' | 'no-relay'; message: string } | null {
  if (s.models.length === 0) return { kind: 'config', message: 'no model to serve' };
  if (!Number.isSafeInteger(s.priceMsats) || s.priceMsats < 0) return { kind: 'config', message: `the price must be whole msats ≥ 0, got ${s.priceMsats}` };
  if (s.priceMsats > 0 && !hasWallet) return { kind: 'config', message: `a price of ${s.priceMsats} msats needs a wallet (NWC) to make invoices` };
  if (s.relays.length === 0) return { kind: 'no-relay', message: 'no relay configured' };
  return null;
}

/** The first offered model Ollama does not have, told the way `serve` prints it; null when all are installed. */
export function missingModel(s: ProviderSettings, installed: readonly string[]): string | null {
  for (const model of s.models) {
    if (!installed.some((name) => sameModel(name, model))) {
      const have = installed.length > 0 ? installed.join(', ') : 'none';
      return `model "${model}" is not installed in Ollama at ${s.ollamaHost} (installed: ${have}); pull it first: ollama pull ${model}`;
    }
  }
  return null;
}
