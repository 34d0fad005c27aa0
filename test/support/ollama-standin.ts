// An Ollama API stand-in over real HTTP (127.0.0.1, ephemeral port) that
// answers the way Ollama 0.6 does: NDJSON streams for /api/generate and
// /api/chat (stream defaults to true), 404 with Ollama's body for unknown
// models, and the failure modes a real daemon shows: cold loads (nothing,
// not even headers, until the model is loaded), hangs, crashes mid-stream,
// HTTP 500s and in-band stream errors. It records every request and whether
// the client went away before the response ended, so tests can see that a
// cancel really closed the connection.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ModelBehaviour {
  /** the streamed pieces, in order; wins over `reply` */
  tokens?: string[];
  /** the answer, streamed word by word (spaces kept) */
  reply?: string;
  /** pause between streamed chunks */
  tokenDelayMs?: number;
  /** cold load: nothing is sent (no headers either) until this has passed, as Ollama loads the model first (every request) */
  loadDelayMs?: number;
  /**
   * A cold model as Ollama has it: absent from /api/ps until its first load
   * (this long, no headers meanwhile) is over, then listed and answering at
   * once; the loading answer's `done` chunk reports it as load_duration.
   */
  coldLoadMs?: number;
  /** stop sending after this many tokens, keeping the connection open (a stalled runner) */
  stallAfterTokens?: number;
  /** served by Ollama from another machine (a `…-cloud` model): `remote_host` in /api/tags, /api/show and answers */
  remoteHost?: string;
  /** with remoteHost: only /api/show carries it (the /api/tags entry looks local) */
  remoteHostOnlyInShow?: boolean;
  /** accept the request, read it, never send headers */
  hang?: boolean;
  /** send nothing (no headers) until this settles: the test decides when generations may go on */
  hold?: Promise<void>;
  /** destroy the socket after this many token chunks (the runner crashed) */
  crashAfterTokens?: number;
  /** after this many tokens send Ollama's in-band `{"error": ...}` line and end the stream */
  streamErrorAfterTokens?: { after: number; error: string };
  /** answer with this HTTP status and `{"error": message}` instead of generating */
  httpError?: { status: number; error: string };
  /** /api/show's `model_info["llama.context_length"]` (default 131072, as llama3.2); null: /api/show answers 404 as old servers do */
  contextLength?: number | null;
  /** /api/show's `parameters` line `num_ctx N` (the context the model is run with) */
  numCtx?: number;
}

export interface OllamaStandinOptions {
  /** installed models by name ("llama3.2" means "llama3.2:latest") with their behaviour */
  models?: Record<string, ModelBehaviour>;
  /** applies to every model, under each model's own behaviour */
  defaults?: ModelBehaviour;
  /** every route (version, tags too) accepts and never answers: a wedged daemon */
  wedged?: boolean;
  /** one generation at a time, as Ollama with OLLAMA_NUM_PARALLEL=1: later requests wait (no headers) in a queue */
  serial?: boolean;
  /** answer only generate/chat (and version), as some Ollama-compatible servers do: 404 for /api/tags, /api/show, /api/ps */
  generationOnly?: boolean;
  version?: string;
  /** listen on this port (default: any free one) */
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** parsed JSON body, or the raw text when it was not JSON */
  body: unknown;
  model: string | undefined;
  receivedAt: number;
  /** token chunks written so far */
  tokensSent: number;
  /** the response was completely written */
  finished: boolean;
  /** the connection closed before the response was completely written (client abort, or our crash) */
  closedEarly: boolean;
  /** resolves once the response is finished or the connection closed */
  settled: Promise<void>;
}

