// `swarm-compute gateway` from the built CLI, driven by the unmodified
// `openai` and `ollama` npm clients, against the Ollama stand-in over HTTP,
// a real relay and a NIP-90 test provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import type { TestRelay } from '../support/relay';
import { closedPort, type OllamaStandin } from '../support/ollama-standin';
import { startTestProvider, type TestProvider } from '../support/test-provider';
import { startStandIns } from '../support/stand-ins';
import { runCli } from '../support/cli';
import { startGatewayCli, type RunningGateway } from '../support/gateway';
import { startNwcWallet } from '../support/nwc-wallet';
import { makeInvoice } from '../support/invoices';

const LOCAL = 'Local gateway answer.';
const SLOW = Array.from({ length: 60 }, (_, i) => `w${i} `).join('');

let relay: TestRelay, ollama: OllamaStandin, provider: TestProvider, stop: () => Promise<void>;

before(async () => {
  ({ relay, ollama, provider, stop } = await startStandIns({
    models: {
      llama3: { reply: LOCAL, tokenDelayMs: 5 },
      slow: { reply: SLOW, tokenDelayMs: 150 },
      crashy: { reply: SLOW, tokenDelayMs: 5, crashAfterTokens: 3 },
    },
    provider: { partials: ['Swarm ', 'gateway '], result: 'Swarm gateway answer.' },
  }));
});
after(() => stop());

const dataDir = () => mkdtempSync(join(tmpdir(), 'sc-gw-'));

