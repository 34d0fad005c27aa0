// What a user waits for (issue 9): fallback mode against a perfect router
// that knows beforehand which lane answers best, measured in the same run,
// for the local situations real machines show. Each scenario runs the engine
// (dist/engine.js) with the default settings and with hedging at 3 s, and
// the "router" as the better of a local-only and a swarm-only run started
// at t=0. Figures: first byte of the answer shown and the complete answer,
// as ratios ours / router. Not part of npm test.
//   node --import tsx bench/user-wait.ts [--reps=N] [--only=healthy,cold]
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Engine, EngineOptions, EngineSettings, Mode } from '../src/engine/api';
import { startRelay } from '../test/support/relay';
import { startTestProvider } from '../test/support/test-provider';
import { closedPort, startOllamaStandin, type ModelBehaviour, type OllamaStandin } from '../test/support/ollama-standin';
import { engineOptions, engineSettings } from '../test/support/engine-options';
import { summarize } from './stats';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createEngine } = require('../dist/engine.js') as { createEngine: (o: EngineOptions) => Promise<Engine> };

const args = process.argv.slice(2);
const reps = Number(args.find((a) => a.startsWith('--reps='))?.slice(7) ?? 1);
const only =
  args
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',') ?? null;
const log = (m: string) => process.stderr.write(`${m}\n`);

// a CPU-only 7B model streams ~10 tokens/s; a GPU one ~25: the healthy model here
const HEALTHY_TOKENS = Array.from({ length: 40 }, (_, i) => `word${i} `);
const SLOW_TOKENS = Array.from({ length: 100 }, (_, i) => `slow${i} `);

interface Scenario {
  name: string;
  model: string;
  behaviour?: ModelBehaviour;
  /** Ollama not running at all */
  down?: boolean;
  /** the model is not pulled */
  missing?: boolean;
  /** one request at a time, and another one runs for this long */
  busyForMs?: number;
  /** local is the right lane for the router */
  localAnswers: boolean;
  /** reset between runs (a cold model is cold again) */
  coldAgain?: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'healthy', model: 'healthy', behaviour: { tokens: HEALTHY_TOKENS, tokenDelayMs: 40 }, localAnswers: true },
  { name: 'Ollama down', model: 'healthy', down: true, localAnswers: false },
  { name: 'model missing', model: 'not-pulled', missing: true, localAnswers: false },
  { name: 'cold load (8 s)', model: 'cold', behaviour: { coldLoadMs: 8000, tokens: HEALTHY_TOKENS, tokenDelayMs: 40 }, localAnswers: false, coldAgain: true },
  { name: 'busy (10 s queue)', model: 'busy', behaviour: { tokens: HEALTHY_TOKENS, tokenDelayMs: 40 }, busyForMs: 10_000, localAnswers: false },
  { name: 'hung', model: 'hung', behaviour: { hang: true }, localAnswers: false },
  { name: 'slow CPU (10 tok/s)', model: 'slow', behaviour: { tokens: SLOW_TOKENS, tokenDelayMs: 100 }, localAnswers: true },
  { name: 'crash mid-stream', model: 'crash', behaviour: { tokens: HEALTHY_TOKENS, tokenDelayMs: 40, crashAfterTokens: 10 }, localAnswers: false },
];

interface Timing {
  firstByteMs: number | null;
  completeMs: number | null;
  lane: string;
}

async function timeRun(engine: Engine, prompt: string): Promise<Timing> {
  const t0 = performance.now();
  const handle = engine.run({ prompt });
  let first: number | null = null;
  let lane: string | null = null;
  for await (const e of handle.events) {
    if (e.type === 'token' && first === null) {
      first = performance.now() - t0;
      lane = e.lane;
    }
    // a lane change after tokens (local failed mid-stream): the user's first byte of the ANSWER comes later
    if (e.type === 'status' && e.state === 'fallback') first = null;
  }
  const result = await handle.result;
  const complete = performance.now() - t0;
  return {
    firstByteMs: result.lane === 'failed' ? null : (first ?? complete),
    completeMs: result.lane === 'failed' ? null : complete,
    lane: lane ?? result.lane,
  };
}

