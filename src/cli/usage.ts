import { defaultOf as d } from '../settings-schema';

// The defaults named here are the settings schema's (package.json), never written twice.
export const SUBMIT_USAGE = `swarm-compute submit --prompt TEXT|- [options]

Modes:
  (none)                       swarm only: the NIP-90 marketplace, no local attempt
  --local-first                local Ollama first, the swarm when local fails
  --local-first --no-fallback  local once, no swarm even on failure
  --local-only                 local only; opens no connection to any relay
  (--no-fallback alone means the same as --local-first --no-fallback)

Options:
  --prompt TEXT|-              the prompt; - reads standard input
  --job-type TYPE              text-generation (NIP-90 kind 5050, default)
  --model NAME                 model (default ${d('model')})
  --max-price-msats N          the most this job may cost (default ${d('maxPriceMsats')}); sent as the bid
  --local-timeout-secs N       wait this long for the local model's FIRST token (default ${d('localTimeoutSecs')})
  --local-stall-secs N         once tokens flow, the longest silence before local counts as failed (default ${d('localStallSecs')})
  --hedge-after-secs N         fallback mode: N s without a local token starts the swarm job too;
                               the first lane to answer wins (default 0 = off)
  --allow-ollama-cloud         allow models Ollama serves from another machine (remote_host)
  --swarm-timeout-secs N       wait for a swarm result (default ${d('swarmTimeoutSecs')})
  --relay URL                  relay (repeatable); default SWARM_COMPUTE_RELAYS or public relays
  --provider PUBKEY            send only to this provider (hex or npub; repeatable)
  --encrypt                    NIP-44 encrypted job (needs exactly one --provider)
  --ollama-host URL            default OLLAMA_HOST, else ${d('ollamaHost')}
  --nwc URI                    Nostr Wallet Connect URI; default SWARM_COMPUTE_NWC
                               (on the command line other users can read it: prefer --nwc-file)
  --nwc-file PATH              read the NWC URI from a file only you can read (mode 0600)
  --data-dir DIR               default SWARM_COMPUTE_HOME, else ~/.swarm-compute
  --offer-window-secs N        collect payment offers this long (default ${d('offerWindowSecs')})
  --daily-budget-msats N       spend cap per UTC day
  --monthly-budget-msats N     spend cap per UTC month
  --max-response-bytes N       most text one swarm answer may bring (default ${d('maxResponseBytes')})
  --stream                     print the answer as it arrives
  --json                       one JSON object on standard output
  --conversation ID            continue conversation ID: its earlier turns go with the prompt
  --continue                   continue the newest conversation
                               (without either, a submit begins a new conversation; its id is
                               printed last on standard error, and is "conversationId" in --json)
  --keep-days N                first blank the questions and answers of runs older than N days
                               (their cost and metrics stay)

Exit codes: 0 completed, 1 failed, 2 bad usage (nothing sent), 130 cancelled.
`;

export const USAGE = `swarm-compute — local Ollama first, the Nostr compute marketplace (NIP-90) as fallback

Commands:
  submit     run a prompt (see: swarm-compute submit --help)
  metrics    [--data-dir DIR] [--json]            lane and cost metrics from history
  history    [--limit N] [--data-dir DIR] [--json] past jobs, newest first
             [--conversation ID]                  one conversation's turns, oldest first
             [--keep-days N]                      blank texts older than N days first (money and metrics stay)
  providers  [--relay URL]... [--json] [--data-dir DIR]  kind-5050 providers found through NIP-89
  serve      --model NAME [--price-msats N] ...    answer kind-5050 jobs with your local model
                                                   (see: swarm-compute serve --help)
  gateway    [--port N] [--host ADDR] [--allow-swarm] ...  Ollama's and OpenAI's APIs on 127.0.0.1:11435
                                                   (see: swarm-compute gateway --help)
`;

