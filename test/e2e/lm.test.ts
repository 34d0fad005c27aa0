// Swarm Compute's models as other extensions use them, in a real VS Code in
// Chromium: the test extension test/lm-client (installed beside the .vsix)
// asks through vscode.lm.selectChatModels + sendRequest from its palette
// command. On VS Code 1.139 the answer comes from the Ollama stand-in, then,
// with Ollama stopped, from the NIP-90 test provider on the test relay (paid
// over NWC within the cap) once the modal consent is answered; "Never" keeps
// that extension local. VS Code's own Language Models editor lists the models.
// On 1.100 (no provider API) the extension offers no model.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { host, projectRoot } from '../../scripts/vscode/host.mjs';
import type { OllamaStandin } from '../support/ollama-standin';
import type { TestRelay } from '../support/relay';
import type { NwcTestWallet } from '../support/nwc-wallet';
import { startStandIns, type StandInsWithWallet } from '../support/stand-ins';
import {
  clearNotifications,
  connectWallet,
  notifications,
  runCommand,
  screenshotPath,
  standInSettings,
  startWorkbench,
  step,
  type Workbench,
} from './workbench';

const [major, minor] = host.vscodeVersion.split('.').map(Number);
/** the Language Model Chat Provider API is final from VS Code 1.104 */
const providerApi = major > 1 || minor >= 104;
const ASK = 'LM Client: Ask Swarm Compute through vscode.lm';

/** Waits for a notification matching `re` in the Notifications center. */
async function notification(page: Page, re: RegExp, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const texts = await notifications(page);
    const found = texts.find((t) => re.test(t));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no notification like ${re}: ${texts.join(' | ')}`);
    await page.waitForTimeout(500);
  }
}

describe(`Swarm Compute models for other extensions (VS Code ${host.vscodeVersion})`, () => {
  let standIns: StandInsWithWallet;
  let ollama: OllamaStandin, relay: TestRelay, wallet: NwcTestWallet;
  let wb: Workbench;
  let page: Page;
  const jobs = () => relay.received.filter((e) => e.kind === 5050).length;

  before(async () => {
    standIns = await startStandIns({
      models: { 'llama3.2': { reply: 'Rayleigh scattering makes the sky blue.', tokenDelayMs: 20 } },
      provider: { payAfter: { amountMsats: 21_000 }, result: 'The swarm says: scattering.' },
      wallet: {},
    });
    ({ ollama, relay, wallet } = standIns);
    wb = await startWorkbench({
      settings: {
        ...standInSettings(standIns, 'llama3.2'),
        'swarmCompute.maxPriceMsats': 50_000,
        'swarmCompute.offerWindowSecs': 0,
        // VS Code's chat UI on, without signing in: what a user without Copilot sees
        'chat.disableAIFeatures': false,
        'chat.allowAnonymousAccess': true,
      },
      extensions: [join(projectRoot, 'test/lm-client')],
    });
    page = wb.page;
  });

  after(async () => {
    await wb?.close();
    await standIns?.stop();
  });

  it('on VS Code without the provider API, another extension finds no swarm-compute model', { skip: providerApi && 'this VS Code has the provider API' }, () =>
    step(page, 'lm no provider api', async () => {
      await runCommand(page, ASK);
      await notification(page, /LM Client: no swarm-compute model in vscode\.lm/);
      assert.equal(ollama.requests.filter((r) => r.path === '/api/chat').length, 0);
    }),
  );

  it('VS Code’s Language Models editor lists the Swarm Compute models', { skip: !providerApi && 'no provider API before 1.104' }, () =>
    step(page, 'lm models editor', async () => {
      await runCommand(page, 'Chat: Manage Language Models');
      const row = page.locator('.models-model-row', { hasText: 'Swarm Compute · llama3.2 (local → swarm)' });
      await row.waitFor({ timeout: 20_000 });
      await page.screenshot({ path: screenshotPath('vscode-language-models.png') });
      await page.keyboard.press('Escape');
      await runCommand(page, 'View: Close All Editors');
    }),
  );

  it('another extension gets a streamed local answer through vscode.lm', { skip: !providerApi && 'no provider API before 1.104' }, () =>
    step(page, 'lm local answer', async () => {
      await clearNotifications(page);
      await runCommand(page, ASK);
      const text = await notification(page, /LM Client answer from/);
      assert.match(text, /LM Client answer from Swarm Compute · llama3\.2 \(local → swarm\): Rayleigh scattering makes the sky blue\./);
      const chat = ollama.requests.filter((r) => r.path === '/api/chat');
      assert.equal(chat.length, 1, 'one request to Ollama’s /api/chat');
      assert.deepEqual((chat[0].body as { messages: unknown }).messages, [{ role: 'user', content: 'Why is the sky blue?' }]);
      assert.equal(jobs(), 0, 'nothing went to the swarm');
    }),
  );

  it(
    'with Ollama stopped, a modal asks before anything leaves; "Allow Once": the swarm answers, paid within the cap',
    { skip: !providerApi && 'no provider API before 1.104' },
    () =>
      step(page, 'lm swarm after modal', async () => {
        await connectWallet(page, wallet.uri);
        await ollama.stop();
        await clearNotifications(page);

        await runCommand(page, ASK);
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ timeout: 30_000 });
        const shown = await dialog.innerText();
        assert.match(shown, /LM Client \(Swarm Compute tests\) \(swarm-compute-tests\.lm-client\) asks a Swarm Compute model/);
        assert.ok(shown.includes(relay.url), 'the modal names the relay');
        assert.match(shown, /at most 50 sats/);
        assert.match(shown, /Why is the sky blue\?/, 'the modal shows what would be sent');
        assert.match(shown, /local model could not answer/i);
        assert.equal(jobs(), 0, 'nothing published while the modal is open');
        await page.screenshot({ path: screenshotPath('lm-consent-modal.png') });
        await dialog.getByRole('button', { name: 'Allow Once' }).click();
        // the earlier test's local answer may still be listed: wait for this one's
        const text = await notification(page, /LM Client answer from[^]*The swarm says/);
        assert.match(text, /The swarm says: scattering\./);
        assert.equal(jobs(), 1);
        assert.equal(wallet.payments.length, 1, 'one invoice paid');
        assert.ok(wallet.payments[0].amountMsats <= 50_000);
      }),
  );

  it(
    '"Never" keeps that extension on the local model: nothing is sent then, and it is not asked again',
    { skip: !providerApi && 'no provider API before 1.104' },
    () =>
      step(page, 'lm never', async () => {
        await clearNotifications(page);
        await runCommand(page, ASK);
        const dialog = page.locator('.monaco-dialog-box');
        await dialog.waitFor({ timeout: 30_000 });
        await dialog.getByRole('button', { name: 'Never (Local Only)' }).click();
        await notification(page, /LM Client failed: .*declined/);
        assert.equal(jobs(), 1, 'nothing more was published');
        await clearNotifications(page);
        await runCommand(page, ASK);
        await notification(page, /LM Client failed: Swarm Compute could not answer \(local: /);
        assert.equal(await dialog.count(), 0, 'not asked again');
        assert.equal(jobs(), 1, 'still nothing more published');
        assert.equal(wallet.payments.length, 1);
      }),
  );
});
