import type { Engine } from '../engine/api';
import type { FallbackResult } from '../run/result';
import { UsageError } from './args';
import { historyPath } from './defaults';
import { cliEngineOptions } from './engine-options';
import { humanSummary, submitJson, type SubmitFacts } from './output';
import type { SubmitOptions } from './submit-options';
import type { CliIo } from './io';
import { retentionCutoff } from '../history/retention';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_CANCELLED = 130;

type CreateEngine = (options: import('../engine/api').EngineOptions) => Promise<Engine>;

/** Runs one submit to the end and returns the exit code. Never leaves a job unrecorded. */
export async function runSubmit(opts: SubmitOptions, io: CliIo, createEngine: CreateEngine): Promise<number> {
  // Listen first: a signal during start-up still ends as a recorded, cancelled job.
  const controller = new AbortController();
  const stopSignals = io.onSignal(() => controller.abort());
  try {
    return await submitWith(opts, io, createEngine, controller);
  } finally {
    stopSignals();
  }
}

async function submitWith(opts: SubmitOptions, io: CliIo, createEngine: CreateEngine, controller: AbortController): Promise<number> {
  let prompt = opts.prompt;
  if (prompt === '-') {
    // Said once the signal handlers are in place: a script (or a test) may signal from here on.
    io.stderr('Reading the prompt from standard input (end it with Ctrl-D)…\n');
    const read = await readStdin(io, controller.signal);
    // Cancelled while the prompt was still being typed: nothing was started or sent, but the submit leaves its row.
    if (read === null) return recordCancelledRead(opts, io, createEngine);
    prompt = read;
    if (!prompt.trim()) throw new UsageError('--prompt - read an empty prompt from standard input');
  }
  for (const w of opts.warnings ?? []) io.stderr(`warning: ${w}\n`);
  // local-only never needs (or creates) a Nostr identity: it opens no relay connection.
  const usesSwarm = opts.settings.mode === 'fallback' || opts.settings.mode === 'swarm-only';
  const engine = await createEngine({ ...cliEngineOptions(opts, io, usesSwarm), payTimeoutMs: payTimeoutFromEnv(io.env) });

  try {
    const cutoff = opts.keepDays !== null ? retentionCutoff(opts.keepDays) : null;
    if (cutoff !== null) await engine.history.blankTextBefore(cutoff);
    const conversationId = await conversationToContinue(opts, engine, historyPath(opts.dataDir));
    const handle = engine.run({ prompt, ...(conversationId ? { conversationId } : {}) }, controller.signal);
    const progress = (line: string) => (opts.json ? io.stderr(line) : io.stdout(line));
    let streamedAny = false;
    let streamed = '';
    for await (const event of handle.events) {
      if (event.type === 'token' && opts.stream) {
        streamedAny = true;
        streamed += event.text;
        if (opts.json) io.stderr(event.text);
        else io.stdout(event.text);
      } else if (event.type === 'status' && event.state === 'fallback') {
        if (streamedAny) progress('\n');
        streamed = '';
        streamedAny = false;
        progress(`⚠ ${event.message}\n`);
      } else if (event.type === 'status' && (event.state === 'loading' || event.state === 'hedge')) {
        // waiting news (a model loading, the swarm asked as well) is progress, never the answer
        io.stderr(`${event.message}\n`);
      } else if (event.type === 'payment' && event.outcome === 'refused') {
        io.stderr(`warning: ${event.message}\n`);
      } else if (event.type === 'context' && event.leftOutTurns > 0) {
        io.stderr(
          `note: ${event.leftOutTurns} earlier turn(s) left out to fit the model's context of ${event.contextTokens} tokens; ` +
            `${event.earlierTurns} sent with the prompt\n`,
        );
      } else if (event.type === 'job') {
        io.stderr(`job ${event.jobId} accepted by ${event.relays.join(', ')}\n`);
      }
    }
    const result: FallbackResult = await handle.result;
    const row = await engine.history.get(handle.id);
    const facts: SubmitFacts = {
      result,
      model: opts.settings.model,
      localAttempted: row?.localAttempted ?? opts.settings.mode !== 'swarm-only',
      jobId: row && row.jobId !== row.id ? row.jobId : null,
      provider: row?.provider ?? null,
      costMsats: row?.costMsats ?? 0,
      durationMs: row?.durationMs ?? (result.lane === 'failed' ? 0 : result.durationMs),
      localError: row?.localError ?? null,
      paymentUnconfirmed: row?.paymentState === 'unconfirmed',
      conversationId: handle.conversationId,
    };
    if (opts.stream && streamedAny) {
      // The final text is the answer: print what the stream missed (a relay
      // can drop a partial), or say plainly that the provider's result differs.
      const final = result.lane === 'failed' ? null : result.response;
      const print = (t: string) => (opts.json ? io.stderr(t) : io.stdout(t));
      if (final !== null && final !== streamed) {
        if (final.startsWith(streamed)) print(final.slice(streamed.length));
        else print(`\n[the final answer differs from the streamed text:]\n${final}`);
      }
      print(opts.json ? '\n' : '\n\n');
    }
    if (opts.json) io.stdout(`${JSON.stringify(submitJson(facts))}\n`);
    else {
      io.stdout(humanSummary(facts, opts.stream && streamedAny));
      io.stderr(`Conversation: ${handle.conversationId}\n`);
    }
    if (result.lane !== 'failed') return EXIT_OK;
    return result.cancelled || controller.signal.aborted ? EXIT_CANCELLED : EXIT_FAILED;
  } finally {
    await engine.dispose();
  }
}