async function history(dir: string) {
  const r = await runCli(['history', '--json', '--data-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

async function metrics(dir: string) {
  const r = await runCli(['metrics', '--json', '--data-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
}

/** polls the history until a row matches (the gateway writes it when the run ends) */
async function waitForRow(dir: string, match: (row: Record<string, unknown>) => boolean, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rows = await history(dir);
    const row = rows.find(match);
    if (row) return row;
    if (Date.now() > until) throw new Error(`no history row matched; rows: ${JSON.stringify(rows)}`);
  }
}

function openai(gw: RunningGateway, apiKey = 'not-needed', extra: ConstructorParameters<typeof OpenAI>[0] = {}) {
  return new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0, ...extra });
}

async function withGateway<T>(args: string[], fn: (gw: RunningGateway, dir: string) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const dir = dataDir();
  const host = args.includes('--ollama-host') ? [] : ['--ollama-host', ollama.url];
  const gw = await startGatewayCli([...host, '--data-dir', dir, ...args], env);
  try {
    return await fn(gw, dir);
  } finally {
    const run = await gw.stop();
    assert.equal(run.code, 0, `gateway exit ${run.code}\n${run.stderr}`);
  }
}

test('Ollama API with the ollama client: version, tags, chat and generate, streamed and whole; one history row each, counted in metrics', async () => {
  await withGateway(['--model', 'llama3'], async (gw, dir) => {
    const client = new Ollama({ host: gw.url });
    assert.equal((await client.version()).version, '0.6.5');
    const tags = await client.list();
    assert.deepEqual(tags.models.map((m) => m.name).sort(), ['crashy:latest', 'llama3:latest', 'slow:latest']);

    const whole = await client.chat({ model: 'llama3', messages: [{ role: 'user', content: 'say hi' }], stream: false });
    assert.equal(whole.message.content, LOCAL);
    assert.equal(whole.done, true);
    assert.equal(whole.done_reason, 'stop');
    assert.ok(whole.total_duration > 0 && whole.eval_count > 0);

    let streamed = '';
    let last;
    for await (const part of await client.chat({ model: 'llama3', messages: [{ role: 'user', content: 'stream it' }], stream: true })) {
      streamed += part.message.content;
      last = part;
    }
    assert.equal(streamed, LOCAL);
    assert.equal(last?.done, true);
    assert.equal(last?.eval_count, ollama.requests.at(-1)!.tokensSent);

    const gen = await client.generate({ model: 'llama3', prompt: 'generate please', system: 'be brief', stream: false });
    assert.equal(gen.response, LOCAL);
    let genStreamed = '';
    for await (const part of await client.generate({ model: 'llama3', prompt: 'generate streamed', stream: true })) genStreamed += part.response;
    assert.equal(genStreamed, LOCAL);
    const sent = ollama.requests.find(
      (r) => (r.body as { prompt?: string })?.prompt === 'generate please' || JSON.stringify(r.body).includes('generate please'),
    );
    assert.ok(sent, 'the stand-in got the generate prompt');
    assert.match(JSON.stringify(sent.body), /be brief/, 'the system prompt reached Ollama');

    const rows = await history(dir);
    assert.equal(rows.length, 4);
    for (const row of rows) {
      assert.equal(row.source, 'gateway');
      assert.equal(row.lane, 'local');
      assert.equal(row.state, 'completed');
      assert.equal(row.response, LOCAL);
    }
    assert.deepEqual(rows.map((r) => r.prompt).sort(), ['generate please', 'generate streamed', 'say hi', 'stream it']);
    const m = await metrics(dir);
    assert.equal(m.localSuccess, 4);
    assert.equal(m.swarmDirect + m.swarmFallback, 0);
  });
});

test('OpenAI API with the openai client: models, a whole completion and a stream, with the lane headers', async () => {
  await withGateway(['--model', 'llama3'], async (gw, dir) => {
    const client = openai(gw);
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id).sort(), ['crashy:latest', 'llama3:latest', 'slow:latest']);

    const { data, response } = await client.chat.completions
      .create({
        model: 'llama3',
        messages: [
          { role: 'system', content: 'terse' },
          { role: 'user', content: 'hello there' },
        ],
      })
      .withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.match(data.id, /^chatcmpl-/);
    assert.equal(data.choices[0].message.role, 'assistant');
    assert.equal(data.choices[0].message.content, LOCAL);
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.ok(data.usage!.completion_tokens > 0 && data.usage!.total_tokens === data.usage!.prompt_tokens + data.usage!.completion_tokens);
    assert.equal(response.headers.get('x-swarm-compute-lane'), 'local');
    assert.equal(response.headers.get('x-swarm-compute-cost-msats'), '0');

    const stream = await client.chat.completions.create({
      model: 'llama3',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finishes: (string | null)[] = [];
    let usage;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        finishes.push(c.finish_reason);
      }
    }
    assert.equal(text, LOCAL);
    assert.equal(finishes.at(-1), 'stop');
    assert.ok(usage && usage.completion_tokens > 0);

    const rows = await history(dir);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r.source === 'gateway' && r.lane === 'local'));
  });
});

test('a two-message conversation reaches Ollama as the conversation, not only the last message', async () => {
  await withGateway([], async (gw) => {
    const client = openai(gw);
    const before = ollama.requests.length;
    const done = await client.chat.completions.create({
      model: 'llama3',
      messages: [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Hello Ada.' },
        { role: 'user', content: 'What is my name?' },
      ],
    });
    assert.equal(done.choices[0].message.content, LOCAL);
    const sent = ollama.requests.slice(before).find((r) => r.path === '/api/chat' || r.path === '/api/generate')!;
    const body = sent.body as { messages?: { role: string; content: string }[]; prompt?: string };
    if (sent.path === '/api/chat') {
      assert.deepEqual(
        body.messages!.map((m) => [m.role, m.content]),
        [
          ['user', 'My name is Ada.'],
          ['assistant', 'Hello Ada.'],
          ['user', 'What is my name?'],
        ],
      );
    } else {
      // the lane still speaks /api/generate: the turns travel in the prompt, in order
      assert.equal(body.prompt, 'User: My name is Ada.\n\nAssistant: Hello Ada.\n\nUser: What is my name?');
    }
  });
});

