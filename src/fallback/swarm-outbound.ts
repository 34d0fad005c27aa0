// What the fallback is about to send to the swarm: the engine's consent hook
// (RunRequest.confirmSwarm) is asked with it, and the chat's card shows it.
/** What would leave the machine, shown to the user when asking consent. */
export interface SwarmOutbound {
  prompt: string;
  model: string;
  relays: string[];
  providers: string[];
  encrypt: boolean;
  maxPriceMsats: number;
  /** why the swarm is being asked: local failed (its message), or swarm-only */
  reason: string;
  /** earlier turns of the conversation that go with the prompt (0 on a first turn) */
  earlierTurns?: number;
}