/**
 * The conversation --conversation or --continue names, checked before
 * anything is sent: an id the history does not know is bad usage (exit 2).
 */
async function conversationToContinue(opts: SubmitOptions, engine: Engine, historyFile: string): Promise<string | null> {
  if (opts.continueNewest) {
    const newest = await engine.history.newestConversationId();
    if (newest === null) throw new UsageError(`--continue: there is no conversation to continue in ${historyFile}`);
    return newest;
  }
  if (opts.conversationId === null) return null;
  // a job served to someone else is not a conversation of this user's
  if (!(await engine.history.conversation(opts.conversationId)).some((r) => r.lane !== 'served')) {
    throw new UsageError(`--conversation "${opts.conversationId}" is not a conversation in ${historyFile}`);
  }
  return opts.conversationId;
}

async function recordCancelledRead(opts: SubmitOptions, io: CliIo, createEngine: CreateEngine): Promise<number> {
  // nothing will be sent: no identity is needed (or created), no wallet
  const engine = await createEngine(cliEngineOptions({ ...opts, nwcUri: null }, io, false));
  try {
    await engine.recordUnstarted('cancelled while the prompt was read from standard input');
  } finally {
    await engine.dispose();
  }
  return EXIT_CANCELLED;
}

/** Standard input as text, or null when a signal cancelled the read. */
function readStdin(io: CliIo, signal: AbortSignal): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const input = io.stdin();
    const onAbort = () => {
      input.destroy();
      resolve(null);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    input.on('data', (c: Buffer) => chunks.push(c));
    input.on('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      reject(e);
    });
    input.on('end', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/**
 * SWARM_COMPUTE_PAY_TIMEOUT_MS: how long pay_invoice may take before the
 * payment counts as unconfirmed (default 60 s; tests shorten it).
 */
function payTimeoutFromEnv(env: NodeJS.ProcessEnv | Record<string, string | undefined>): number | undefined {
  const raw = env.SWARM_COMPUTE_PAY_TIMEOUT_MS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`SWARM_COMPUTE_PAY_TIMEOUT_MS must be a whole number of ms ≥ 1, got "${raw}"`);
  return n;
}