test('a stream the client cancels: Ollama sees the abort, the history row says cancelled', async () => {
  await withGateway([], async (gw, dir) => {
    const client = openai(gw);
    const stream = await client.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'cancel me' }], stream: true });
    let first = '';
    for await (const chunk of stream) {
      first += chunk.choices[0]?.delta.content ?? '';
      if (first) break; // leaving the loop aborts the request
    }
    stream.controller.abort();
    const upstream = await ollama.waitForRequest((r) => JSON.stringify(r.body).includes('cancel me'));
    await upstream.settled;
    assert.equal(upstream.closedEarly, true, 'the gateway closed its request to Ollama');
    assert.ok(upstream.tokensSent < SLOW.split(' ').length - 1, 'Ollama did not stream the whole answer');
    const row = await waitForRow(dir, (r) => r.prompt === 'cancel me' && r.state !== 'pending');
    assert.equal(row.state, 'cancelled');
    assert.equal(row.source, 'gateway');
  });
});

test('the ollama client aborting a stream cancels the run too', async () => {
  await withGateway([], async (gw, dir) => {
    const client = new Ollama({ host: gw.url });
    const stream = await client.chat({ model: 'slow', messages: [{ role: 'user', content: 'abort me' }], stream: true });
    for await (const part of stream) {
      if (part.message.content) {
        stream.abort();
        break;
      }
    }
    const upstream = await ollama.waitForRequest((r) => JSON.stringify(r.body).includes('abort me'));
    await upstream.settled;
    assert.equal(upstream.closedEarly, true);
    const row = await waitForRow(dir, (r) => r.prompt === 'abort me' && r.state !== 'pending');
    assert.equal(row.state, 'cancelled');
  });
});

test("Ollama failing in the middle of a stream: the stream ends with the error in each API's in-band shape, the row says failed", async () => {
  await withGateway([], async (gw, dir) => {
    let ollamaText = '';
    await assert.rejects(
      (async () => {
        for await (const part of await new Ollama({ host: gw.url }).chat({
          model: 'crashy',
          messages: [{ role: 'user', content: 'crash ollama' }],
          stream: true,
        }))
          ollamaText += part.message.content;
      })(),
      (e: Error) => /local|Ollama|connection|stream/i.test(e.message),
    );
    assert.equal(ollamaText, 'w0 w1 w2 ', 'what was streamed before the failure arrived');
    const stream = await openai(gw).chat.completions.create({ model: 'crashy', messages: [{ role: 'user', content: 'crash openai' }], stream: true });
    let openAiText = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) openAiText += chunk.choices[0]?.delta.content ?? '';
      })(),
      (e: InstanceType<typeof OpenAI.APIError>) => e instanceof OpenAI.APIError,
    );
    assert.equal(openAiText, 'w0 w1 w2 ');
    const rows = await history(dir);
    assert.deepEqual(
      rows.map((r) => r.state),
      ['failed', 'failed'],
    );
  });
});

