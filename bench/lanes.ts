// Items 1–3: the engine (the shipped bundle, dist/engine.js) against the raw
// clients on the same servers, run alternately so drift hits both alike.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Ollama } from 'ollama';
import { AbstractRelay } from 'nostr-tools/abstract-relay';
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay';
import { finalizeEvent, generateSecretKey, verifyEvent, type Event, type EventTemplate } from 'nostr-tools/pure';
import WebSocket from 'ws';
import type { Engine, EngineOptions, EngineSettings, Mode } from '../src/engine/api';
import type { ServerAddresses } from './servers';
import { pairwise, ratioRow, sideBySide, since, summarize, type Row } from './stats';
import { engineOptions, engineSettings } from '../test/support/engine-options';

useWebSocketImplementation(WebSocket);

type CreateEngine = (options: EngineOptions) => Promise<Engine>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createEngine } = require('../dist/engine.js') as { createEngine: CreateEngine };

// every run asks something new: an identical request in the same second is
// the same event id, and the relay would answer it from what it stored
let asked = 0;
const nextPrompt = () => `Explain what a NIP-90 data vending machine is, in one paragraph. (${process.pid}-${++asked})`;

function settingsFor(s: ServerAddresses, mode: Mode, ollamaHost: string): EngineSettings {
  return engineSettings({ mode, model: s.model, ollamaHost, relays: [s.relay] });
}

const engineDirs: string[] = [];

/** Removes the engines' history folders (call after their dispose()). */
export function removeEngineFolders(): void {
  for (const dir of engineDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function newEngine(s: ServerAddresses, mode: Mode, ollamaHost: string): Promise<Engine> {
  const options = engineOptions(settingsFor(s, mode, ollamaHost), 'bench-engine-');
  engineDirs.push(dirname(options.historyFile));
  return createEngine(options);
}

/** The kind-5050 request the engine builds for the same prompt (job-request.ts), for the raw client to send. */
function jobTemplate(s: ServerAddresses, prompt: string): EventTemplate {
  return {
    kind: 5050,
    created_at: Math.floor(Date.now() / 1000),
    content: '',
    tags: [
      ['i', prompt, 'text'],
      ['param', 'model', s.model],
      ['output', 'text/plain'],
      ['bid', '1000'],
      ['relays', s.relay],
    ],
  };
}

// ---- 1. fallback decision ----------------------------------------------

/** Ollama down → job accepted by the relay: engine (run() to its `job` event) vs a bare sign + connect + publish. */
export async function fallbackDecision(s: ServerAddresses, runs: number): Promise<Row[]> {
  const engine = await newEngine(s, 'fallback', s.ollamaDown);
  const sk = generateSecretKey();
  const ours: number[] = [];
  const raw: number[] = [];
  const viaEngine = async () => {
    const t0 = performance.now();
    const handle = engine.run({ prompt: nextPrompt() });
    let accepted = NaN;
    for await (const e of handle.events) {
      if (process.env.BENCH_DEBUG) process.stderr.write(`  ${since(t0).toFixed(1)} ${e.type} ${'message' in e ? e.message : ''}\n`);
      if (e.type === 'job' && Number.isNaN(accepted)) accepted = since(t0);
    }
    const result = await handle.result;
    if (result.lane !== 'swarm') throw new Error(`fallback run ended in lane ${result.lane}: ${JSON.stringify(result)}`);
    return accepted;
  };
  const bare = async () => {
    const t0 = performance.now();
    const event = finalizeEvent(jobTemplate(s, nextPrompt()), sk);
    const relay = await Relay.connect(s.relay);
    await relay.publish(event);
    const t = since(t0);
    relay.close();
    return t;
  };
  for (let i = 0; i < 3; i++) (await viaEngine(), await bare()); // warm-up: JIT, first fetch, first connection
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) (ours.push(await viaEngine()), raw.push(await bare()));
    else (raw.push(await bare()), ours.push(await viaEngine()));
  }
  await engine.dispose();
  const fallback = sideBySide(ours, raw);
  return [
    {
      item: '1 fallback',
      figure: 'Ollama down → job accepted by relay',
      unit: 'ms',
      ...fallback,
      target: 'Δ ≤ 5 ms',
      met: fallback.delta.median <= 5,
      note: 'ours = engine.run() until its `job` event: history row inserted (journal append + fsync), local attempt refused, sign, connect, REQ answered by EOSE, EVENT answered by OK; raw = nostr-tools finalizeEvent + Relay.connect + publish (OK)',
    },
  ];
}

// ---- 2. local path ------------------------------------------------------

