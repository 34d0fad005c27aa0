// Errors are values with a kind: fallback decisions switch on `kind`, never on
// message text. Each message is one line a person can act on.

export type LocalErrorKind =
  | 'unavailable' // nothing listens / host unreachable
  | 'model-missing' // Ollama answered 404 for the model
  | 'timeout' // localTimeoutSecs passed
  | 'failed' // anything else (HTTP 500, stream broke, bad response)
  | 'remote-model' // Ollama serves the model from another machine (remote_host) and that is not allowed
  | 'cancelled';

export type SwarmErrorKind =
  | 'no-relay' // no relay accepted the job
  | 'no-provider' // nobody answered within the swarm timeout
  | 'price-too-high' // an offer above the cap (nothing paid)
  | 'payment-failed' // no wallet, wallet refused, invoice check failed, budget reached
  | 'timeout' // a provider started but the result did not come in time
  | 'error' // the provider said error
  | 'cancelled';

export interface LocalError {
  kind: LocalErrorKind;
  message: string;
}

export interface SwarmError {
  kind: SwarmErrorKind;
  message: string;
}

export function localError(kind: LocalErrorKind, message: string): LocalError {
  return { kind, message };
}

export function swarmError(kind: SwarmErrorKind, message: string): SwarmError {
  return { kind, message };
}

/** A configuration error: raised before anything is sent; the CLI maps it to exit 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
