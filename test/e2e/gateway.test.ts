// UI test of the Local Gateway's consent: a tool (the unmodified openai client)
// asks the gateway while Ollama is down; with swarmCompute.gateway.allowSwarm
// on, VS Code shows a modal saying what would be sent where and at what cap,
// and only the button sends it.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { Page } from 'playwright-core';
import { closedPort } from '../support/ollama-standin';
import { startRelay, type TestRelay } from '../support/relay';
import { startTestProvider, type TestProvider } from '../support/test-provider';
import { runCommand, statusItem, step, startWorkbench, type Workbench } from './workbench';

const SWARM_ANSWER = 'The swarm answered the gateway.';

describe('Local Gateway in a real VS Code', () => {
  let relay: TestRelay;
  let provider: TestProvider;
  let wb: Workbench;
  let page: Page;
  let port: number;

  before(async () => {
    relay = await startRelay();
    provider = await startTestProvider({ relays: [relay.url], script: { result: SWARM_ANSWER } });
    port = await closedPort();
    wb = await startWorkbench({
      settings: {
        'swarmCompute.mode': 'fallback',
        'swarmCompute.model': 'llama3.2',
        'swarmCompute.ollamaHost': `http://127.0.0.1:${await closedPort()}`,
        'swarmCompute.relays': [relay.url],
        'swarmCompute.maxPriceMsats': 3000,
        'swarmCompute.swarmTimeoutSecs': 30,
        'swarmCompute.gateway.port': port,
        'swarmCompute.gateway.allowSwarm': true,
      },
      // the smoke-test driver answers modal dialogs itself; this test answers them
      smokeTestDriver: false,
    });
    page = wb.page;
  });

  after(async () => {
    await wb?.close();
    await provider?.stop();
    await relay?.stop();
  });

  const dialog = () => page.locator('.monaco-dialog-box');
  /**
   * Presses a button of the modal once it is drawn: the click event goes to that button itself. A mouse click
   * goes to where the button was drawn (on a loaded machine the dialog was still moving, and the click missed),
   * and a key goes to whatever has the focus (the dialog moves it to its default button as it opens), so
   * either could end the modal as cancelled.
   */
  async function answerModal(name: string): Promise<void> {
    const button = dialog().getByRole('button', { name, exact: true });
    await button.waitFor();
    await button.dispatchEvent('click');
    await dialog().waitFor({ state: 'hidden', timeout: 10_000 });
  }

  it('Ollama down: the modal names the prompt, relays and cap; Send Once sends it, Cancel keeps it here', () =>
    step(page, 'gateway consent modal', async () => {
      await runCommand(page, 'Swarm Compute: Start Local Gateway');
      const url = `http://127.0.0.1:${port}`;
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 90_000 });
      // the command returns before the port is open: wait for it to answer
      for (const deadline = Date.now() + 60_000; ;) {
        const up = await fetch(`${url}/api/version`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        if (Date.now() > deadline) throw new Error('the Local Gateway never answered');
        await new Promise((r) => setTimeout(r, 200));
      }

      const asked = client.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'Which planet is red?' }] }).withResponse();
      await dialog().waitFor({ timeout: 30_000 });
      const text = await dialog().innerText();
      assert.match(text, /Send this gateway request to the Nostr marketplace\?/);
      assert.match(text, /Which planet is red\?/);
      assert.ok(text.includes(relay.url), 'the relays are named');
      assert.match(text, /3 sats/);
      assert.equal(relay.received.filter((e) => e.kind === 5050).length, 0, 'nothing was sent before the answer');
      await answerModal('Send Once');
      const { data, response } = await asked;
      assert.equal(data.choices[0].message.content, SWARM_ANSWER);
      assert.equal(response.headers.get('x-swarm-compute-lane'), 'swarm');
      assert.equal(response.headers.get('x-swarm-compute-provider'), provider.pubkey);
      assert.equal(relay.received.filter((e) => e.kind === 5050).length, 1);

      // judged from the start: the refusal can arrive while the test still waits for the modal to close
      const declined = assert.rejects(
        client.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'Keep this one local' }] }),
        (e: InstanceType<typeof OpenAI.APIError>) => e.status === 503 && /declined/.test(e.message),
      );
      await dialog().waitFor({ timeout: 30_000 });
      assert.match(await dialog().innerText(), /Keep this one local/);
      await answerModal('Cancel');
      await declined;
      assert.equal(relay.received.filter((e) => e.kind === 5050).length, 1, 'the declined request never reached the relay');

      await statusItem(page).hover();
      await page.locator('.monaco-hover', { hasText: 'Local Gateway' }).waitFor({ timeout: 10_000 });
      assert.ok((await page.locator('.monaco-hover', { hasText: 'Local Gateway' }).innerText()).includes(url));
      await page.mouse.move(10, 10);
      await runCommand(page, 'Swarm Compute: Stop Local Gateway');
    }));
});
