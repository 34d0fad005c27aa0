// The local gateway: Ollama's API (/api/*) and OpenAI's chat completions
// (/v1/*) on one loopback port, every answer from the engine. Plain node:http:
// the two APIs are small, and streaming wants direct control of each write.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Engine, RunRequest } from '../engine/api';
import { ollamaFormat, openAiError, openAiFormat } from './answer-format';
import { answer, sendJson, type AnswerContext } from './answer-run';
import { BadRequest, ollamaChatCall, ollamaGenerateCall, openAiChatCall, type ChatCall } from './chat-call';
import { loadRefusal, modelTags, upstreamJson } from './model-list';
import { allowedHosts, refusal } from './request-guard';

export const DEFAULT_GATEWAY_PORT = 11435;
/** the Ollama version reported when the local Ollama cannot say its own */
const FALLBACK_OLLAMA_VERSION = '0.6.4';
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface GatewayOptions {
  engine: Engine;
  host: string;
  port: number;
  token: string | null;
  /** whether the swarm may answer (read per request where it can change, as in the extension) */
  swarmAllowed: boolean | (() => boolean);
  /** said in a failure when the swarm may not answer, e.g. how to turn it on */
  swarmOff?: string;
  /** per-request run options, e.g. the extension's mode and its consent modal */
  runOptions?: () => Pick<RunRequest, 'mode' | 'confirmSwarm'>;
  /** read per request: the extension's settings may change while it runs */
  ollamaHost: () => string;
  defaultModel: () => string;
  warn(message: string): void;
}

export interface Gateway {
  /** e.g. http://127.0.0.1:11435 */
  readonly url: string;
  readonly port: number;
  /** requests being answered now */
  running(): number;
  /** no new requests; running ones cancelled (nothing paid afterwards) and their rows written */
  close(): Promise<void>;
}

class TooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new TooLarge();
    chunks.push(c as Buffer);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  if (!raw.trim()) return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new BadRequest('the request body is not valid JSON');
  }
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Tools read /api/show's capabilities to decide what to send: the gateway
 * answers text only (no tool calls, no images), so it says so.
 */
function gatewayCapabilities(show: unknown): unknown {
  const s = show as { capabilities?: unknown };
  if (!s || typeof s !== 'object' || !Array.isArray(s.capabilities)) return show;
  return { ...s, capabilities: s.capabilities.filter((c) => c === 'completion') };
}