export async function localPath(s: ServerAddresses, runs: number, tokenDelayMs: number, label: string): Promise<Row[]> {
  const engine = await newEngine(s, 'local-only', s.ollama);
  const ttft = { ours: [] as number[], raw: [] as number[] };
  const total = { ours: [] as number[], raw: [] as number[] };
  const shown = { ours: [] as number[], raw: total.raw };
  const viaEngine = async () => {
    const t0 = performance.now();
    const handle = engine.run({ prompt: nextPrompt() });
    let first = NaN;
    let done = NaN;
    let tokens = 0;
    for await (const e of handle.events) {
      if (e.type === 'token') {
        if (tokens++ === 0) first = since(t0);
      }
      if (e.type === 'done') done = since(t0);
    }
    const result = await handle.result;
    const t = since(t0);
    if (result.lane !== 'local' || tokens !== s.tokens) throw new Error(`local run: lane ${result.lane}, ${tokens} tokens`);
    ttft.ours.push(first);
    total.ours.push(t);
    shown.ours.push(done);
  };
  const bare = async () => {
    const t0 = performance.now();
    const client = new Ollama({ host: s.ollama });
    const stream = await client.generate({ model: s.model, prompt: nextPrompt(), stream: true });
    let first = NaN;
    let tokens = 0;
    for await (const chunk of stream) {
      if (chunk.response) {
        if (tokens++ === 0) first = since(t0);
      }
    }
    const t = since(t0);
    if (tokens !== s.tokens) throw new Error(`bare ollama: ${tokens} tokens`);
    ttft.raw.push(first);
    total.raw.push(t);
  };
  for (let i = 0; i < 2; i++) (await viaEngine(), await bare());
  ttft.ours.length = ttft.raw.length = total.ours.length = total.raw.length = shown.ours.length = 0;
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) (await viaEngine(), await bare());
    else (await bare(), await viaEngine());
  }
  await engine.dispose();
  const row = (figure: string, m: { ours: number[]; raw: number[] }, note?: string) => ratioRow('2 local', `${figure} (${label})`, m, 1.05, note);
  return [
    row(
      'time to first token',
      ttft,
      tokenDelayMs === 0
        ? 'burst: the stand-in sends all 500 tokens at once, so only client overhead is measured; ours includes the history row written (journal append + fsync) before the request is sent'
        : undefined,
    ),
    row(
      `total, ${s.tokens} tokens`,
      total,
      tokenDelayMs === 0 ? 'ours ends when run().result settles (history row completed); raw when the stream ends' : undefined,
    ),
    { ...row(`  until the answer is complete on screen (done event)`, shown), target: undefined, met: undefined },
  ];
}

// ---- 3. swarm path ------------------------------------------------------

type Verify = (event: Event) => boolean;
type Finalize = (t: EventTemplate, sk: Uint8Array) => Event;

/** A bare nostr-tools client doing what a NIP-90 job needs: subscribe, publish, wait for the result. */
async function bareJob(s: ServerAddresses, sk: Uint8Array, finalize: Finalize, verify: Verify): Promise<void> {
  const event = finalize(jobTemplate(s, nextPrompt()), sk);
  const relay = await AbstractRelay.connect(s.relay, { verifyEvent: verify, websocketImplementation: WebSocket as never });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bare job: no result')), 10_000);
      const sub = relay.subscribe([{ kinds: [7000, 6050], '#e': [event.id] }], {
        oneose: () => void relay.publish(event).catch(reject),
        onevent: (e) => {
          if (e.kind === 6050) {
            clearTimeout(timer);
            sub.close();
            resolve();
          }
        },
      });
    });
  } finally {
    relay.close();
  }
}

function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

export interface WasmCrypto {
  finalizeEvent: Finalize;
  verifyEvent: Verify;
}