test('with --allow-swarm, Ollama failing in the middle of a stream falls back as submit does: the swarm answers after a marked line', async () => {
  const dir = dataDir();
  const gw = await startGatewayCli(['--allow-swarm', '--ollama-host', ollama.url, '--relay', relay.url, '--data-dir', dir, '--swarm-timeout-secs', '20']);
  try {
    const stream = await openai(gw).chat.completions.create({ model: 'crashy', messages: [{ role: 'user', content: 'crash, then swarm' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.ok(text.startsWith('w0 w1 w2 '), text);
    assert.match(text, /Local inference failed after 3 words[^]*the answer below is the swarm's/);
    assert.ok(text.endsWith('Swarm gateway answer.'), text);
    let ollamaText = '';
    for await (const part of await new Ollama({ host: gw.url }).chat({
      model: 'crashy',
      messages: [{ role: 'user', content: 'crash, then swarm again' }],
      stream: true,
    }))
      ollamaText += part.message.content;
    assert.ok(ollamaText.startsWith('w0 w1 w2 ') && ollamaText.endsWith('Swarm gateway answer.'), ollamaText);
  } finally {
    assert.equal((await gw.stop()).code, 0);
  }
  const rows = await history(dir);
  assert.deepEqual(
    rows.map((r) => [r.state, r.lane, r.response]),
    [
      ['completed', 'swarm', 'Swarm gateway answer.'],
      ['completed', 'swarm', 'Swarm gateway answer.'],
    ],
  );
});

test('Host, Origin and token rules: DNS-rebinding Hosts and other origins get 403, a missing or wrong token 401', async () => {
  await withGateway([], async (gw) => {
    const raw = (headers: Record<string, string>, path = '/api/tags') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: gw.port, path, headers }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const rebinding = await raw({ Host: `attacker.example:${gw.port}` });
    assert.equal(rebinding.status, 403);
    assert.match(JSON.parse(rebinding.body).error, /attacker\.example/);
    const rebindingOpenAi = await raw({ Host: `attacker.example:${gw.port}` }, '/v1/models');
    assert.equal(rebindingOpenAi.status, 403);
    assert.equal(JSON.parse(rebindingOpenAi.body).error.code, 'forbidden_host');
    assert.equal((await raw({ Host: `localhost:${gw.port}` })).status, 200);

    // a page of another origin, through the clients' own header options
    await assert.rejects(
      openai(gw, 'x', { defaultHeaders: { Origin: 'http://attacker.example' } }).models.list(),
      (e: InstanceType<typeof OpenAI.APIError>) => {
        assert.equal(e.status, 403);
        assert.equal((e.error as { code: string }).code, 'forbidden_origin');
        return true;
      },
    );
    await assert.rejects(
      new Ollama({ host: gw.url, headers: { Origin: `http://localhost:${gw.port + 1}` } }).list(),
      (e: { status_code: number }) => e.status_code === 403,
    );
    assert.equal((await raw({ Host: `127.0.0.1:${gw.port}`, Origin: `http://127.0.0.1:${gw.port}` })).status, 200, 'its own origin is fine');
    assert.equal((await raw({ Host: `127.0.0.1:${gw.port}`, 'Sec-Fetch-Site': 'cross-site' })).status, 403);
  });

  await withGateway(['--token', 'sekrit-token-1'], async (gw, dir) => {
    await assert.rejects(
      openai(gw, 'wrong-token').chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'no token' }] }),
      (e: InstanceType<typeof OpenAI.APIError>) => {
        assert.equal(e.status, 401);
        return true;
      },
    );
    await assert.rejects(new Ollama({ host: gw.url }).list(), (e: { status_code: number }) => e.status_code === 401);
    const ok = await openai(gw, 'sekrit-token-1').chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'with token' }] });
    assert.equal(ok.choices[0].message.content, LOCAL);
    const viaOllama = await new Ollama({ host: gw.url, headers: { Authorization: 'Bearer sekrit-token-1' } }).chat({
      model: 'llama3',
      messages: [{ role: 'user', content: 'ollama with token' }],
    });
    assert.equal(viaOllama.message.content, LOCAL);
    assert.deepEqual((await history(dir)).map((r) => r.prompt).sort(), ['ollama with token', 'with token'], 'refused requests left no row');
  });

  const open = await runCli(['gateway', '--host', '0.0.0.0', '--port', '0', '--data-dir', dataDir()]);
  assert.equal(open.code, 2);
  assert.match(open.stderr, /--host 0\.0\.0\.0 is not a loopback address.*--token/);
});

