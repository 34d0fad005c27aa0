// 6. The local gateway's overhead: the same bare `ollama` client streaming
// /api/generate from the Ollama stand-in directly, and through
// `swarm-compute gateway` (the built CLI in its own process, local only),
// run by run in alternation. The gateway's part: HTTP in, the engine (history
// row, lane), re-encoding each chunk, HTTP out.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import type { ServerAddresses } from './servers';
import { ratioRow, type Row } from './stats';

const CLI = join(__dirname, '..', 'dist', 'cli.js');
const since = (t0: number) => performance.now() - t0;
let n = 0;
const nextPrompt = () => `gateway bench prompt ${n++}`;

async function startGateway(s: ServerAddresses, dir: string): Promise<{ url: string; child: ChildProcess }> {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('SWARM_COMPUTE_') || k === 'OLLAMA_HOST') delete env[k];
  const child = spawn(process.execPath, [CLI, 'gateway', '--port', '0', '--local-only', '--ollama-host', s.ollama, '--data-dir', dir], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+?)\s/.exec(err);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited (${code}): ${err}`)));
  });
  return { url, child };
}

export async function gatewayPath(s: ServerAddresses, runs: number, label: string): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-gateway-'));
  const gateway = await startGateway(s, dir);
  const ttft = { ours: [] as number[], raw: [] as number[] };
  const total = { ours: [] as number[], raw: [] as number[] };
  const stream = async (host: string, into: 'ours' | 'raw') => {
    const t0 = performance.now();
    const client = new Ollama({ host });
    let first = NaN;
    let text = '';
    for await (const chunk of await client.generate({ model: s.model, prompt: nextPrompt(), stream: true })) {
      if (chunk.response) {
        if (!text) first = since(t0);
        text += chunk.response;
      }
    }
    const t = since(t0);
    if (text.split(' ').length !== s.tokens) throw new Error(`${into}: ${text.split(' ').length} tokens`);
    ttft[into].push(first);
    total[into].push(t);
  };
  try {
    for (let i = 0; i < 2; i++) (await stream(gateway.url, 'ours'), await stream(s.ollama, 'raw'));
    ttft.ours.length = ttft.raw.length = total.ours.length = total.raw.length = 0;
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) (await stream(gateway.url, 'ours'), await stream(s.ollama, 'raw'));
      else (await stream(s.ollama, 'raw'), await stream(gateway.url, 'ours'));
    }
  } finally {
    gateway.child.kill('SIGTERM');
    await new Promise((r) => gateway.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  const row = (figure: string, m: { ours: number[]; raw: number[] }, note?: string) => ratioRow('6 gateway', `${figure} (${label})`, m, 1.05, note);
  return [
    row(
      'time to first token',
      ttft,
      'ours = the bare ollama client through `swarm-compute gateway --local-only` (its own process); raw = the same client straight to the stand-in',
    ),
    row(`total, ${s.tokens} tokens`, total),
  ];
}
