// `swarm-compute gateway` (CLI.md): Ollama's and OpenAI's APIs on a local
// port, every request run as a `submit --local-first` would be. It has no one
// to ask for consent, so nothing goes to the swarm without --allow-swarm.
import { isIP } from 'node:net';
import type { Engine, EngineOptions, Mode } from '../engine/api';
import { UsageError, wholeNumber, type FlagSpec } from './args';
import { cliEngineOptions } from './engine-options';
import type { CliIo } from './io';
import { parseSubmitOptions, SUBMIT_FLAGS, type SubmitOptions } from './submit-options';
import { DEFAULT_GATEWAY_PORT } from '../gateway/gateway-server';
import { isLoopback } from '../gateway/request-guard';

export const GATEWAY_FLAGS: Record<string, FlagSpec> = {
  port: { type: 'string' },
  host: { type: 'string' },
  token: { type: 'string' },
  'allow-swarm': { type: 'boolean' },
  help: { type: 'boolean' },
};

/** submit's flags that make no sense for a server: the prompt and how one answer is printed */
const SUBMIT_ONLY = new Set(['prompt', 'stream', 'json', 'conversation', 'continue']);

export interface GatewayCliOptions {
  port: number;
  host: string;
  token: string | null;
  allowSwarm: boolean;
  submit: SubmitOptions;
  help: boolean;
}

function flagName(arg: string): string {
  const eq = arg.indexOf('=');
  return eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
}

export function parseGatewayOptions(argv: string[], env: NodeJS.ProcessEnv): GatewayCliOptions {
  // the gateway's own flags; everything else is submit's, checked by submit's parser
  const own = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.startsWith('--') ? flagName(arg) : '';
    const spec = GATEWAY_FLAGS[name];
    if (SUBMIT_ONLY.has(name))
      throw new UsageError(`gateway: --${name} is for submit; the gateway takes its prompts from API requests (see swarm-compute gateway --help)`);
    if (!spec) {
      rest.push(arg);
      // a submit flag's value travels with it
      const takesValue = SUBMIT_FLAGS[name] !== undefined && SUBMIT_FLAGS[name].type !== 'boolean';
      if (takesValue && !arg.includes('=') && i + 1 < argv.length) rest.push(argv[++i]);
      continue;
    }
    if (own.has(name)) throw new UsageError(`--${name} was given twice`);
    if (spec.type === 'boolean') {
      if (arg.includes('=')) throw new UsageError(`--${name} takes no value`);
      own.set(name, true);
    } else if (arg.includes('=')) own.set(name, arg.slice(arg.indexOf('=') + 1));
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      own.set(name, argv[++i]);
    }
  }
  const help = own.has('help');
  // the gateway is local first: --local-first is accepted and changes nothing
  let submit: SubmitOptions;
  try {
    submit = parseSubmitOptions(
      [
        ...rest,
        '--prompt',
        '(gateway)',
        ...(rest.includes('--local-first') || rest.includes('--local-only') ? [] : ['--local-first']),
        ...(help ? ['--help'] : []),
      ],
      env,
    );
  } catch (e) {
    // submit's parser names itself: the user typed `gateway`
    if (e instanceof UsageError)
      throw new UsageError(e.message.replace(/^submit: /, 'gateway: ').replace('swarm-compute submit --help', 'swarm-compute gateway --help'));
    throw e;
  }
  const allowSwarm = own.has('allow-swarm');
  // No consent can be asked: without --allow-swarm the run is "local once".
  const mode: Mode =
    submit.settings.mode === 'local-only' ? 'local-only' : submit.settings.mode === 'local-no-fallback' || !allowSwarm ? 'local-no-fallback' : 'fallback';
  submit.settings = { ...submit.settings, mode };

  const portRaw = own.get('port');
  const port = typeof portRaw === 'string' ? wholeNumber('--port', portRaw, 0) : DEFAULT_GATEWAY_PORT;
  if (port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got "${portRaw}"`);
  const hostRaw = own.get('host');
  const host = typeof hostRaw === 'string' ? hostRaw.trim().replace(/^\[|\]$/g, '') : '127.0.0.1';
  if (!host || (isIP(host) === 0 && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(host))) {
    throw new UsageError(`--host must be an IP address or a host name, got "${hostRaw}"`);
  }
  const tokenRaw = own.get('token') ?? env.SWARM_COMPUTE_GATEWAY_TOKEN;
  const token = typeof tokenRaw === 'string' ? tokenRaw.trim() : null;
  const tokenLabel = own.has('token') ? '--token' : 'SWARM_COMPUTE_GATEWAY_TOKEN';
  if (token !== null && (token.length < 8 || /\s/.test(token))) throw new UsageError(`${tokenLabel} must be at least 8 characters without spaces`);
  if (!isLoopback(host) && token === null) {
    throw new UsageError(
      `--host ${host} is not a loopback address: other machines could use your models and wallet, so it needs --token T (or SWARM_COMPUTE_GATEWAY_TOKEN); every request must then send "Authorization: Bearer T"`,
    );
  }
  return { port, host, token, allowSwarm, submit, help };
}

type CreateEngine = (options: EngineOptions) => Promise<Engine>;

/** Serves until SIGINT/SIGTERM; exit 0 after a clean stop. */
export async function runGateway(opts: GatewayCliOptions, io: CliIo, createEngine: CreateEngine): Promise<number> {
  const { startGateway } = await import('../gateway/gateway-server');
  const s = opts.submit;
  // without the swarm there is no relay to sign for: no identity is made
  const usesSwarm = s.settings.mode === 'fallback';
  const engine = await createEngine(cliEngineOptions(s, io, usesSwarm));
  let stopRequested!: () => void;
  const stop = new Promise<void>((resolve) => (stopRequested = resolve));
  const stopSignals = io.onSignal(() => stopRequested());
  try {
    let gateway;
    try {
      gateway = await startGateway({
        engine,
        host: opts.host,
        port: opts.port,
        token: opts.token,
        swarmAllowed: usesSwarm,
        swarmOff: opts.allowSwarm
          ? `the swarm is off (${s.settings.mode === 'local-only' ? '--local-only' : '--no-fallback'})`
          : 'the swarm is off (start the gateway with --allow-swarm to fall back to it)',
        ollamaHost: () => s.settings.ollamaHost,
        defaultModel: () => s.settings.model,
        warn: (m) => io.stderr(`warning: ${m}\n`),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? 'the port is in use (another gateway, or Ollama itself?)' : (e as Error).message;
      io.stderr(`swarm-compute: cannot listen on ${opts.host}:${opts.port}: ${why}\n`);
      return 1;
    }
    const lanes =
      s.settings.mode === 'local-only'
        ? 'local only'
        : usesSwarm
          ? `local first, then the swarm (cap ${s.settings.maxPriceMsats} msats a request)`
          : 'local only (the swarm is off: --allow-swarm turns it on)';
    io.stderr(`swarm-compute gateway listening on ${gateway.url} — Ollama API at ${gateway.url}/api, OpenAI API at ${gateway.url}/v1; ${lanes}\n`);
    await stop;
    io.stderr(`swarm-compute gateway stopping${gateway.running() ? `: cancelling ${gateway.running()} running request(s)` : ''}\n`);
    await gateway.close();
    return 0;
  } finally {
    stopSignals();
    await engine.dispose();
  }
}