test('Ollama down: without --allow-swarm nothing reaches a relay (503); with it the provider answers', async () => {
  const down = `http://127.0.0.1:${await closedPort()}`;
  const opened = relay.connectionsOpened();
  const dir = dataDir();
  const off = await startGatewayCli(['--ollama-host', down, '--relay', relay.url, '--data-dir', dir]);
  try {
    await assert.rejects(
      openai(off).chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'swarm off' }] }),
      (e: InstanceType<typeof OpenAI.APIError>) => {
        assert.equal(e.status, 503);
        assert.equal((e.error as { code: string }).code, 'no_lane_available');
        assert.match(e.message, /--allow-swarm/);
        return true;
      },
    );
    assert.deepEqual((await new Ollama({ host: off.url }).ps()).models, [], 'no models loaded where there is no Ollama');
    await assert.rejects(
      new Ollama({ host: off.url }).chat({ model: 'llama3', messages: [{ role: 'user', content: 'swarm off too' }] }),
      (e: { status_code: number; error: string }) => {
        assert.equal(e.status_code, 503);
        assert.match(e.error, /not running|refused|unavailable/i);
        return true;
      },
    );
  } finally {
    assert.equal((await off.stop()).code, 0);
  }
  assert.equal(relay.connectionsOpened(), opened, 'no relay connection without --allow-swarm');
  const offRows = await history(dir);
  assert.equal(offRows.length, 2);
  assert.ok(offRows.every((r) => r.state === 'failed' && r.source === 'gateway'));

  const on = await startGatewayCli(['--allow-swarm', '--ollama-host', down, '--relay', relay.url, '--data-dir', dir, '--swarm-timeout-secs', '20']);
  try {
    const { data, response } = await openai(on)
      .chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'swarm on' }] })
      .withResponse();
    assert.equal(data.choices[0].message.content, 'Swarm gateway answer.');
    assert.equal(response.headers.get('x-swarm-compute-lane'), 'swarm');
    assert.equal(response.headers.get('x-swarm-compute-provider'), provider.pubkey);
    assert.equal(response.headers.get('x-swarm-compute-cost-msats'), '0');
    // tools read a model's capabilities before choosing it: text only, even when it is not on this machine
    const shown = await new Ollama({ host: on.url }).show({ model: 'llama3' });
    assert.deepEqual(shown.capabilities, ['completion']);
    assert.ok(
      (await new Ollama({ host: on.url }).list()).models.some((m) => m.name === 'llama3'),
      'the swarm-answered model is listed',
    );
    let streamed = '';
    for await (const part of await new Ollama({ host: on.url }).chat({ model: 'llama3', messages: [{ role: 'user', content: 'swarm stream' }], stream: true }))
      streamed += part.message.content;
    assert.equal(streamed, 'Swarm gateway answer.');
  } finally {
    assert.equal((await on.stop()).code, 0);
  }
  const m = await metrics(dir);
  assert.equal(m.swarmFallback, 2);
  assert.equal(m.swarmSuccess, 2);
  assert.equal(m.localFailure, 4);
});

test('error shapes and codes: unknown model 404, bad request 400, above the price cap 402', async () => {
  await withGateway([], async (gw) => {
    await assert.rejects(
      openai(gw).chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
      (e: InstanceType<typeof OpenAI.APIError>) => {
        assert.equal(e.status, 404);
        assert.deepEqual(Object.keys(e.error as object).sort(), ['code', 'message', 'param', 'type']);
        assert.equal((e.error as { code: string }).code, 'model_not_found');
        assert.match(e.message, /no-such-model/);
        return true;
      },
    );
    await assert.rejects(new Ollama({ host: gw.url }).generate({ model: 'no-such-model', prompt: 'x' }), (e: { status_code: number; error: string }) => {
      assert.equal(e.status_code, 404);
      assert.match(e.error, /no-such-model/);
      return true;
    });
    await assert.rejects(openai(gw).chat.completions.create({ model: 'llama3', messages: [] }), (e: InstanceType<typeof OpenAI.APIError>) => {
      assert.equal(e.status, 400);
      assert.equal((e.error as { type: string }).type, 'invalid_request_error');
      return true;
    });
    await assert.rejects(
      new Ollama({ host: gw.url }).chat({ model: '', messages: [{ role: 'user', content: 'x' }] }),
      (e: { status_code: number; error: string }) => {
        assert.equal(e.status_code, 400);
        assert.match(e.error, /model is required/);
        return true;
      },
    );
  });

  const pricey = await startTestProvider({ relays: [relay.url], script: { paymentRequired: { amountMsats: 5000 } } });
  try {
    const down = `http://127.0.0.1:${await closedPort()}`;
    await withGateway(
      ['--allow-swarm', '--ollama-host', down, '--relay', relay.url, '--provider', pricey.pubkey, '--max-price-msats', '1000'],
      async (gw, dir) => {
        await assert.rejects(
          openai(gw).chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'too dear' }] }),
          (e: InstanceType<typeof OpenAI.APIError>) => {
            assert.equal(e.status, 402);
            assert.equal((e.error as { code: string }).code, 'payment_required');
            assert.match(e.message, /5000/);
            return true;
          },
        );
        const row = (await history(dir))[0];
        assert.equal(row.costMsats, 0);
      },
    );
  } finally {
    await pricey.stop();
  }
});

