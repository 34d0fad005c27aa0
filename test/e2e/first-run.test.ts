// First start on a machine without Ollama and without a network, in a real
// VS Code in Chromium: a calm status bar ("set up"), the walkthrough, a plain
// "offline" instead of a consent card for relays nobody can reach, and only
// actions that can help. Then the wallet check against a live and a dead relay.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { closedPort } from '../support/ollama-standin';
import { startRelay, type TestRelay } from '../support/relay';
import { startNwcWallet, type NwcTestWallet } from '../support/nwc-wallet';
import {
  askInChat,
  showChat,
  clearNotifications,
  connectWallet,
  notifications,
  runCommand,
  screenshotPath,
  step,
  startWorkbench,
  statusItem,
  widenSidebar,
  until,
  type Workbench,
} from './workbench';

describe('first start without Ollama, offline', () => {
  let wb: Workbench;
  let page: Page;
  let deadRelay: string;
  let relay: TestRelay;
  let wallet: NwcTestWallet;

  before(async () => {
    deadRelay = `ws://127.0.0.1:${await closedPort()}`;
    relay = await startRelay();
    wallet = await startNwcWallet({ relayUrl: relay.url, balanceMsats: 123_000 });
    wb = await startWorkbench({
      settings: {
        // the defaults a new user has, except that nothing on this machine answers
        'swarmCompute.ollamaHost': `http://127.0.0.1:${await closedPort()}`,
        'swarmCompute.relays': [deadRelay, `ws://127.0.0.1:${await closedPort()}`],
        'workbench.colorTheme': 'Default Light Modern',
      },
    });
    page = wb.page;
  });

  after(async () => {
    await wb?.close();
    await wallet?.stop();
    await relay?.stop();
  });

  it('the status bar says "set up", not an alarm, and opens the walkthrough', () =>
    step(page, 'first-run status bar', async () => {
      const item = statusItem(page);
      await item.filter({ hasText: 'set up' }).waitFor({ timeout: 30_000 });
      const cls = (await item.getAttribute('class')) ?? '';
      assert.doesNotMatch(cls, /error-kind|warning-kind/, `no alarm colour (${cls})`);
      assert.doesNotMatch(await item.innerText(), /fallback|down|⚠/);
      await item.click();
      const walkthrough = page.locator('.gettingStartedContainer');
      await walkthrough.getByText('Get Started with Swarm Compute').first().waitFor({ timeout: 20_000 });
      for (const title of ['Install Ollama', 'Start Ollama', 'Pull a model', 'Or use the swarm only', 'Ask a question']) {
        await walkthrough.locator('.getting-started-step', { hasText: title }).first().waitFor({ timeout: 10_000 });
      }
      // the install step shows the commands for each platform
      await walkthrough.locator('.getting-started-step', { hasText: 'Install Ollama' }).first().click();
      await clearNotifications(page);
      await page.screenshot({ path: screenshotPath('walkthrough.png') });
      const frames = page.frames();
      let text = '';
      for (let i = 0; i < 50 && !/install\.sh/.test(text); i++) {
        for (const f of page.frames()) text += await f.evaluate(() => document.body?.innerText ?? '').catch(() => '');
        if (!/install\.sh/.test(text)) await page.waitForTimeout(200);
      }
      assert.ok(frames.length > 0);
      assert.match(text, /curl -fsSL https:\/\/ollama\.com\/install\.sh/);
      assert.match(text, /brew install ollama/);
      assert.match(text, /winget install/);
      await runCommand(page, 'View: Close All Editors');
    }));

  it('the chat says Ollama is not installed, with Install Ollama and no Start Ollama', () =>
    step(page, 'first-run models line', async () => {
      await showChat(page, wb.chat);
      await widenSidebar(page, 420);
      const line = wb.chat.locator('#models-error');
      await line.filter({ hasText: 'not installed' }).waitFor({ timeout: 20_000 });
      assert.equal(await line.locator('button[data-action="installOllama"]').count(), 1);
      assert.equal(await line.locator('button[data-action="startOllama"]').count(), 0);
      assert.ok(await wb.chat.locator('#get-started').isVisible(), 'the empty chat offers Get started');
    }));

  it('a question while offline: no consent card, one plain line, only actions that help', () =>
    step(page, 'first-run offline question', async () => {
      const prompt = wb.chat.locator('#prompt');
      await askInChat(wb.chat, 'What is a closure?');
      const entry = wb.chat.locator('article.entry[data-state="failed"]').last();
      await entry.waitFor({ timeout: 60_000 });
      assert.ok(await wb.chat.locator('#consent').isHidden(), 'no consent was asked for relays nobody can reach');
      const error = await entry.locator('.error-message').innerText();
      assert.match(error, /Offline: none of the 2 relays could be reached, so nothing was sent/);
      assert.doesNotMatch(error, /ECONNREFUSED|host not found/i);
      const fixes = await entry.locator('.error-actions button').evaluateAll((bs) => bs.map((b) => (b as HTMLElement).dataset.action));
      assert.deepEqual(fixes, ['installOllama']);
      const more = await entry.locator('.answer-actions button').evaluateAll((bs) => bs.map((b) => (b as HTMLElement).dataset.action ?? 'copy'));
      assert.deepEqual(more, ['retry', 'editResend']);
      // Edit and resend puts the question back into the input
      await entry.locator('.answer-actions button[data-action="editResend"]').click();
      await until('the prompt back in the input', async () => (await prompt.inputValue()) === 'What is a closure?', 15_000);
      await prompt.fill('');
      await clearNotifications(page);
      await page.screenshot({ path: screenshotPath('first-run.png') });
    }));

  it('Connect Wallet asks the wallet: a dead relay is said so, a live wallet shows its balance and methods', () =>
    step(page, 'first-run wallet check', async () => {
      const connect = (uri: string) => connectWallet(page, uri);
      const dead = wallet.uri.replace(/relay=[^&]+/, `relay=${encodeURIComponent(deadRelay)}`);
      await connect(dead);
      let texts: string[] = [];
      await until('the failed wallet check', async () => (texts = await notifications(page)).some((t) => /wallet not connected/.test(t)), 30_000);
      const failure = texts.find((t) => /wallet not connected/.test(t))!;
      assert.ok(failure.includes(deadRelay), failure);
      assert.ok(!texts.some((t) => /wallet connected\./.test(t)), texts.join(' | '));
      assert.match(await statusItem(page).innerText(), /set up/, 'a wallet that did not answer sets nothing up');
      await clearNotifications(page);

      await connect(wallet.uri);
      await until('the wallet check', async () => (texts = await notifications(page)).some((t) => /wallet connected\./.test(t)), 30_000);
      const ok = texts.find((t) => /wallet connected\./.test(t))!;
      assert.match(ok, /balance 123 sats/);
      assert.match(ok, /allows pay_invoice/);
      assert.ok(wallet.requests.some((r) => r.method === 'get_balance'));
      // something is set up now: the status bar leaves "set up"
      await until('the status bar to leave "set up"', async () => !/set up/.test(await statusItem(page).innerText()), 20_000);
      await clearNotifications(page);
    }));
});
