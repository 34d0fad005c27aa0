export const SUBMIT_USAGE = `swarm-compute submit --prompt TEXT|- [options]

Modes:
  (none)                       swarm only: the NIP-90 marketplace, no local attempt
  --local-first                local Ollama first, the swarm when local fails
  --local-first --no-fallback  local once, no swarm even on failure
  --local-only                 local only; opens no connection to any relay

Options:
  --prompt TEXT|-              the prompt; - reads standard input
  --job-type TYPE              text-generation (NIP-90 kind 5050, default)
  --model NAME                 model (default llama3)
  --max-price-msats N          the most this job may cost (default 1000); sent as the bid
  --local-timeout-secs N       local attempt limit (default 30)
  --swarm-timeout-secs N       wait for a swarm result (default 120)
  --relay URL                  relay (repeatable); default SWARM_COMPUTE_RELAYS or public relays
  --provider PUBKEY            send only to this provider (hex or npub; repeatable)
  --encrypt                    NIP-44 encrypted job (needs exactly one --provider)
  --ollama-host URL            default OLLAMA_HOST, else http://127.0.0.1:11434
  --nwc URI                    Nostr Wallet Connect URI; default SWARM_COMPUTE_NWC
  --data-dir DIR               default SWARM_COMPUTE_HOME, else ~/.swarm-compute
  --offer-window-secs N        collect payment offers this long (default 2)
  --daily-budget-msats N       spend cap per UTC day
  --monthly-budget-msats N     spend cap per UTC month
  --stream                     print the answer as it arrives
  --json                       one JSON object on standard output

Exit codes: 0 completed, 1 failed, 2 bad usage (nothing sent), 130 cancelled.
`;

export const USAGE = `swarm-compute — local Ollama first, the Nostr compute marketplace (NIP-90) as fallback

Commands:
  submit     run a prompt (see: swarm-compute submit --help)
  metrics    [--data-dir DIR] [--json]            lane and cost metrics from history
  history    [--limit N] [--data-dir DIR] [--json] past jobs, newest first
  providers  [--relay URL]... [--json]             kind-5050 providers found through NIP-89
  serve      --model NAME [--price-msats N] ...    answer kind-5050 jobs with your local model
`;