test('wrong types are 400 naming the field; a load request (no prompt) of a model this Ollama lacks is 404', async () => {
  await withGateway([], async (gw, dir) => {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { error: string | { message: string; type: string } } };
    };
    const said = (b: { error: string | { message: string } }) => (typeof b.error === 'string' ? b.error : b.error.message);
    const user = [{ role: 'user', content: 'x' }];
    const cases: [string, unknown, RegExp][] = [
      ['/v1/chat/completions', { model: 'llama3', messages: user, stream: 'yes' }, /stream must be true or false, got "yes"/],
      ['/v1/chat/completions', { model: 'llama3', messages: user, stream: 1 }, /stream must be true or false, got 1/],
      ['/v1/chat/completions', { model: 'llama3', messages: user, max_tokens: 'lots' }, /max_tokens must be a number, got "lots"/],
      ['/v1/chat/completions', { model: 'llama3', messages: user, temperature: 'hot' }, /temperature must be a number, got "hot"/],
      ['/v1/chat/completions', { model: 'llama3', messages: [null] }, /messages\[0\] must be an object \{role, content\}, got null/],
      ['/v1/chat/completions', { model: 42, messages: user }, /model must be a model name .*got 42/],
      ['/api/generate', { model: 'llama3', prompt: 'x', stream: 'no' }, /stream must be true or false, got "no"/],
      ['/api/generate', { model: 'llama3', prompt: 'x', options: 'x' }, /options must be an object, got "x"/],
      ['/api/chat', { model: 'llama3', messages: user, stream: 0 }, /stream must be true or false, got 0/],
    ];
    for (const [path, body, words] of cases) {
      const r = await post(path, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.match(said(r.body), words);
      if (path.startsWith('/v1/')) assert.equal((r.body.error as { type: string }).type, 'invalid_request_error');
    }
    const client = new Ollama({ host: gw.url });
    // a load of a model it has: Ollama's answer to a load
    const loaded = await client.generate({ model: 'llama3', prompt: '', stream: false });
    assert.equal(loaded.done_reason, 'load');
    for (const load of [
      () => client.generate({ model: 'nosuchzz', prompt: '', stream: false }),
      () => client.chat({ model: 'nosuchzz', messages: [], stream: false }),
    ]) {
      await assert.rejects(load(), (e: { status_code: number; error: string }) => {
        assert.equal(e.status_code, 404);
        assert.match(e.error, /model "nosuchzz" not found/);
        return true;
      });
    }
    assert.equal((await history(dir)).length, 0, 'no run for a refused request');
  });
  // with the swarm allowed a model not here may still be answered: the load is accepted
  await withGateway(['--allow-swarm', '--relay', relay.url], async (gw) => {
    const loaded = await new Ollama({ host: gw.url }).generate({ model: 'nosuchzz', prompt: '', stream: false });
    assert.equal(loaded.done_reason, 'load');
  });
});

