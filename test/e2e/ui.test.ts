// UI tests: the packed .vsix in a real VS Code in Chromium, driven the way a
// person uses it. Real parts around it: an Ollama stand-in over HTTP, a Nostr
// relay, a NIP-90 provider and an NWC wallet, all on loopback.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { OllamaStandin } from '../support/ollama-standin';
import type { TestRelay } from '../support/relay';
import type { TestProvider } from '../support/test-provider';
import type { NwcTestWallet } from '../support/nwc-wallet';
import { quietFor } from '../support/quiet';
import { startStandIns, type StandInsWithWallet } from '../support/stand-ins';
import { startCustomer } from '../support/job-customer';
import {
  askInChat,
  showChat,
  clearNotifications,
  connectWallet,
  notifications,
  openChat,
  widenSidebar,
  step,
  openFile,
  runCommand,
  screenshotPath,
  selectLines,
  sharingItem,
  standInSettings,
  startWorkbench,
  statusItem,
  until,
  type Workbench,
} from './workbench';

const SAMPLE = `export function debounce<T extends (...args: unknown[]) => void>(fn: T, waitMs: number): T {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return ((...args: unknown[]) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), waitMs);
  }) as T;
}
`;

const LOCAL_ANSWER = `\`debounce\` returns a wrapper that **delays** calling \`fn\` until \`waitMs\` milliseconds have passed without another call.

- Each call clears the pending timer and starts a new one.
- Only the last call in a burst runs.

\`\`\`ts
const save = debounce(() => persist(doc), 500);
\`\`\`
`;

const PAYLOAD = `Here is your answer.

<script>window.top.__pwned = 'script';</script>
<img src=x onerror="window.top.__pwned = 'img'; alert('img')">
<a href="javascript:alert('link')">click</a>

**Bold** still works.`;

