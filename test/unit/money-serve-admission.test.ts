// serve admission under a burst: `serve --max-concurrent 1 --max-queued 2`
// gets 150 valid jobs back to back from one relay. At most 3 are admitted
// (checked, invoiced, queued or generating); every other job gets a busy
// `error` at once, with no invoice and no Ollama call; afterwards the next
// job is answered normally.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Event } from 'nostr-tools/pure';
import { startRelay, type TestRelay } from '../support/relay';
import { startOllamaStandin, type OllamaStandin } from '../support/ollama-standin';
import { startNwcWallet, type NwcTestWallet } from '../support/nwc-wallet';
import { startCustomer, repliesTo, statusOf, statusExtra } from '../support/job-customer';
import { runCli, type CliRun } from '../support/cli';

const ANSWER = Array.from({ length: 12 }, (_, i) => `w${i} `).join('');
let ollama: OllamaStandin;
let relay: TestRelay;

before(async () => {
  ollama = await startOllamaStandin({ models: { 'llama3.2': { reply: ANSWER, tokenDelayMs: 60 } } });
  relay = await startRelay();
});
after(async () => {
  await relay.stop();
  await ollama.stop();
});

function serve(args: string[]): { run: Promise<CliRun>; stop(): Promise<CliRun>; announced: Promise<Event> } {
  let child: ChildProcess | null = null;
  const since = Math.floor(Date.now() / 1000) - 1;
  const run = runCli(
    ['serve', '--relay', relay.url, '--ollama-host', ollama.url, '--model', 'llama3.2', '--data-dir', mkdtempSync(join(tmpdir(), 'sc-admit-')), ...args],
    { timeoutMs: 180_000, onSpawn: (c) => (child = c) },
  );
  return {
    run,
    announced: relay.waitFor({ kinds: [31990], since }, 20_000),
    async stop() {
      child!.kill('SIGTERM');
      return run;
    },
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const generations = (since: number) => ollama.requests.slice(since).filter((r) => r.path === '/api/generate' || r.path === '/api/chat').length;

test('150 jobs at once: 3 admitted, 147 busy errors at once without an Ollama call; the next job is answered', async () => {
  const server = serve(['--max-concurrent', '1', '--max-queued', '2']);
  const customer = await startCustomer([relay.url]);
  try {
    const announcement = await server.announced;
    const provider = announcement.pubkey;
    const ollamaBefore = ollama.requests.length;
    // Ollama holds the first generation until the whole burst has been judged,
    // so what is admitted does not depend on how fast this machine is today.
    let openOllama!: () => void;
    ollama.setModel('llama3.2', { reply: ANSWER, tokenDelayMs: 60, hold: new Promise<void>((r) => (openOllama = r)) });
    const jobs = await Promise.all(Array.from({ length: 150 }, (_, i) => customer.submit({ prompt: `burst ${i}`, model: 'llama3.2', providers: [provider] })));
    const busy = (job: Event) => repliesTo(relay, job.id).some((e) => statusOf(e) === 'error' && /busy/.test(statusExtra(e)));
    const answered = (job: Event) => repliesTo(relay, job.id).some((e) => e.kind === 6050);
    // one generating and two waiting: every other job is refused while Ollama holds
    await until('147 jobs to be refused as busy', () => jobs.filter(busy).length === 147);
    openOllama();
    ollama.setModel('llama3.2', { reply: ANSWER, tokenDelayMs: 60 });
    await until('every job to be answered or refused', () => jobs.every((j) => busy(j) || answered(j)));
    const refused = jobs.filter(busy);
    const served = jobs.filter(answered);
    assert.equal(served.length + refused.length, 150);
    assert.equal(served.length, 3, `served ${served.length}`);
    assert.equal(refused.length, 147, `refused ${refused.length}`);
    assert.match(statusExtra(repliesTo(relay, refused[0].id).find((e) => statusOf(e) === 'error')!), /the provider is busy .*it takes 3 at a time/);
    for (const job of refused) {
      assert.deepEqual(
        repliesTo(relay, job.id).map((e) => statusOf(e) ?? `kind ${e.kind}`),
        ['error'],
        'a refused job gets only the busy error',
      );
    }
    const perJobOllama = ollama.requests.slice(ollamaBefore).filter((r) => r.path !== '/api/tags' && r.path !== '/api/version');
    const prompts = new Set(perJobOllama.map((r) => JSON.stringify(r.body)));
    assert.ok(generations(ollamaBefore) === served.length, `Ollama generated ${generations(ollamaBefore)} answers for ${served.length} served jobs`);
    assert.ok(perJobOllama.length <= served.length * 3, `Ollama got ${perJobOllama.length} requests (${prompts.size} distinct) for ${served.length} jobs`);

    // the burst is over: the next job is answered normally
    const next = await customer.submit({ prompt: 'after the burst', model: 'llama3.2', providers: [provider] });
    await until('the next job to be answered', () => answered(next), 30_000);
    assert.match(repliesTo(relay, next.id).find((e) => e.kind === 6050)!.content, /^w0 w1 .*w11/);
    assert.ok(!busy(next));
  } finally {
    await customer.close();
    const r = await server.stop();
    assert.equal(r.code, 0, r.stderr.slice(-2000));
  }
});

test('a paid provider makes no invoice for a job past the admission bound', async () => {
  const wallet: NwcTestWallet = await startNwcWallet({ relayUrl: relay.url });
  const server = serve(['--max-concurrent', '1', '--max-queued', '1', '--price-msats', '100', '--nwc', wallet.uri]);
  const customer = await startCustomer([relay.url]);
  try {
    const provider = (await server.announced).pubkey;
    const jobs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => customer.submit({ prompt: `pay ${i}`, model: 'llama3.2', bidMsats: 100, providers: [provider] })),
    );
    const asked = (job: Event) => repliesTo(relay, job.id).some((e) => statusOf(e) === 'payment-required');
    const busy = (job: Event) => repliesTo(relay, job.id).some((e) => statusOf(e) === 'error' && /busy/.test(statusExtra(e)));
    await until('every job to be invoiced or refused', () => jobs.every((j) => asked(j) || busy(j)));
    assert.equal(jobs.filter(asked).length, 2);
    assert.equal(jobs.filter(busy).length, 38);
    assert.equal(wallet.requests.filter((r) => r.method === 'make_invoice').length, 2, 'no invoice for a refused job');
  } finally {
    await customer.close();
    await server.stop();
    await wallet.stop();
  }
});