export const SERVE_USAGE = `swarm-compute serve --model NAME [options]

Provider mode: answers NIP-90 kind-5050 jobs with your local Ollama model,
announces itself (NIP-89) and stops cleanly on Ctrl-C / SIGTERM.

Options:
  --model NAME                 the Ollama model to serve (repeatable)
  --price-msats N              price per job in msats (default ${d('share.priceMsats')}: free); > 0 needs --nwc
  --relay URL                  relay (repeatable); default SWARM_COMPUTE_RELAYS or public relays
  --ollama-host URL            default OLLAMA_HOST, else ${d('ollamaHost')}
  --nwc URI                    Nostr Wallet Connect URI that makes and looks up invoices;
                               default SWARM_COMPUTE_NWC (on the command line others can read it)
  --nwc-file PATH              read the NWC URI from a file only you can read (mode 0600)
  --data-dir DIR               identity and history; default SWARM_COMPUTE_HOME, else ~/.swarm-compute
  --max-concurrent N           jobs generating at once (default ${d('share.maxConcurrent')}); more wait in a queue
  --max-queued N               jobs waiting beyond which new ones are refused as busy (default ${d('share.maxQueued')})
  --max-prompt-chars N         longer prompts are refused (default 32000)
  --payment-timeout-secs N     how long a paid job waits for payment (default 120)
  --job-timeout-secs N         longest one generation may take (default 300)
  --name TEXT / --about TEXT   shown in the announcement

Exit codes: 0 stopped cleanly, 1 could not start (Ollama, relays, wallet), 2 bad usage or configuration.
`;

export const PROVIDERS_USAGE = `swarm-compute providers [--relay URL]... [--json] [--data-dir DIR] [--timeout-secs N]

Kind-5050 providers announced through NIP-89 (kind 31990), the newest
announcement per provider, with this machine's record of each (from history).

Options:
  --relay URL                  relay (repeatable); default SWARM_COMPUTE_RELAYS or public relays
  --json                       a JSON array of {pubkey,name,about,models,priceMsats,jobs,successes,medianDurationMs}
  --data-dir DIR               whose history to read; default SWARM_COMPUTE_HOME, else ~/.swarm-compute
  --timeout-secs N             how long to wait for each relay (default 3)
`;

export const GATEWAY_USAGE = `swarm-compute gateway [--port N] [--host ADDR] [--token T] [--allow-swarm] [submit's options]

Serves Ollama's API (GET /api/version, GET /api/tags, POST /api/chat,
POST /api/generate) and OpenAI's (GET /v1/models, POST /v1/chat/completions)
so other tools get the local-first engine. Every request runs as a submit:
one history row (source gateway), counted in metrics, same caps and budgets.

Options:
  --port N                     port (default 11435; 0 picks a free one)
  --host ADDR                  address to listen on (default 127.0.0.1); anything
                               but a loopback address needs --token
  --token T                    every request must send "Authorization: Bearer T";
                               default SWARM_COMPUTE_GATEWAY_TOKEN (keeps it out of ps)
  --allow-swarm                fall back to the NIP-90 marketplace when local fails;
                               without it nothing leaves this machine
  --local-only / --no-fallback as for submit (--local-first is the default)
  --model, --ollama-host, --relay, --provider, --encrypt, --max-price-msats,
  --local-timeout-secs, --swarm-timeout-secs, --offer-window-secs,
  --daily-budget-msats, --monthly-budget-msats, --nwc, --data-dir: as for submit
  (each request names its model; --model is the one /api/tags and /v1/models list
  for the swarm with --allow-swarm when this Ollama does not have it)

Errors come in each API's own shape: unknown model 404, price cap or budget 402,
no lane could answer 503, bad request 400. Response headers x-swarm-compute-lane,
x-swarm-compute-cost-msats and x-swarm-compute-provider say who answered and what
it cost. Ctrl-C / SIGTERM: no new requests, running ones cancelled, exit 0.
`;
