// Who is working on one job: which providers engaged (said they process,
// stream, succeeded or asked to be paid) and which erred. Whether a
// provider's offer was refused is not kept here: the job's offers own that
// (job-offers.ts), and the roster asks them.

interface ProviderState {
  /** sent processing/partial/success/payment-required */
  engaged: boolean;
  errored: boolean;
  /** its "processing" line was shown */
  announced: boolean;
}

export class ProviderRoster {
  private readonly states = new Map<string, ProviderState>();

  /** `refused`: the provider's offers were all refused (it waits for a payment that will not come) */
  constructor(private readonly refused: (provider: string) => boolean) {}

  /** Marks it engaged; true when it had not erred (its word revives a job waiting after errors). */
  engage(provider: string): boolean {
    const state = this.state(provider);
    state.engaged = true;
    return !state.errored;
  }

  /** true the first time: the one "processing" line per provider */
  announce(provider: string): boolean {
    const state = this.state(provider);
    if (state.announced) return false;
    state.announced = true;
    return true;
  }

  markErrored(provider: string): void {
    this.state(provider).errored = true;
  }

  errored(provider: string): boolean {
    return this.states.get(provider)?.errored ?? false;
  }

  /** the providers that engaged, in the order they first spoke */
  engaged(): string[] {
    return [...this.states.entries()].filter(([, s]) => s.engaged).map(([pk]) => pk);
  }

  /** some provider is still working on it (engaged, no error, not waiting on a payment we refused) */
  anyActive(): boolean {
    for (const [pk, s] of this.states) if (s.engaged && !s.errored && !this.refused(pk)) return true;
    return false;
  }

  /** every one of `providers` erred, or (with `orRefused`) erred or was refused */
  allOut(providers: readonly string[], orRefused: boolean): boolean {
    return providers.every((pk) => this.errored(pk) || (orRefused && this.states.has(pk) && this.refused(pk)));
  }

  private state(provider: string): ProviderState {
    let state = this.states.get(provider);
    if (!state) {
      state = { engaged: false, errored: false, announced: false };
      this.states.set(provider, state);
    }
    return state;
  }
}
