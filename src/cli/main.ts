import { parseArgs, UsageError, wholeNumber } from './args';
import { historyPath } from './defaults';
import { dataDirFrom, makeDataDir } from './data-dir';
import { processIo, type CliIo } from './io';
import { parseSubmitOptions } from './submit-options';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runSubmit } from './submit';
import { USAGE, SUBMIT_USAGE, SERVE_USAGE, PROVIDERS_USAGE, GATEWAY_USAGE } from './usage';
import { ConfigError } from '../run/errors';

async function openStore(dataDir: string, io: CliIo) {
  makeDataDir(dataDir);
  const { openHistory } = await import('../history/sqlite-history');
  return openHistory(historyPath(dataDir), { onWarning: (m: string) => io.stderr(`warning: ${m}\n`) });
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'submit': {
        const opts = parseSubmitOptions(rest, io.env);
        if (opts.help) {
          io.stdout(SUBMIT_USAGE);
          return EXIT_OK;
        }
        const { createEngine } = await import('../engine-bundle');
        return await runSubmit(opts, io, createEngine);
      }
      case 'metrics': {
        const a = parseArgs(rest, { 'data-dir': { type: 'string' }, json: { type: 'boolean' } }, 'metrics');
        const store = await openStore(dataDirFrom(a, io.env), io);
        try {
          const m = await store.metrics();
          if (a.booleans.has('json')) io.stdout(`${JSON.stringify(m)}\n`);
          else {
            io.stdout(
              [
                `Local:  ${m.localSuccess} succeeded, ${m.localFailure} failed (success rate ${m.localSuccessRate}%)`,
                `Swarm:  ${m.swarmSuccess} succeeded, ${m.swarmFailure} failed (${m.swarmFallback} after a local failure, ${m.swarmDirect} direct)`,
                `Fallback rate: ${m.fallbackRate}%`,
                `Total cost: ${m.totalCostMsats} msats (${Math.floor(m.totalCostMsats / 1000)} sats)` +
                  (m.unconfirmedMsats ? `, of which ${m.unconfirmedMsats} msats not confirmed by the wallet` : ''),
              ].join('\n') + '\n',
            );
          }
        } finally {
          await store.close();
        }
        return EXIT_OK;
      }
      case 'history': {
        const a = parseArgs(
          rest,
          {
            'data-dir': { type: 'string' },
            json: { type: 'boolean' },
            limit: { type: 'string' },
            conversation: { type: 'string' },
            'keep-days': { type: 'string' },
          },
          'history',
        );
        const limit = a.strings.has('limit') ? wholeNumber('--limit', a.strings.get('limit')!, 1) : 50;
        const conversation = a.strings.get('conversation');
        if (conversation !== undefined && !conversation.trim()) throw new UsageError('--conversation must name a conversation id, got ""');
        const keepDays = a.strings.has('keep-days') ? wholeNumber('--keep-days', a.strings.get('keep-days')!, 1) : null;
        const dataDir = dataDirFrom(a, io.env);
        const store = await openStore(dataDir, io);
        try {
          if (keepDays !== null) {
            const { retentionCutoff } = await import('../history/retention');
            await store.blankTextBefore(retentionCutoff(keepDays)!);
          }
          const { toHistoryJson } = await import('../history/sqlite-history');
          // a conversation's turns oldest first (CLI.md "Conversations"); else the newest runs
          const rows = conversation !== undefined ? await store.conversation(conversation.trim()) : await store.list(limit);
          if (conversation !== undefined && rows.length === 0) {
            throw new UsageError(`--conversation "${conversation}" is not a conversation in ${historyPath(dataDir)}`);
          }
          if (a.booleans.has('json')) io.stdout(`${JSON.stringify(rows.map(toHistoryJson))}\n`);
          else if (rows.length === 0) io.stdout('No jobs yet.\n');
          else {
            for (const r of rows) {
              const when = new Date(r.submittedAt).toISOString().replace('T', ' ').slice(0, 19);
              const cost = r.costMsats > 0 ? ` ${r.costMsats} msats${r.paymentState === 'unconfirmed' ? ' (unconfirmed)' : ''}` : '';
              const prompt = r.prompt.replace(/\s+/g, ' ').slice(0, 60);
              io.stdout(`${when}  ${r.state.padEnd(10)} ${(r.lane ?? '-').padEnd(6)} ${r.durationMs ?? '-'}ms${cost}  ${r.jobId}  ${prompt}\n`);
            }
          }
        } finally {
          await store.close();
        }
        return EXIT_OK;
      }
      case 'serve': {
        const { parseServeOptions, runServe } = await import('./serve');
        const opts = parseServeOptions(rest, io.env);
        if (opts.help) {
          io.stdout(SERVE_USAGE);
          return EXIT_OK;
        }
        return await runServe(opts, io);
      }
      case 'gateway': {
        const { parseGatewayOptions, runGateway } = await import('./gateway');
        const opts = parseGatewayOptions(rest, io.env);
        if (opts.help) {
          io.stdout(GATEWAY_USAGE);
          return EXIT_OK;
        }
        const { createEngine } = await import('../engine-bundle');
        return await runGateway(opts, io, createEngine);
      }
      case 'providers': {
        const { parseProvidersOptions, runProviders } = await import('./providers');
        const opts = parseProvidersOptions(rest, io.env);
        if (opts.help) {
          io.stdout(PROVIDERS_USAGE);
          return EXIT_OK;
        }
        return await runProviders(opts, io);
      }
      case undefined:
        io.stderr(`swarm-compute: a command is needed\n\n${USAGE}`);
        return EXIT_USAGE;
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return EXIT_OK;
      case '--version':
        io.stdout(`${VERSION}\n`);
        return EXIT_OK;
      default:
        throw new UsageError(`unknown command "${command}"; commands: submit, metrics, history, providers, serve, gateway (see --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      io.stderr(`swarm-compute: ${e.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr(`swarm-compute: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT_FAILED;
  }
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

if (require.main === module) {
  void main(process.argv.slice(2), processIo()).then((code) => {
    process.exitCode = code;
  });
}