async function main(): Promise<void> {
  const relay = await startRelay();
  const provider = await startTestProvider({
    relays: [relay.url],
    // a fast free provider: processing, two partials, the result
    script: { partials: ['From ', 'the swarm '], chunkDelayMs: 20, result: 'From the swarm quickly.' },
  });
  const dirs: string[] = [];
  let asked = 0;
  const rows: { scenario: string; config: string; firstByte: number | null; complete: number | null; routerFirst: number; routerComplete: number }[] = [];

  // every engine asks the one provider, with the time a slow swarm answer needs
  const swarm = { relays: [relay.url], providers: [provider.pubkey], swarmTimeoutSecs: 60 };
  const newEngine = (settings: EngineSettings) => {
    const options = engineOptions(settings, 'bench-wait-');
    dirs.push(dirname(options.historyFile));
    return createEngine(options);
  };
  try {
    // warm-up (JIT, first connections): whichever engine runs first would otherwise pay for it
    {
      const warm = await startOllamaStandin({ models: { warm: { reply: 'warm' } } });
      for (const mode of ['swarm-only', 'local-only', 'fallback'] as Mode[]) {
        const e = await newEngine(engineSettings({ mode, model: 'warm', ollamaHost: warm.url, ...swarm }));
        await timeRun(e, `warm-up ${mode} ${process.pid}`);
        await e.dispose();
      }
      await warm.stop();
    }
    for (const sc of SCENARIOS) {
      if (only && !only.some((o) => sc.name.startsWith(o))) continue;
      const ollama: OllamaStandin | null = sc.down
        ? null
        : await startOllamaStandin({
            serial: sc.busyForMs !== undefined,
            models: {
              [sc.model]: sc.behaviour ?? {},
              ...(sc.missing ? { other: {} } : {}),
              // what keeps a busy Ollama busy: another client's long generation
              ...(sc.busyForMs !== undefined ? { hog: { tokens: Array.from({ length: Math.ceil(sc.busyForMs / 40) }, () => 'x '), tokenDelayMs: 40 } } : {}),
            },
          });
      if (sc.missing) ollama!.removeModel(sc.model);
      const host = ollama ? ollama.url : `http://127.0.0.1:${await closedPort()}`;
      const engineFor = (mode: Mode, hedgeAfterSecs: number) =>
        newEngine(engineSettings({ mode, model: sc.model, ollamaHost: host, ...swarm, localStallSecs: 30, hedgeAfterSecs, allowOllamaCloud: false }));
      const engines = {
        defaults: await engineFor('fallback', 0),
        hedge3: await engineFor('fallback', 3),
        local: await engineFor('local-only', 0),
        swarm: await engineFor('swarm-only', 0),
      };
      const prepare = async () => {
        if (sc.coldAgain && ollama) ollama.setModel(sc.model, sc.behaviour);
        if (sc.busyForMs !== undefined && ollama) {
          // another client holds the model for busyForMs (a long generation in another window)
          const ac = new AbortController();
          void fetch(`${ollama.url}/api/chat`, {
            method: 'POST',
            body: JSON.stringify({ model: 'hog', messages: [{ role: 'user', content: 'other' }] }),
            signal: ac.signal,
          })
            .then(async (r) => {
              const reader = r.body?.getReader();
              while (reader && !(await reader.read()).done);
            })
            .catch(() => {});
          const seen = ollama.requests.length;
          await ollama.waitForRequest((r) => ollama.requests.indexOf(r) >= seen && r.model === 'hog');
          setTimeout(() => ac.abort(), sc.busyForMs + 5000).unref();
        }
      };
      for (let i = 0; i < reps; i++) {
        const prompt = () => `Explain closures (${process.pid}-${++asked})`;
        // the router: the lane it would pick, started at t=0
        await prepare();
        const router = sc.localAnswers ? await timeRun(engines.local, prompt()) : await timeRun(engines.swarm, prompt());
        for (const [config, engine] of [
          ['default settings', engines.defaults],
          ['hedging at 3 s', engines.hedge3],
        ] as const) {
          await prepare();
          log(`${sc.name}: ${config} …`);
          const ours = await timeRun(engine, prompt());
          rows.push({
            scenario: sc.name,
            config,
            firstByte: ours.firstByteMs,
            complete: ours.completeMs,
            routerFirst: router.firstByteMs ?? NaN,
            routerComplete: router.completeMs ?? NaN,
          });
          log(
            `  ours ${fmt(ours.completeMs)} (first ${fmt(ours.firstByteMs)}) via ${ours.lane}; router ${fmt(router.completeMs)} (first ${fmt(router.firstByteMs)}) via ${router.lane}`,
          );
        }
      }
      for (const e of Object.values(engines)) await e.dispose();
      await ollama?.stop();
    }
  } finally {
    await provider.stop();
    await relay.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }

  const table: string[] = ['| situation | settings | first byte: ours / router | complete: ours / router |', '| --- | --- | --- | --- |'];
  const results: Record<string, unknown>[] = [];
  const keys = [...new Set(rows.map((r) => `${r.scenario}\u0000${r.config}`))];
  for (const k of keys) {
    const [scenario, config] = k.split('\u0000');
    const rs = rows.filter((r) => r.scenario === scenario && r.config === config);
    const ratio = (a: (r: (typeof rs)[number]) => number | null, b: (r: (typeof rs)[number]) => number) => {
      const xs = rs.map((r) => (a(r) === null ? NaN : a(r)! / b(r))).filter(Number.isFinite);
      return xs.length ? summarize(xs).median : NaN;
    };
    const med = (f: (r: (typeof rs)[number]) => number | null) => summarize(rs.map(f).filter((x): x is number => x !== null && Number.isFinite(x))).median;
    const fr = ratio(
      (r) => r.firstByte,
      (r) => r.routerFirst,
    );
    const cr = ratio(
      (r) => r.complete,
      (r) => r.routerComplete,
    );
    const cell = (ours: number, router: number, r: number) =>
      Number.isFinite(r) ? `${(ours / 1000).toFixed(2)} s / ${(router / 1000).toFixed(2)} s = ${r.toFixed(2)}×` : 'no answer';
    table.push(
      `| ${scenario} | ${config} | ${cell(
        med((r) => r.firstByte),
        med((r) => r.routerFirst),
        fr,
      )} | ${cell(
        med((r) => r.complete),
        med((r) => r.routerComplete),
        cr,
      )} |`,
    );
    results.push({ scenario, config, firstByteRatio: fr, completeRatio: cr, runs: rs });
  }
  process.stdout.write(`${table.join('\n')}\n`);
  writeFileSync(join(__dirname, 'user-wait-results.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, reps, results }, null, 2));
}

function fmt(ms: number | null): string {
  return ms === null ? 'no answer' : `${(ms / 1000).toFixed(2)} s`;
}

void main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