export interface OllamaStandin {
  /** base URL, e.g. http://127.0.0.1:43121 */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  setModel(name: string, behaviour?: ModelBehaviour): void;
  removeModel(name: string): void;
  setDefaults(behaviour: ModelBehaviour): void;
  setWedged(wedged: boolean): void;
  /** the models /api/ps lists now (full names) */
  loadedModels(): string[];
  /** the first recorded request (past or future) that matches */
  waitForRequest(match?: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  stop(): Promise<void>;
}

const DEFAULT_REPLY = 'Hello from the stand-in model.';

export function fullModelName(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

/** Split text into word pieces that concatenate back to it, as a tokenizer would stream it. */
export function wordTokens(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

/** A port on 127.0.0.1 that nothing listens on any more (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startOllamaStandin(options: OllamaStandinOptions = {}): Promise<OllamaStandin> {
  const models = new Map<string, ModelBehaviour>();
  for (const [name, b] of Object.entries(options.models ?? { 'llama3.2': {} })) models.set(fullModelName(name), b);
  let defaults: ModelBehaviour = options.defaults ?? {};
  let wedged = options.wedged ?? false;
  // what /api/ps lists: a model is loaded unless it loads cold (or on every request)
  const loaded = new Set<string>();
  for (const [name, b] of models) if (b.coldLoadMs === undefined && b.loadDelayMs === undefined) loaded.add(name);
  const loading = new Map<string, Promise<void>>();
  let unloads = 0;
  // the serial queue: each generation waits for the one before it
  let queueTail: Promise<void> = Promise.resolve();
  const version = options.version ?? '0.6.5';
  const requests: RecordedRequest[] = [];
  const waiters = new Set<{ match: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (!(ms > 0)) return resolve();
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const server = createServer((req, res) => {
    void handle(req, res).catch((err) => {
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    let bodyIsJson = false;
    if (raw) {
      try {
        body = JSON.parse(raw);
        bodyIsJson = true;
      } catch {
        /* kept raw */
      }
    }
    const path = (req.url ?? '/').split('?')[0];
    const model = bodyIsJson && typeof (body as { model?: unknown }).model === 'string' ? (body as { model: string }).model : undefined;
    let settle!: () => void;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      body,
      model,
      receivedAt: Date.now(),
      tokensSent: 0,
      finished: false,
      closedEarly: false,
      settled: new Promise<void>((r) => (settle = r)),
    };
    res.on('finish', () => {
      record.finished = true;
      settle();
    });
    res.on('close', () => {
      if (!record.finished) record.closedEarly = true;
      settle();
    });
    requests.push(record);
    for (const w of waiters) {
      if (w.match(record)) {
        waiters.delete(w);
        w.resolve(record);
      }
    }

    if (wedged) return; // never answer
    const route = `${req.method} ${path}`;
    if (options.generationOnly && ['/api/tags', '/api/show', '/api/ps'].includes(path)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return void res.end('404 page not found');
    }
    switch (route) {
      case 'GET /':
      case 'HEAD /':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        return void res.end('Ollama is running');
      case 'GET /api/version':
        return sendJson(res, 200, { version });
      case 'GET /api/tags':
        return sendJson(res, 200, { models: [...models.keys()].map(tagEntry) });
      case 'GET /api/ps':
        return sendJson(res, 200, { models: [...loaded].filter((n) => models.has(n)).map(psEntry) });
      case 'POST /api/show':
        return show(body, res);
      case 'POST /api/generate':
      case 'POST /api/chat':
        return generate(path === '/api/chat' ? 'chat' : 'generate', body, bodyIsJson, record, res);
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return void res.end('404 page not found');
    }
  }

  async function generate(kind: 'generate' | 'chat', body: unknown, bodyIsJson: boolean, record: RecordedRequest, res: ServerResponse) {
    if (!bodyIsJson || typeof body !== 'object' || body === null) return sendJson(res, 400, { error: 'invalid request body' });
    const b = body as { model?: unknown; prompt?: unknown; messages?: unknown; stream?: unknown };
    if (typeof b.model !== 'string' || b.model === '') return sendJson(res, 400, { error: 'model is required' });
    const own = models.get(fullModelName(b.model));
    if (!own) return sendJson(res, 404, { error: `model "${b.model}" not found, try pulling it first` });
    const behaviour: ModelBehaviour = { ...defaults, ...own };
    const stream = b.stream !== false; // Ollama streams unless told not to
    const start = process.hrtime.bigint();

    if (behaviour.hang) return;
    let release = () => {};
    if (options.serial) {
      const before = queueTail;
      queueTail = new Promise<void>((r) => (release = r));
      res.on('close', () => release());
      await before;
      if (res.destroyed || stopped) return;
    }
    if (behaviour.hold) await behaviour.hold;
    if (res.destroyed || stopped) return release();
    await sleep(behaviour.loadDelayMs ?? 0);
    let loadMs = behaviour.loadDelayMs ?? 0;
    const name = fullModelName(b.model);
    if (behaviour.coldLoadMs !== undefined && !loaded.has(name)) {
      const t0 = Date.now();
      let load = loading.get(name);
      if (!load) {
        const generation = unloads;
        load = sleep(behaviour.coldLoadMs).then(() => {
          // a model set again meanwhile (unloaded) stays unloaded
          if (generation === unloads) loaded.add(name);
          loading.delete(name);
        });
        loading.set(name, load);
      }
      await load;
      loadMs = Date.now() - t0;
    }
    if (res.destroyed || stopped) return;
    if (behaviour.httpError) return sendJson(res, behaviour.httpError.status, { error: behaviour.httpError.error });

    // Ollama answers an empty generate prompt by just loading the model.
    const loadOnly = kind === 'generate' && (b.prompt === undefined || b.prompt === '');
    const tokens = loadOnly ? [] : (behaviour.tokens ?? wordTokens(behaviour.reply ?? DEFAULT_REPLY));
    const piece = (text: string, done: boolean) => ({
      model: b.model,
      created_at: new Date().toISOString(),
      ...(kind === 'chat' ? { message: { role: 'assistant', content: text } } : { response: text }),
      done,
      ...(behaviour.remoteHost ? { remote_model: b.model, remote_host: behaviour.remoteHost } : {}),
    });
    const finalChunk = (text: string) => {
      const total = Number(process.hrtime.bigint() - start);
      return {
        ...piece(text, true),
        done_reason: loadOnly ? 'load' : 'stop',
        ...(kind === 'generate' && !loadOnly ? { context: tokens.map((_, i) => 1000 + i) } : {}),
        total_duration: total,
        load_duration: loadMs * 1e6,
        prompt_eval_count: loadOnly ? 0 : 12,
        prompt_eval_duration: 1_000_000,
        eval_count: tokens.length,
        eval_duration: Math.max(1, total - loadMs * 1e6),
      };
    };

    if (!stream) {
      for (let i = 0; i < tokens.length; i++) {
        if (behaviour.crashAfterTokens !== undefined && i >= behaviour.crashAfterTokens) return void res.socket?.destroy();
        await sleep(behaviour.tokenDelayMs ?? 0);
        if (res.destroyed || stopped) return;
      }
      if (behaviour.streamErrorAfterTokens) return sendJson(res, 500, { error: behaviour.streamErrorAfterTokens.error });
      return sendJson(res, 200, finalChunk(tokens.join('')));
    }

    res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    const write = (obj: unknown) =>
      new Promise<void>((resolve) => {
        if (res.destroyed) return resolve();
        res.write(JSON.stringify(obj) + '\n', () => resolve());
      });
    for (let i = 0; i < tokens.length; i++) {
      if (i > 0) await sleep(behaviour.tokenDelayMs ?? 0);
      if (res.destroyed || stopped) return;
      if (behaviour.crashAfterTokens !== undefined && i >= behaviour.crashAfterTokens) return void res.socket?.destroy();
      if (behaviour.stallAfterTokens !== undefined && i >= behaviour.stallAfterTokens) return; // silent, connection open
      if (behaviour.streamErrorAfterTokens && i >= behaviour.streamErrorAfterTokens.after) {
        await write({ error: behaviour.streamErrorAfterTokens.error });
        return void res.end();
      }
      await write(piece(tokens[i], false));
      record.tokensSent++;
    }
    // a crash point at or past the last token: die before the final chunk
    if (behaviour.crashAfterTokens !== undefined) return void res.socket?.destroy();
    await sleep(behaviour.tokenDelayMs ?? 0);
    if (res.destroyed || stopped) return;
    res.end(JSON.stringify(finalChunk('')) + '\n');
    release();
  }

  function psEntry(name: string) {
    const { details, size, digest } = tagEntry(name);
    return { name, model: name, size, digest, details, expires_at: new Date(Date.now() + 5 * 60_000).toISOString(), size_vram: size };
  }

  function show(body: unknown, res: ServerResponse) {
    const b = (typeof body === 'object' && body !== null ? body : {}) as { model?: unknown; name?: unknown };
    const name = typeof b.model === 'string' ? b.model : typeof b.name === 'string' ? b.name : '';
    const own = models.get(fullModelName(name));
    if (!own) return sendJson(res, 404, { error: `model '${name}' not found` });
    const behaviour: ModelBehaviour = { ...defaults, ...own };
    if (behaviour.contextLength === null) return sendJson(res, 404, { error: '404 page not found' });
    return sendJson(res, 200, {
      modelfile: `FROM ${fullModelName(name)}`,
      parameters:
        behaviour.numCtx !== undefined
          ? `num_ctx                        ${behaviour.numCtx}\nstop                           "<|eot_id|>"`
          : 'stop                           "<|eot_id|>"',
      template: '{{ .Prompt }}',
      details: tagEntry(fullModelName(name)).details,
      model_info: { 'general.architecture': 'llama', 'llama.context_length': behaviour.contextLength ?? 131072 },
      capabilities: ['completion'],
      modified_at: '2025-03-14T10:12:43.219871+01:00',
      ...(own.remoteHost ? { remote_model: fullModelName(name), remote_host: own.remoteHost } : {}),
    });
  }

  function tagEntry(name: string) {
    const family = name.split(/[:.\d]/)[0] || 'llama';
    const own = models.get(name);
    const remote = own?.remoteHostOnlyInShow ? undefined : own?.remoteHost;
    return {
      ...(remote ? { remote_model: name, remote_host: remote } : {}),
      name,
      model: name,
      modified_at: '2025-03-14T10:12:43.219871+01:00',
      size: 2019393189,
      digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
      details: {
        parent_model: '',
        format: 'gguf',
        family,
        families: [family],
        parameter_size: '3.2B',
        quantization_level: 'Q4_K_M',
      },
    };
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setModel(name, behaviour = {}) {
      models.set(fullModelName(name), behaviour);
      unloads++;
      loading.delete(fullModelName(name));
      if (behaviour.coldLoadMs === undefined && behaviour.loadDelayMs === undefined) loaded.add(fullModelName(name));
      else loaded.delete(fullModelName(name));
    },
    removeModel(name) {
      models.delete(fullModelName(name));
      loaded.delete(fullModelName(name));
    },
    loadedModels() {
      return [...loaded].filter((n) => models.has(n));
    },
    setDefaults(behaviour) {
      defaults = behaviour;
    },
    setWedged(w) {
      wedged = w;
    },
    waitForRequest(match = () => true, timeoutMs = 5000) {
      const seen = requests.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (r: RecordedRequest) => {
            clearTimeout(t);
            resolve(r);
          },
        };
        const t = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`the Ollama stand-in saw no matching request within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

function sendJson(res: ServerResponse, status: number, obj: unknown) {
  if (res.destroyed) return;
  const text = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The prompt of a recorded generate/chat body: `prompt`, or the last message's content (what the lane sends to /api/chat). */
export function promptOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { prompt?: unknown; messages?: { content?: unknown }[] };
  if (typeof b.prompt === 'string') return b.prompt;
  const last = Array.isArray(b.messages) ? b.messages.at(-1)?.content : undefined;
  return typeof last === 'string' ? last : undefined;
}