describe('Swarm Compute in a real VS Code', () => {
  let standIns: StandInsWithWallet;
  let ollama: OllamaStandin, relay: TestRelay, provider: TestProvider, wallet: NwcTestWallet;
  let wb: Workbench;
  let page: Page;
  const dialogs: string[] = [];

  before(async () => {
    standIns = await startStandIns({
      models: { 'llama3.2': { reply: LOCAL_ANSWER, tokenDelayMs: 40 } },
      provider: { payAfter: { amountMsats: 21_000 }, result: 'The swarm says: it waits, then runs once.' },
      wallet: {},
    });
    ({ ollama, relay, provider, wallet } = standIns);
    wb = await startWorkbench({
      settings: {
        ...standInSettings(standIns, 'llama3.2'),
        'swarmCompute.maxPriceMsats': 50_000,
        'swarmCompute.offerWindowSecs': 0,
        'workbench.colorTheme': 'Default Dark Modern',
      },
      files: { 'src/debounce.ts': SAMPLE },
    });
    page = wb.page;
    await openChat(page, wb.chat);
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  after(async () => {
    await wb?.close();
    await standIns?.stop();
  });

  it('Explain Selection from the palette streams a local answer with its lane badge', () =>
    step(page, 'Explain Selection from the palette streams a local answer with its lane badge', async () => {
      await openFile(page, 'debounce.ts');
      await selectLines(page, 1, 7);
      await runCommand(page, 'Swarm Compute: Explain Selection');
      const entry = wb.chat.locator('article.entry').last();
      await entry.waitFor({ timeout: 30_000 });
      // streamed: part of the answer is on screen while the entry is still running
      await wb.chat.locator('article.entry[data-state="running"] .answer-body', { hasText: 'returns a wrapper' }).waitFor({ timeout: 20_000 });
      await wb.chat.locator('article.entry[data-state="completed"]').last().waitFor({ timeout: 30_000 });
      assert.equal(await entry.locator('.badge').getAttribute('data-lane'), 'local');
      assert.match(await entry.locator('.label').innerText(), /local[\s\S]*llama3\.2/);
      assert.match(await entry.locator('.question').innerText(), /debounce\.ts/);
      assert.equal(await entry.locator('.answer-body strong').innerText(), 'delays');
      assert.equal(await entry.locator('.answer .code-block button.copy').count(), 1, 'code blocks get a copy button');
      await clearNotifications(page);
      await page.screenshot({ path: screenshotPath('explain-selection.png') });
    }));

  it('the Ctrl+Alt+E keybinding explains the selection', () =>
    step(page, 'the Ctrl+Alt+E keybinding explains the selection', async () => {
      await openFile(page, 'debounce.ts');
      await selectLines(page, 4, 5);
      await page.keyboard.press('Control+Alt+E');
      const entry = wb.chat.locator('article.entry', { has: wb.chat.locator('.question', { hasText: 'debounce.ts lines 4–5' }) });
      await entry.waitFor({ timeout: 20_000 });
      await entry.and(wb.chat.locator('[data-state="completed"]')).waitFor({ timeout: 30_000 });
      // Explain Selection begins a new conversation: the chat shows it alone
      assert.equal(await wb.chat.locator('article.entry').count(), 1);
    }));

  it('Stop cancels a streaming answer and closes the request to Ollama', () =>
    step(page, 'Stop cancels a streaming answer and closes the request to Ollama', async () => {
      ollama.setModel('llama3.2', { tokens: Array.from({ length: 400 }, (_, i) => `word${i} `), tokenDelayMs: 60 });
      const seen = ollama.requests.length;
      await askInChat(wb.chat, 'Tell me a very long story');
      const request = await ollama.waitForRequest((r) => ollama.requests.indexOf(r) >= seen && (r.path === '/api/generate' || r.path === '/api/chat'), 30_000);
      await wb.chat.locator('article.entry[data-state="running"] .answer-body', { hasText: 'word3' }).waitFor({ timeout: 20_000 });
      await wb.chat.locator('#stop').click();
      const stopped = wb.chat.locator('article.entry').last();
      await wb.chat.locator('article.entry[data-state="cancelled"]').last().waitFor({ timeout: 10_000 });
      assert.equal(await stopped.locator('.badge').getAttribute('data-lane'), 'cancelled');
      await request.settled;
      assert.ok(request.closedEarly, 'the HTTP request to Ollama was aborted');
      assert.ok(request.tokensSent < 400);
      assert.ok(await wb.chat.locator('#stop').isHidden());
      ollama.setModel('llama3.2', { reply: LOCAL_ANSWER, tokenDelayMs: 40 });
    }));

  it('Escape in the editor stops an answer started by Explain Selection', () =>
    step(page, 'Escape in the editor stops an answer started by Explain Selection', async () => {
      ollama.setModel('llama3.2', { tokens: Array.from({ length: 400 }, (_, i) => `word${i} `), tokenDelayMs: 60 });
      await openFile(page, 'debounce.ts');
      await selectLines(page, 2, 3);
      await page.keyboard.press('Control+Alt+E');
      await wb.chat.locator('article.entry[data-state="running"] .answer-body', { hasText: 'word3' }).waitFor({ timeout: 20_000 });
      // the editor still has the focus: Escape there stops the answer
      await page.keyboard.press('Escape');
      await wb.chat
        .locator('article.entry[data-state="cancelled"]', { has: wb.chat.locator('.question', { hasText: 'debounce.ts lines 2–3' }) })
        .waitFor({ timeout: 10_000 });
      ollama.setModel('llama3.2', { reply: LOCAL_ANSWER, tokenDelayMs: 40 });
    }));

  it('Explain Selection without a selection says to select code first', () =>
    step(page, 'Explain Selection without a selection says to select code first', async () => {
      const before = await wb.chat.locator('article.entry').count();
      await openFile(page, 'debounce.ts');
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+Alt+E');
      let texts: string[] = [];
      await until('the message', async () => (texts = await notifications(page)).some((t) => /select some code first/i.test(t)), 10_000).catch(() => {});
      assert.ok(
        texts.some((t) => /select some code first/i.test(t)),
        texts.join(' | '),
      );
      assert.equal(await wb.chat.locator('article.entry').count(), before, 'nothing was asked');
      await clearNotifications(page);
    }));

  it('a swarm job asks for consent, pays within the cap, and the status bar shows the spend', () =>
    step(page, 'a swarm job asks for consent, pays within the cap, and the status bar shows the spend', async () => {
      const before = await statusItem(page).innerText();
      assert.match(before, /0 sats/);
      await connectWallet(page, wallet.uri);
      // Connect Wallet asks the wallet first (get_info, get_balance); it is saved once that answered
      for (let i = 0; !(await notifications(page)).some((t) => /wallet connected\./.test(t)); i++) {
        if (i > 50) throw new Error('the wallet was not connected');
        await page.waitForTimeout(200);
      }
      await clearNotifications(page);

      await wb.chat.locator('#mode').selectOption('swarm-only');
      await askInChat(wb.chat, 'How does debounce work?');
      const consent = wb.chat.locator('#consent');
      await consent.waitFor({ timeout: 15_000 });
      assert.match(await consent.locator('.consent-prompt').innerText(), /How does debounce work\?/, 'the consent shows what will be sent');
      assert.ok((await consent.innerText()).includes(relay.url), 'the consent names the relays');
      assert.equal(await consent.locator('[data-fact="cap"]').innerText(), 'at most 50 sats');
      assert.match(await consent.locator('[data-fact="providers"]').innerText(), /any provider/);
      assert.match(await consent.locator('.consent-reason').innerText(), /Swarm only/);
      assert.equal(relay.received.filter((e) => e.kind === 5050).length, 0, 'nothing was published before the answer');
      // no lane yet: the question waits for the answer, not the swarm
      assert.equal(await wb.chat.locator('article.entry[data-state="running"] .badge').getAttribute('data-lane'), 'waiting');
      await clearNotifications(page);
      await page.screenshot({ path: screenshotPath('consent.png') });
      await consent.getByRole('button', { name: 'Always allow' }).click();
      await consent.waitFor({ state: 'hidden' });

      const entry = wb.chat.locator('article.entry[data-lane="swarm"][data-state="completed"]').last();
      await entry.waitFor({ timeout: 45_000 });
      assert.match(await entry.locator('.answer-body').innerText(), /The swarm says/);
      const label = await entry.locator('.label').innerText();
      assert.match(label, /swarm/);
      assert.match(label, /npub1/);
      assert.match(label, /21 sats/);
      assert.equal(wallet.payments.length, 1, 'one invoice was paid');
      await page.waitForFunction((id) => /21 sats/.test(document.getElementById(id)?.textContent ?? ''), 'swarm-compute.swarm-compute.swarmCompute.status', {
        timeout: 20_000,
      });
      assert.notEqual(await statusItem(page).innerText(), before);
      await clearNotifications(page);
      await page.screenshot({ path: screenshotPath('chat.png') });
      await statusItem(page).hover();
      await page.locator('.monaco-hover', { hasText: 'Spent today' }).waitFor({ timeout: 10_000 });
      await page.screenshot({ path: screenshotPath('status-bar.png'), clip: { x: 700, y: 560, width: 700, height: 300 } });
      await page.mouse.move(10, 10);
    }));

  it('Show Metrics charts the lanes and the spend', () =>
    step(page, 'Show Metrics charts the lanes and the spend', async () => {
      await runCommand(page, 'Swarm Compute: Show Metrics');
      await page.locator('.tab', { hasText: 'Swarm Compute Metrics' }).waitFor({ timeout: 15_000 });
      let text = '';
      const deadline = Date.now() + 15_000;
      while (!/Spent today/.test(text) && Date.now() < deadline) {
        for (const frame of page.frames()) {
          const found = await frame
            .evaluate(() => (document.querySelector('h1')?.textContent === 'Swarm Compute metrics' ? document.body.innerText : ''))
            .catch(() => '');
          if (found) text = found;
        }
        await page.waitForTimeout(200);
      }
      assert.match(text, /Spent today\s+21 sats/);
      assert.match(text, /Answers per day, by lane/);
      await clearNotifications(page);
      await page.screenshot({ path: screenshotPath('metrics.png') });
      await runCommand(page, 'View: Close All Editors');
      await page.locator('.tab', { hasText: 'Swarm Compute Metrics' }).waitFor({ state: 'detached' });
    }));

  it('a provider answer with script and HTML payloads renders as text and runs nothing', () =>
    step(page, 'a provider answer with script and HTML payloads renders as text and runs nothing', async () => {
      provider.setScript({ result: PAYLOAD });
      await askInChat(wb.chat, 'Show me HTML');
      const entry = wb.chat.locator('article.entry[data-lane="swarm"][data-state="completed"]', { hasText: 'Here is your answer' }).last();
      await entry.waitFor({ timeout: 45_000 });
      const body = entry.locator('.answer-body');
      const text = await body.innerText();
      assert.match(text, /<script>window\.top\.__pwned = 'script';<\/script>/, 'the script tag is shown as text');
      assert.match(text, /<img src=x onerror=/, 'the img tag is shown as text');
      assert.equal(await body.locator('script, img, iframe').count(), 0, 'no element was created from the payload');
      assert.equal(await body.locator('strong').innerText(), 'Bold');
      const hrefs = await body.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.ok(
        hrefs.every((h) => !h || !h.startsWith('javascript:')),
        `no javascript: link (${hrefs.join(', ')})`,
      );
      // a script or handler that ran would have set it by now
      await quietFor(500);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), undefined);
      assert.deepEqual(dialogs, [], 'no alert ran');
    }));

  it('the chat keeps its conversation and draft when hidden and shown again', () =>
    step(page, 'the chat keeps its conversation and draft when hidden and shown again', async () => {
      const before = await wb.chat.locator('article.entry').count();
      await wb.chat.locator('#prompt').fill('a draft I have not sent');
      await page.locator('.activitybar a.action-label[aria-label^="Explorer"]').click();
      await page.locator('.part.sidebar .explorer-folders-view, .part.sidebar .explorer-viewlet').first().waitFor();
      await showChat(page, wb.chat);
      await wb.chat
        .locator('article.entry')
        .nth(before - 1)
        .waitFor({ timeout: 15_000 });
      assert.equal(await wb.chat.locator('article.entry').count(), before);
      assert.equal(await wb.chat.locator('#prompt').inputValue(), 'a draft I have not sent');
      const models = await wb.chat.locator('#model option').allTextContents();
      assert.ok(
        models.some((m) => m.startsWith('llama3.2')),
        models.join(','),
      );
      assert.ok(
        models.every((m) => !m.includes('not pulled')),
        models.join(','),
      );
      // the picker holds the name as typed: choosing it saves "llama3.2", not "llama3.2:latest"
      assert.ok(models.includes('llama3.2') && !models.some((m) => m.endsWith(':latest')), models.join(','));
      assert.equal(await wb.chat.locator('#model').inputValue(), 'llama3.2');
      await wb.chat.locator('#prompt').fill('');
    }));

  it('Share My Model serves in the status bar, answers a job, and withdraws its announcement when the window goes', () =>
    step(page, 'Share My Model serves in the status bar, answers a job, and withdraws its announcement when the window goes', async () => {
      await runCommand(page, 'Swarm Compute: Share My Model', { opensQuickInput: true });
      // serving strangers is confirmed first, naming the model, the price and the relays
      const pick = page.locator('.quick-input-widget');
      await pick.locator('.monaco-list-row', { hasText: 'Start sharing llama3.2 for free' }).waitFor({ timeout: 10_000 });
      assert.ok((await pick.innerText()).includes(relay.url));
      await page.keyboard.press('Enter');
      const item = sharingItem(page);
      await item.filter({ hasText: 'serving llama3.2 · 0 jobs' }).waitFor({ timeout: 20_000 });
      const announced = await relay.waitFor({ kinds: [31990], '#k': ['5050'] }, 10_000);
      const pubkey = announced.pubkey;
      assert.notEqual(pubkey, provider.pubkey, "the extension's own announcement");
      const customer = await startCustomer([relay.url]);
      try {
        const job = await customer.submit({ prompt: 'Who serves this?', model: 'llama3.2', providers: [pubkey] });
        const result = await relay.waitFor({ kinds: [6050], authors: [pubkey], '#e': [job.id] }, 30_000);
        assert.match(result.content, /returns a wrapper/);
      } finally {
        await customer.close();
      }
      await item.filter({ hasText: 'serving llama3.2 · 1 job' }).waitFor({ timeout: 10_000 });
      await page.reload();
      const withdrawn = await relay.waitFor({ kinds: [5], authors: [pubkey] }, 20_000);
      assert.ok(withdrawn.tags.some((t) => t[0] === 'a' && t[1].startsWith(`31990:${pubkey}:`)));
      await wb.open();
      assert.equal(await sharingItem(page).count(), 0, 'sharing ends with the window');
    }));

  it('the conversation survives a reload of the window', () =>
    step(page, 'the conversation survives a reload of the window', async () => {
      await page.reload();
      await wb.open();
      await showChat(page, wb.chat);
      const entries = wb.chat.locator('article.entry');
      await entries.first().waitFor({ timeout: 30_000 });
      await wb.chat.locator('article.entry', { hasText: 'Here is your answer' }).waitFor({ timeout: 15_000 });
      // the newest answer is in view (once the restored log has scrolled to it)
      const gapBelow = () => wb.chat.locator('#log').evaluate((l) => l.scrollHeight - l.scrollTop - l.clientHeight);
      await until('the log at its end', async () => (await gapBelow()) < 20, 10_000).catch(() => {});
      const gap = await gapBelow();
      assert.ok(gap < 20, `the log is ${gap}px above its end`);
      // the newest conversation is open again: the stopped Explain and the swarm answers that followed it
      const lanesOf = () => wb.chat.locator('article.entry .badge').evaluateAll((bs) => bs.map((b) => (b as HTMLElement).dataset.lane));
      const lanes = await lanesOf();
      assert.ok(lanes.includes('swarm') && lanes.includes('cancelled'), lanes.join(','));
      // Explain questions show their short title again, not the prompt sent to the model
      const questions = await wb.chat.locator('article.entry .question').allInnerTexts();
      assert.ok(
        questions.some((q) => /^\s*Explain debounce\.ts lines 2–3/.test(q)),
        questions.join(' | '),
      );
      assert.ok(!questions.some((q) => /Be concise/.test(q)), 'no internal prompt on screen');
      // an older conversation comes back from Past Conversations, listed by its first question
      await runCommand(page, 'Swarm Compute: Past Conversations');
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Explain debounce.ts lines 1–7' }).first();
      await row.waitFor({ timeout: 10_000 });
      assert.match(await row.innerText(), /1 turn · 1 local · free/);
      await row.click();
      await wb.chat.locator('article.entry .question', { hasText: 'lines 1–7' }).waitFor({ timeout: 10_000 });
      assert.deepEqual(await lanesOf(), ['local']);
      assert.match(await statusItem(page).innerText(), /(42|21) sats/);
    }));

  it('lane badges and code stay readable in the dark and the light theme', () =>
    step(page, 'lane badges and code stay readable in the dark and the light theme', async () => {
      const check = async (theme: string) => {
        await wb.chat.locator('article.entry .badge[data-lane="local"]').first().waitFor({ timeout: 15_000 });
        const colours = await wb.chat
          .locator('article.entry .badge[data-lane="local"], article.entry .badge[data-lane="swarm"]')
          .evaluateAll((bs) => bs.map((b) => [(b as HTMLElement).dataset.lane ?? '', getComputedStyle(b).color, getComputedStyle(b).backgroundColor]));
        const badges = colours.map(([lane, fg, bg]) => {
          const [l1, l2] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
          return { lane, ratio: (l1 + 0.05) / (l2 + 0.05) };
        });
        assert.ok(badges.length > 0);
        for (const b of badges) assert.ok(b.ratio >= 4.5, `${theme}: ${b.lane} badge contrast ${b.ratio.toFixed(2)}:1`);
        const code = await wb.chat
          .locator('.md code')
          .first()
          .evaluate((c) => getComputedStyle(c).borderTopStyle);
        assert.equal(code, 'solid', `${theme}: inline code has a border`);
        await page.screenshot({ path: screenshotPath(`chat-${theme}.png`) });
      };
      await check('dark');
      // at a narrow side bar the pickers wrap instead of being cut off
      await widenSidebar(page, 260);
      const boxes = await wb.chat
        .locator('#mode, #model')
        .evaluateAll((els) => els.map((e) => [e.getBoundingClientRect().right, e.getBoundingClientRect().width, document.documentElement.clientWidth]));
      for (const [right, width, page] of boxes) {
        assert.ok(right <= page + 0.5, `a picker runs past the side bar (${right} > ${page})`);
        assert.ok(width >= 120, `a picker is squeezed to ${width}px`);
      }
      await widenSidebar(page, 480);
      await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
      await wb.chat.locator('body.vscode-light').waitFor({ timeout: 20_000 });
      await check('light');
    }));
});

/** WCAG relative luminance of a CSS rgb()/rgba() colour. */
function luminance(colour: string): number {
  const [r, g, b] = (colour.match(/[\d.]+/g) ?? [])
    .slice(0, 3)
    .map((v) => Number(v) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