test('SIGTERM: running requests are cancelled (rows say so), the gateway exits 0', async () => {
  const dir = dataDir();
  const gw = await startGatewayCli(['--ollama-host', ollama.url, '--data-dir', dir]);
  const stream = await new Ollama({ host: gw.url }).chat({ model: 'slow', messages: [{ role: 'user', content: 'stop the server' }], stream: true });
  const upstream = await ollama.waitForRequest((r) => JSON.stringify(r.body).includes('stop the server'));
  const reading = (async () => {
    let text = '';
    try {
      for await (const part of stream) text += part.message.content;
      return { text, error: null as string | null };
    } catch (e) {
      return { text, error: (e as Error).message };
    }
  })();
  while (upstream.tokensSent === 0) await new Promise((r) => setTimeout(r, 20));
  const run = await gw.stop();
  assert.equal(run.code, 0, run.stderr);
  await upstream.settled;
  assert.equal(upstream.closedEarly, true);
  const client = await reading;
  assert.notEqual(client.text, SLOW);
  const row = (await history(dir))[0];
  assert.equal(row.state, 'cancelled');
});

test('bad usage is exit 2 naming the flag, before anything listens', async () => {
  for (const [args, message] of [
    [['--port', '70000'], /--port must be a whole number from 0 to 65535/],
    [['--prompt', 'hi'], /--prompt is for submit/],
    [['--bogus'], /gateway: unknown flag --bogus \(see swarm-compute gateway --help\)/],
    [['--max-price-msats', '-5'], /--max-price-msats must be a whole number ≥ 0, got "-5"/],
    [['--host', '192.0.2.1', '--token', 'short'], /--token must be at least 8 characters/],
  ] as const) {
    const r = await runCli(['gateway', ...args, '--data-dir', dataDir()]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /listening/);
  }
});

test('a paid provider: the budget stops the payment (402, nothing paid); within it the cost is in the headers', async () => {
  const wallet = await startNwcWallet({ relayUrl: relay.url });
  const invoice = makeInvoice({ amountMsats: 700 });
  const paid = await startTestProvider({
    relays: [relay.url],
    script: { paymentRequired: { amountMsats: 700, bolt11: invoice.bolt11 }, result: 'paid gateway answer' },
  });
  const settle = setInterval(() => {
    if (wallet.payments.some((p) => p.bolt11 === invoice.bolt11)) paid.settle(invoice.bolt11);
  }, 20);
  const down = `http://127.0.0.1:${await closedPort()}`;
  const base = [
    '--allow-swarm',
    '--ollama-host',
    down,
    '--relay',
    relay.url,
    '--provider',
    paid.pubkey,
    '--nwc',
    wallet.uri,
    '--offer-window-secs',
    '0.2',
    '--swarm-timeout-secs',
    '20',
  ];
  try {
    await withGateway([...base, '--daily-budget-msats', '500'], async (gw) => {
      await assert.rejects(
        openai(gw).chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'over budget' }] }),
        (e: InstanceType<typeof OpenAI.APIError>) => {
          assert.equal(e.status, 402);
          assert.match(e.message, /daily budget/i);
          return true;
        },
      );
      assert.equal(wallet.payments.length, 0, 'nothing was paid');
    });
    await withGateway(base, async (gw, dir) => {
      const { data, response } = await openai(gw)
        .chat.completions.create({ model: 'llama3', messages: [{ role: 'user', content: 'worth paying' }] })
        .withResponse();
      assert.equal(data.choices[0].message.content, 'paid gateway answer');
      assert.equal(response.headers.get('x-swarm-compute-lane'), 'swarm');
      assert.equal(response.headers.get('x-swarm-compute-cost-msats'), '700');
      assert.equal(response.headers.get('x-swarm-compute-provider'), paid.pubkey);
      assert.equal(wallet.payments.length, 1, 'paid exactly once');
      assert.equal((await metrics(dir)).totalCostMsats, 700);
    });
  } finally {
    clearInterval(settle);
    await paid.stop();
    await wallet.stop();
  }
});