export async function swarmPath(s: ServerAddresses, runs: number, wasm: WasmCrypto | null, crypto: CryptoMedians): Promise<Row[]> {
  const engine = await newEngine(s, 'swarm-only', s.ollamaDown);
  const sk = generateSecretKey();
  const wall = { ours: [] as number[], raw: [] as number[], rawWasm: [] as number[] };
  const shown: number[] = [];
  const cpu = { ours: [] as number[], raw: [] as number[], rawWasm: [] as number[] };
  const viaEngine = async () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const handle = engine.run({ prompt: nextPrompt() });
    let done = NaN;
    for await (const e of handle.events) if (e.type === 'done') done = since(t0);
    const result = await handle.result;
    wall.ours.push(since(t0));
    shown.push(done);
    cpu.ours.push(cpuMs(c0));
    if (result.lane !== 'swarm') throw new Error(`swarm run ended in lane ${result.lane}`);
  };
  const bare = async (w: boolean) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    if (w && wasm) await bareJob(s, sk, wasm.finalizeEvent, wasm.verifyEvent);
    else await bareJob(s, sk, finalizeEvent, verifyEvent);
    (w ? wall.rawWasm : wall.raw).push(since(t0));
    (w ? cpu.rawWasm : cpu.raw).push(cpuMs(c0));
  };
  for (let i = 0; i < 3; i++) (await viaEngine(), await bare(false), await bare(true));
  for (const k of ['ours', 'raw', 'rawWasm'] as const) ((wall[k].length = 0), (cpu[k].length = 0));
  shown.length = 0;
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) (await viaEngine(), await bare(false));
    else (await bare(false), await viaEngine());
    if (wasm) await bare(true);
  }
  await engine.dispose();
  const wallRow = sideBySide(wall.ours, wall.raw);
  const cpuRow = sideBySide(cpu.ours, cpu.raw);
  const rows: Row[] = [
    {
      item: '3 swarm',
      figure: 'full job, free provider: wall',
      unit: 'ms',
      ...wallRow,
      target: 'ratio ≤ 1.10',
      met: wallRow.ratio.median <= 1.1,
      note: 'ours ends when run().result settles: the answer shown and its history row completed (3 durable writes per job: insert, job id, outcome)',
    },
    { item: '3 swarm', figure: '  until the answer is on screen (done event)', unit: 'ms', ...sideBySide(shown, wall.raw) },
    {
      item: '3 swarm',
      figure: 'full job: client CPU',
      unit: 'ms/job',
      ...cpuRow,
      target: '≤ 3 ms/job',
      met: cpuRow.ours.median <= 3,
      note: 'process.cpuUsage() of this process (all its threads: the history worker and fs too); relay and provider run in another process',
    },
  ];
  if (crypto.wasm) {
    // the engine signs one event (the job) and verifies two (feedback, result)
    const saved = crypto.pure.sign - crypto.wasm.sign + 2 * (crypto.pure.verify - crypto.wasm.verify);
    const estimate = summarize(cpu.ours.map((x) => x - saved));
    rows.push({
      item: '3 swarm',
      figure: 'full job: client CPU if src/swarm used nostr-wasm (estimate)',
      unit: 'ms/job',
      ours: estimate,
      target: '≤ 3 ms/job',
      met: estimate.median <= 3,
      note: `measured CPU minus what nostr-wasm saves on 1 signature + 2 verifications here (${saved.toFixed(2)} ms)`,
    });
  }
  if (wasm) {
    rows.push(
      {
        item: '3 swarm',
        figure: 'bare client with nostr-wasm: wall',
        unit: 'ms',
        ours: summarize(wall.rawWasm),
        raw: summarize(wall.raw),
        ratio: summarize(pairwise(wall.rawWasm, wall.raw, (a, b) => a / b)),
      },
      {
        item: '3 swarm',
        figure: 'bare client with nostr-wasm: CPU',
        unit: 'ms/job',
        ours: summarize(cpu.rawWasm),
        raw: summarize(cpu.raw),
        ratio: summarize(pairwise(cpu.rawWasm, cpu.raw, (a, b) => a / b)),
        note: "the same bare client signing and verifying with nostr-tools/wasm (nostr-wasm) instead of the pure-JS path; 'raw' column = pure JS",
      },
    );
  }
  return rows;
}

/** Signing and verifying one event: nostr-tools' pure JS against its nostr-wasm path. */
export interface CryptoMedians {
  pure: { sign: number; verify: number };
  wasm: { sign: number; verify: number } | null;
}

export function cryptoCost(wasm: WasmCrypto | null, n: number): { rows: Row[]; medians: CryptoMedians } {
  const sk = generateSecretKey();
  const template = (i: number): EventTemplate => ({
    kind: 7000,
    created_at: Math.floor(Date.now() / 1000),
    content: `feedback ${i}`,
    tags: [
      ['status', 'processing'],
      ['e', 'a'.repeat(64)],
      ['p', 'b'.repeat(64)],
    ],
  });
  const measure = (finalize: Finalize, verify: Verify) => {
    const sign: number[] = [];
    const check: number[] = [];
    for (let i = 0; i < n + 20; i++) {
      let t0 = performance.now();
      const e = finalize(template(i), sk);
      const ts = since(t0);
      // a fresh copy without nostr-tools' cached verification (a symbol property that spread would copy)
      const copy = { id: e.id, pubkey: e.pubkey, created_at: e.created_at, kind: e.kind, tags: e.tags, content: e.content, sig: e.sig };
      t0 = performance.now();
      if (!verify(copy)) throw new Error('verification failed');
      const tv = since(t0);
      if (i >= 20) (sign.push(ts), check.push(tv));
    }
    return { sign, check };
  };
  const pure = measure(finalizeEvent, verifyEvent);
  const w = wasm ? measure(wasm.finalizeEvent, wasm.verifyEvent) : null;
  const row = (figure: string, ours: number[], raw: number[] | null): Row => ({
    item: '3 swarm',
    figure,
    unit: 'ms/event',
    ours: summarize(ours),
    raw: raw ? summarize(raw) : null,
    ratio: raw ? summarize(pairwise(ours, raw, (a, b) => a / b)) : null,
  });
  const med = (xs: number[]) => summarize(xs).median;
  const medians: CryptoMedians = {
    pure: { sign: med(pure.sign), verify: med(pure.check) },
    wasm: w ? { sign: med(w.sign), verify: med(w.check) } : null,
  };
  if (!w) return { rows: [row('sign (pure JS)', pure.sign, null), row('verify (pure JS)', pure.check, null)], medians };
  return {
    rows: [
      {
        ...row('sign: nostr-wasm vs pure JS', w.sign, pure.sign),
        note: "'ours' = nostr-tools/wasm (nostr-wasm), 'raw' = nostr-tools/pure; verified on a fresh copy of the event (no cached result)",
      },
      row('verify: nostr-wasm vs pure JS', w.check, pure.check),
    ],
    medians,
  };
}
