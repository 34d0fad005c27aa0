// One API request = one engine run, exactly as a `submit`: one history row
// (source 'gateway'), the same lanes, caps and budgets. Headers wait for the
// first token, so an error before it still gets its own status code; the
// client going away aborts the run (Ollama's request aborted, a swarm job
// deleted, nothing paid afterwards).
import type { ServerResponse } from 'node:http';
import type { Engine, RunHandle, RunRequest } from '../engine/api';
import { ConfigError } from '../run/errors';
import type { AnswerFormat, AnswerStats } from './answer-format';
import type { ChatCall } from './chat-call';
import { runText } from './conversation-prompt';
import { describeFailure } from './run-failure';

export const LANE_HEADER = 'x-swarm-compute-lane';
export const COST_HEADER = 'x-swarm-compute-cost-msats';
export const PROVIDER_HEADER = 'x-swarm-compute-provider';

export interface AnswerContext {
  engine: Engine;
  swarmAllowed(): boolean;
  /** said in a failure when the swarm may not answer */
  swarmOff: string;
  /** merged into each run: the extension's mode and consent */
  runOptions(): Pick<RunRequest, 'mode' | 'confirmSwarm'>;
  /** the run's life, for shutdown: cancel it, and wait for it */
  track(controller: AbortController, done: Promise<unknown>): void;
  warn(message: string): void;
}

interface LaneFacts {
  lane: string;
  costMsats: number;
  provider: string | null;
}

function laneHeaders(f: LaneFacts): Record<string, string> {
  return { [LANE_HEADER]: f.lane, [COST_HEADER]: String(f.costMsats), [PROVIDER_HEADER]: f.provider ?? '' };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function answer(ctx: AnswerContext, call: ChatCall, format: AnswerFormat, res: ServerResponse, startedNs: bigint): Promise<void> {
  const text = runText(call.messages);
  const request: RunRequest = { ...text, model: call.model, messages: call.messages, source: 'gateway', ...ctx.runOptions() };
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  res.on('close', onClose);
  let handle;
  try {
    handle = ctx.engine.run(request, controller.signal);
  } catch (e) {
    res.off('close', onClose);
    if (e instanceof ConfigError) return sendJson(res, 400, format.error(400, 'invalid_request', e.message));
    throw e;
  }
  const done = streamAnswer(handle, call, format, res, startedNs, controller, ctx).finally(() => res.off('close', onClose));
  ctx.track(controller, done);
  return done;
}

async function streamAnswer(
  handle: RunHandle,
  call: ChatCall,
  format: AnswerFormat,
  res: ServerResponse,
  startedNs: bigint,
  controller: AbortController,
  ctx: AnswerContext,
): Promise<void> {
  const stats: AnswerStats = {
    startedNs,
    firstTokenNs: null,
    endNs: startedNs,
    promptChars: call.messages.reduce((n, m) => n + m.content.length, 0),
    pieces: 0,
    completionChars: 0,
  };
  let streamed = '';
  let costSoFar = 0;
  let providerSoFar: string | null = null;
  let midStreamFailure: string | null = null;
  /** where the swarm's text starts in `streamed` after a mid-stream local failure */
  let swarmStartsAt = 0;
  let withTrailers = false;
  const write = (chunk: string) => {
    if (!res.destroyed) res.write(chunk);
  };

  for await (const event of handle.events) {
    if (event.type === 'payment' && event.outcome === 'paid') {
      costSoFar += event.amountMsats;
      providerSoFar = event.provider;
    } else if (event.type === 'token' && call.stream) {
      if (stats.firstTokenNs === null) {
        stats.firstTokenNs = process.hrtime.bigint();
        res.writeHead(200, {
          'Content-Type': format.streamType,
          'Cache-Control': 'no-cache',
          ...laneHeaders({ lane: event.lane, costMsats: costSoFar, provider: providerSoFar }),
          // what the swarm's answer finally cost (a pay-after invoice) is known only at the end
          Trailer: [LANE_HEADER, COST_HEADER, PROVIDER_HEADER].join(', '),
        });
        withTrailers = true;
      }
      streamed += event.text;
      stats.pieces++;
      write(format.chunk(event.text));
    } else if (event.type === 'status' && event.state === 'fallback' && streamed.length > 0 && call.stream) {
      // Half a local answer is already with the client and a stream cannot take
      // it back. The fallback rules hold as for submit: the swarm answers, after
      // a line that says the text above it was superseded (as the chat marks it).
      midStreamFailure = event.message;
      const note = `\n\n---\n_${event.message.replace(/ - falling back to marketplace$/, '')}; the answer below is the swarm's._\n\n`;
      streamed += note;
      write(format.chunk(note));
      swarmStartsAt = streamed.length;
    }
  }
  const result = await handle.result;
  const row = await ctx.engine.history.get(handle.id).catch(() => null);
  stats.endNs = process.hrtime.bigint();
  const facts: LaneFacts = { lane: result.lane, costMsats: row?.costMsats ?? costSoFar, provider: row?.provider ?? providerSoFar };
  if (res.destroyed) return; // the client went away: the run was cancelled, nobody to tell

  if (result.lane === 'failed') {
    const failure = describeFailure(result, ctx.swarmAllowed(), ctx.swarmOff);
    const message = midStreamFailure && !res.headersSent ? midStreamFailure : failure.message;
    if (res.headersSent) {
      if (withTrailers) res.addTrailers(laneHeaders(facts));
      res.end(format.streamError(message));
    } else {
      sendJson(res, failure.status, format.error(failure.status, failure.code, message), laneHeaders(facts));
    }
    return;
  }
  const final = result.response;
  stats.completionChars = final.length;
  if (!call.stream) {
    stats.firstTokenNs ??= stats.endNs;
    stats.pieces = 1;
    return sendJson(res, 200, format.whole(final, stats), laneHeaders(facts));
  }
  if (!res.headersSent) {
    // an answer without streamed tokens (a provider that sent only its result)
    res.writeHead(200, { 'Content-Type': format.streamType, 'Cache-Control': 'no-cache', ...laneHeaders(facts) });
  }
  // The final text is the answer: send what the stream missed (a relay can drop a partial).
  const answered = streamed.slice(swarmStartsAt);
  if (final !== answered) {
    if (final.startsWith(answered)) {
      write(format.chunk(final.slice(answered.length)));
      stats.pieces++;
    } else {
      ctx.warn(`the provider's final answer differs from its streamed text; the client got the streamed one`);
    }
  }
  if (withTrailers) res.addTrailers(laneHeaders(facts));
  res.end(format.end(stats));
}