function sameModel(a: string, b: string): boolean {
  const tag = (n: string) => (n.trim().toLowerCase().includes(':') ? n.trim().toLowerCase() : `${n.trim().toLowerCase()}:latest`);
  return a.trim() !== '' && tag(a) === tag(b);
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const runs = new Map<AbortController, Promise<unknown>>();
  let closing = false;
  const swarmAllowed = typeof options.swarmAllowed === 'function' ? options.swarmAllowed : () => options.swarmAllowed as boolean;
  const ctx: AnswerContext = {
    engine: options.engine,
    swarmAllowed,
    swarmOff: options.swarmOff ?? 'the swarm is off',
    runOptions: options.runOptions ?? (() => ({})),
    track(controller, done) {
      runs.set(controller, done);
      void done.finally(() => runs.delete(controller)).catch(() => {});
    },
    warn: options.warn,
  };
  let hosts = new Set<string>();

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedNs = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0];
    const openAi = path.startsWith('/v1/');
    const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
      sendJson(res, status, openAi ? openAiError(status, code, message) : { error: message }, headers);

    const refused = refusal(req.headers, { hosts, token: options.token });
    if (refused) {
      req.resume();
      return fail(refused.status, refused.code, refused.message, refused.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
    }
    if (closing) {
      req.resume();
      return fail(503, 'shutting_down', 'the gateway is shutting down', { Connection: 'close' });
    }
    const key = `${req.method} ${path}`;
    switch (key) {
      case 'GET /':
      case 'HEAD /':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        return void res.end(req.method === 'HEAD' ? undefined : 'Ollama is running (swarm-compute gateway)');
      case 'GET /api/version': {
        const up = await upstreamJson(options.ollamaHost(), '/api/version');
        const version = typeof (up?.body as { version?: unknown })?.version === 'string' ? (up!.body as { version: string }).version : FALLBACK_OLLAMA_VERSION;
        return sendJson(res, 200, { version });
      }
      case 'GET /api/ps': {
        // which models the local Ollama has loaded (tools show it); none when it is not there
        const up = await upstreamJson(options.ollamaHost(), '/api/ps');
        return sendJson(res, 200, up?.status === 200 ? up.body : { models: [] });
      }
      case 'GET /api/tags':
        return sendJson(res, 200, { models: await modelTags(options.ollamaHost(), options.defaultModel(), swarmAllowed()) });
      case 'GET /v1/models': {
        const models = await modelTags(options.ollamaHost(), options.defaultModel(), swarmAllowed());
        const created = (m: { modified_at?: string }) => Math.floor((Date.parse(m.modified_at ?? '') || 0) / 1000);
        return sendJson(res, 200, {
          object: 'list',
          data: models.map((m) => ({ id: m.name, object: 'model', created: created(m), owned_by: 'swarm-compute' })),
        });
      }
      case 'POST /api/show': {
        // model details (context length, template) are the local Ollama's to tell
        const body = await readBody(req);
        const up = await upstreamJson(options.ollamaHost(), '/api/show', {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'Content-Type': 'application/json' },
        });
        if (up?.status === 200) return sendJson(res, 200, gatewayCapabilities(up.body));
        const asked = String((body as { model?: unknown; name?: unknown })?.model ?? (body as { name?: unknown })?.name ?? '');
        if (swarmAllowed() && sameModel(asked, options.defaultModel())) {
          // not on this machine, but the swarm may answer it
          // (the context length the engine assumes for a model it cannot ask: 8192 tokens)
          return sendJson(res, 200, {
            modelfile: '',
            parameters: '',
            template: '',
            details: { format: '', family: '', families: [], parameter_size: '', quantization_level: '' },
            model_info: { 'general.architecture': 'swarm', 'swarm.context_length': 8192 },
            capabilities: ['completion'],
          });
        }
        if (!up) return fail(503, 'no_lane_available', `Ollama at ${options.ollamaHost()} is not reachable for model details`);
        return sendJson(res, up.status, up.body);
      }
      case 'POST /api/chat':
      case 'POST /api/generate':
      case 'POST /v1/chat/completions': {
        const body = await readBody(req);
        let call: ChatCall;
        let format;
        if (key === 'POST /v1/chat/completions') {
          const c = openAiChatCall(body);
          call = c;
          format = openAiFormat(c.model, c.includeUsage);
        } else {
          call = key === 'POST /api/chat' ? ollamaChatCall(body) : ollamaGenerateCall(body);
          format = ollamaFormat(key === 'POST /api/chat' ? 'chat' : 'generate', call.model);
        }
        if (call.loadOnly) {
          // Ollama's "load the model" request: there is no prompt to run
          const unloadable = await loadRefusal(options.ollamaHost(), call.model, swarmAllowed(), ctx.swarmOff);
          if (unloadable) return fail(unloadable.status, unloadable.code, unloadable.message);
          return sendJson(res, 200, {
            ...(format.whole('', {
              startedNs,
              firstTokenNs: startedNs,
              endNs: process.hrtime.bigint(),
              promptChars: 0,
              pieces: 0,
              completionChars: 0,
            }) as object),
            done_reason: 'load',
          });
        }
        return answer(ctx, call, format, res, startedNs);
      }
      default: {
        req.resume();
        const known = ['/api/version', '/api/ps', '/api/tags', '/api/show', '/api/chat', '/api/generate', '/v1/models', '/v1/chat/completions'];
        if (known.includes(path)) return fail(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
        return fail(404, 'not_found', `${path} is not served by the swarm-compute gateway`);
      }
    }
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const openAi = (req.url ?? '').startsWith('/v1/');
      const [status, code, message] =
        err instanceof BadRequest
          ? [400, 'invalid_request', err.message]
          : err instanceof TooLarge
            ? [413, 'too_large', `the request body is larger than ${MAX_BODY_BYTES} bytes`]
            : [500, 'internal_error', `internal error: ${(err as Error).message}`];
      if (status === 500) options.warn(`gateway: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) sendJson(res, status, openAi ? openAiError(status, code, message) : { error: message });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(options.host, port);
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;

  return {
    url: `http://${urlHost(shownHost)}:${port}`,
    port,
    running: () => runs.size,
    async close() {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const controller of runs.keys()) controller.abort();
      await Promise.allSettled([...runs.values()]);
      // the cancelled answers are written; give them a moment to leave, then drop what is left
      server.closeIdleConnections();
      const last = setTimeout(() => server.closeAllConnections(), 1000);
      await stopped;
      clearTimeout(last);
    },
  };
}
