// An afternoon of use, in a real VS Code in Chromium with the packed .vsix:
// code blocks (highlighting, Copy, Insert at Cursor), Retry / Regenerate /
// Edit and resend / Ask the swarm instead, "Never" answering in the same
// entry, the keyboard, an axe-core check of the chat, the consent card and
// the metrics view, one count everywhere, sharing counters, a 170 px side
// bar and Export History. Real parts around it: an Ollama stand-in over HTTP,
// a Nostr relay, a NIP-90 provider, a NIP-90 customer.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { Frame, Page } from 'playwright-core';
import type { OllamaStandin } from '../support/ollama-standin';
import type { TestRelay } from '../support/relay';
import type { TestProvider } from '../support/test-provider';
import { startStandIns, type StandIns } from '../support/stand-ins';
import { startCustomer } from '../support/job-customer';
import { projectRoot } from '../../scripts/vscode/host.mjs';
import {
  askInChat,
  clearNotifications,
  notifications,
  openChat,
  openFile,
  runCommand,
  screenshotPath,
  sharingItem,
  step,
  startWorkbench,
  statusItem,
  widenSidebar,
  standInSettings,
  until,
  type Workbench,
} from './workbench';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const ANSWER = `# Debounce

A wrapper that waits until calls stop, see https://developer.mozilla.org/en-US/docs/Web/API/setTimeout for the timer.

\`\`\`ts
export const save = debounce(() => persist(doc), 500);
\`\`\`
`;

/** The frame whose document has `selector` (a webview's content frame). */
async function frameWith(page: Page, selector: string, timeoutMs = 20_000): Promise<Frame> {
  let found: Frame | undefined;
  await until(
    `a frame with ${selector}`,
    async () => {
      for (const f of page.frames()) if (await f.$(selector).catch(() => null)) found = f;
      return found !== undefined;
    },
    timeoutMs,
  );
  // tsx names functions with an __name helper: give the frame one, so functions can be evaluated there
  await found!.evaluate('window.__name = window.__name || ((f) => f); 0');
  return found!;
}

/** axe-core in the frame (evaluated over the DevTools protocol, so the webview's CSP stays as it is); the serious and critical violations. */
async function axeViolations(frame: Frame, include?: string): Promise<string[]> {
  await frame.evaluate(`${AXE_SOURCE}\n;0`);
  const found = (await frame.evaluate(async (sel) => {
    const axe = (
      window as unknown as {
        axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
      }
    ).axe;
    const r = await axe.run(sel ? { include: [sel] } : document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  }, include ?? null)) as { id: string; impact: string; targets: string[] }[];
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) at ${v.targets.join(', ')}`);
}

function findFile(dir: string, name: string): string | null {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    const s = lstatSync(p);
    if (s.isDirectory()) {
      const inner = findFile(p, name);
      if (inner) return inner;
    } else if (entry === name) return p;
  }
  return null;
}

describe('a day with Swarm Compute', () => {
  let standIns: StandIns;
  let ollama: OllamaStandin, relay: TestRelay, provider: TestProvider;
  let wb: Workbench;
  let page: Page;

  before(async () => {
    standIns = await startStandIns({
      models: { 'llama3.2': { reply: ANSWER, tokenDelayMs: 5 } },
      provider: { result: 'The swarm says: it waits, then runs once.' },
    });
    ({ ollama, relay, provider } = standIns);
    wb = await startWorkbench({
      settings: {
        ...standInSettings(standIns, 'llama3.2'),
        'swarmCompute.offerWindowSecs': 0,
        'workbench.colorTheme': 'Default Light Modern',
      },
      files: { 'src/notes.ts': '// notes\n' },
    });
    page = wb.page;
    await openChat(page, wb.chat);
  });

  after(async () => {
    await wb?.close();
    await standIns?.stop();
  });

  const entries = () => wb.chat.locator('article.entry');
  const ask = (text: string) => askInChat(wb.chat, text);

  it('code blocks are highlighted, with Copy and Insert at Cursor; the answer has Copy answer; headings fit a side bar', () =>
    step(page, 'daily code blocks', async () => {
      await openFile(page, 'notes.ts');
      await ask('How do I debounce a save?');
      const entry = wb.chat.locator('article.entry[data-state="completed"]').last();
      await entry.waitFor({ timeout: 30_000 });
      const block = entry.locator('.answer .code-block');
      assert.equal(await block.locator('.code-language').innerText(), 'ts');
      assert.ok((await block.locator('code.hljs .hljs-keyword').count()) > 0, 'keywords are highlighted');
      assert.ok(await block.locator('button.copy').isVisible());
      assert.ok(await entry.locator('.answer-actions button[data-copy-answer]').isVisible(), 'Copy answer');
      const sizes = await entry
        .locator('.answer-body h1')
        .evaluate((h) => [parseFloat(getComputedStyle(h).fontSize), parseFloat(getComputedStyle(document.body).fontSize)]);
      assert.ok(sizes[0] <= sizes[1] * 1.3, `h1 is ${sizes[0]}px on a ${sizes[1]}px side bar`);
      await block.locator('button.insert').click();
      await page.locator('.monaco-editor .view-lines', { hasText: 'export const save = debounce' }).first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Control+Z');
      await clearNotifications(page);
      await page.screenshot({ path: screenshotPath('code-blocks.png') });
    }));

  it('Stop, then Retry; Regenerate; Edit and resend', () =>
    step(page, 'daily retry paths', async () => {
      ollama.setModel('llama3.2', { tokens: Array.from({ length: 300 }, (_, i) => `word${i} `), tokenDelayMs: 60 });
      await ask('Tell me a long story');
      await wb.chat.locator('article.entry[data-state="running"] .answer-body', { hasText: 'word2' }).waitFor({ timeout: 20_000 });
      await wb.chat.locator('#stop').click();
      const stopped = wb.chat.locator('article.entry[data-state="cancelled"]').last();
      await stopped.waitFor({ timeout: 10_000 });
      ollama.setModel('llama3.2', { reply: ANSWER, tokenDelayMs: 5 });
      const n = await entries().count();
      await stopped.locator('.answer-actions button[data-action="retry"]').click();
      await entries().nth(n).and(wb.chat.locator('[data-state="completed"]')).waitFor({ timeout: 30_000 });
      assert.match(await entries().nth(n).locator('.question').innerText(), /Tell me a long story/);

      ollama.setModel('llama3.2', { reply: 'A second answer.', tokenDelayMs: 5 });
      await entries().nth(n).locator('.answer-actions button[data-action="regenerate"]').click();
      await entries()
        .nth(n + 1)
        .and(wb.chat.locator('[data-state="completed"]'))
        .waitFor({ timeout: 30_000 });
      assert.match(
        await entries()
          .nth(n + 1)
          .locator('.answer-body')
          .innerText(),
        /A second answer/,
      );

      await entries()
        .nth(n + 1)
        .locator('.answer-actions button[data-action="editResend"]')
        .click();
      const prompt = wb.chat.locator('#prompt');
      await until('the question back in the input', async () => (await prompt.inputValue()) === 'Tell me a long story');
      await askInChat(wb.chat, 'Tell me a short story');
      await entries()
        .nth(n + 2)
        .and(wb.chat.locator('[data-state="completed"]'))
        .waitFor({ timeout: 30_000 });
      assert.match(
        await entries()
          .nth(n + 2)
          .locator('.question')
          .innerText(),
        /short story/,
      );
      ollama.setModel('llama3.2', { reply: ANSWER, tokenDelayMs: 5 });
    }));

  it('Ask the swarm instead on a local answer: the consent card passes axe, then the swarm answers', () =>
    step(page, 'daily ask the swarm instead', async () => {
      const local = wb.chat.locator('article.entry[data-lane="local"][data-state="completed"]').last();
      const n = await entries().count();
      await local.locator('.answer-actions button[data-action="askSwarm"]').click();
      const consent = wb.chat.locator('#consent');
      await consent.waitFor({ timeout: 15_000 });
      assert.equal(relay.received.filter((e) => e.kind === 5050).length, 0, 'nothing sent before the answer');
      assert.match(await consent.locator('.consent-reason').innerText(), /You chose “Ask the swarm instead”/);
      const chatFrame = await frameWith(page, '#log');
      assert.deepEqual(await axeViolations(chatFrame, '#consent'), [], 'the consent card');
      // 170 px: the consent card and the toolbar still lay out
      await widenSidebar(page, 170);
      await until('the narrow side bar', async () => (await chatFrame.evaluate(() => document.documentElement.clientWidth)) <= 200);
      const narrow = await chatFrame.evaluate(() => {
        const over = (sel: string) =>
          Array.from(document.querySelectorAll<HTMLElement>(sel))
            .filter((e) => e.scrollWidth > e.clientWidth + 1)
            .map((e) => e.className || e.id);
        const rows = new Set(['mode', 'model', 'refresh-models'].map((id) => Math.round(document.getElementById(id)!.getBoundingClientRect().top / 8)));
        return {
          width: document.documentElement.clientWidth,
          page: document.documentElement.scrollWidth,
          toolbarRows: rows.size,
          overflowing: [...over('#consent, .consent-facts dd, .consent-title'), ...over('.error, .error-message'), ...over('.toolbar')],
        };
      });
      assert.ok(narrow.page <= narrow.width + 1, `the chat scrolls sideways at ${narrow.width}px (${narrow.page})`);
      assert.ok(narrow.toolbarRows <= 2, `the toolbar takes ${narrow.toolbarRows} rows`);
      assert.deepEqual(narrow.overflowing, []);
      await clearNotifications(page);
      await page.screenshot({ path: screenshotPath('narrow-consent.png') });
      await widenSidebar(page, 480);
      await consent.getByRole('button', { name: 'Allow once' }).click();
      const swarm = entries().nth(n);
      await swarm.and(wb.chat.locator('[data-lane="swarm"][data-state="completed"]')).waitFor({ timeout: 45_000 });
      assert.match(await swarm.locator('.answer-body').innerText(), /The swarm says/);
    }));

  it('"Never (local only)" answers locally in the same entry, not as a failure plus a duplicate', () =>
    step(page, 'daily never', async () => {
      await wb.chat.locator('#mode').selectOption('swarm-only');
      const n = await entries().count();
      await ask('Only if it stays here');
      const consent = wb.chat.locator('#consent');
      await consent.waitFor({ timeout: 15_000 });
      await consent.getByRole('button', { name: 'Never (local only)' }).click();
      await entries().nth(n).and(wb.chat.locator('[data-lane="local"][data-state="completed"]')).waitFor({ timeout: 30_000 });
      assert.equal(await entries().count(), n + 1, 'one entry for the question');
      assert.equal(await wb.chat.locator('article.entry', { hasText: 'Only if it stays here' }).count(), 1);
      assert.equal(await wb.chat.locator('article.entry[data-state="failed"]', { hasText: 'Only if it stays here' }).count(), 0);
      assert.equal(await wb.chat.locator('#mode').inputValue(), 'local-only');
      // after "never" no answer offers the swarm any more, old ones included
      await until('no "Ask the swarm instead" left', async () => (await wb.chat.locator('button[data-action="askSwarm"]').count()) === 0);
      await wb.chat.locator('#mode').selectOption('fallback');
    }));

  it('keyboard: Ctrl+Alt+Q focuses the input, PageUp/Ctrl+Home/Ctrl+End scroll the log, Tab reaches only the current entry, arrows move', () =>
    step(page, 'daily keyboard', async () => {
      const chatFrame = await frameWith(page, '#log');
      await openFile(page, 'notes.ts');
      await page.keyboard.press('Control+Alt+Q');
      await until('the chat input to have the focus', async () => (await chatFrame.evaluate(() => document.activeElement?.id)) === 'prompt');
      const top = () => chatFrame.evaluate(() => document.getElementById('log')!.scrollTop);
      await chatFrame.evaluate(() => (document.getElementById('log')!.scrollTop = 1e6));
      const end = await top();
      assert.ok(end > 0, 'the conversation is longer than the view');
      await page.keyboard.press('PageUp');
      await until('PageUp from the input to scroll the log', async () => (await top()) < end);
      await page.keyboard.press('Control+Home');
      await until('Ctrl+Home to reach the top', async () => (await top()) === 0);
      await page.keyboard.press('Control+End');
      await until('Ctrl+End to reach the end', async () => (await top()) >= end - 2);
      // one tab stop for the past: nothing focusable in entries but the current (newest) one
      const stops = await chatFrame.evaluate(() => {
        const all = Array.from(document.querySelectorAll<HTMLElement>('#log article.entry'));
        const outside = all
          .slice(0, -1)
          .flatMap((a) => [a, ...Array.from(a.querySelectorAll<HTMLElement>('button, a[href], [tabindex]'))])
          .filter((e) => e.tabIndex >= 0);
        return { outside: outside.length, log: document.getElementById('log')!.tabIndex, entries: all.length };
      });
      assert.equal(stops.log, 0, 'the log takes focus');
      assert.equal(stops.outside, 0, `${stops.outside} tab stops in past entries`);
      await chatFrame.focus('#log');
      // the first arrow enters the newest entry, the next moves up
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('ArrowUp');
      const focused = await chatFrame.evaluate(() => {
        const all = Array.from(document.querySelectorAll('#log article.entry'));
        return all.indexOf(document.activeElement as Element);
      });
      assert.equal(focused, stops.entries - 2, 'ArrowUp moved to the entry before the newest');
      await page.keyboard.press('Tab');
      const inEntry = await chatFrame.evaluate(
        () => (document.activeElement as HTMLElement).closest('article.entry') === Array.from(document.querySelectorAll('#log article.entry')).at(-2),
      );
      assert.ok(inEntry, "Tab goes into that entry's buttons");
      // no old entry announces itself: nothing failed here while the view watched, so no alert at all
      assert.equal(await wb.chat.locator('.error[role="alert"]').count(), 0);
    }));

  it('an axe-core check of the chat finds no serious violation', () =>
    step(page, 'daily axe chat', async () => {
      const chatFrame = await frameWith(page, '#log');
      assert.deepEqual(await axeViolations(chatFrame), []);
    }));

  it('Share My Model: confirmed first, counters follow the job back to idle, stopping says what was served', () =>
    step(page, 'daily sharing', async () => {
      await runCommand(page, 'Swarm Compute: Share My Model', { opensQuickInput: true });
      const pick = page.locator('.quick-input-widget');
      await pick.locator('.monaco-list-row', { hasText: 'Start sharing llama3.2 for free' }).waitFor({ timeout: 10_000 });
      const asked = await pick.innerText();
      assert.match(asked, /Share llama3\.2 with strangers on the Nostr marketplace for free\?/);
      assert.ok(asked.includes(relay.url), asked);
      await page.keyboard.press('Enter');
      const item = sharingItem(page);
      await item.filter({ hasText: 'serving llama3.2 · 0 jobs' }).waitFor({ timeout: 20_000 });
      const pubkey = (await relay.waitFor({ kinds: [31990], '#k': ['5050'] }, 10_000)).pubkey;
      ollama.setModel('llama3.2', { reply: 'Served answer.', tokenDelayMs: 150 });
      const customer = await startCustomer([relay.url]);
      try {
        const job = await customer.submit({ prompt: 'A stranger asks this', model: 'llama3.2', providers: [pubkey] });
        await item.filter({ hasText: '(1 running)' }).waitFor({ timeout: 20_000 });
        await relay.waitFor({ kinds: [6050], authors: [pubkey], '#e': [job.id] }, 30_000);
      } finally {
        await customer.close();
      }
      // back to idle as soon as the job is done
      await until(
        'the item to show the finished job and nothing running',
        async () => (await item.innerText()).trim().endsWith('serving llama3.2 · 1 job'),
        10_000,
      );
      ollama.setModel('llama3.2', { reply: ANSWER, tokenDelayMs: 5 });
      await clearNotifications(page);
      await item.click();
      await item.waitFor({ state: 'detached', timeout: 20_000 });
      let texts: string[] = [];
      const stopped = (t: string) => /stopped sharing llama3\.2 \(1 job answered\)/.test(t);
      await until('the stopped-sharing message', async () => (texts = await notifications(page)).some(stopped), 10_000).catch(() => {});
      assert.ok(texts.some(stopped), texts.join(' | '));
      await clearNotifications(page);
    }));

  it('one count everywhere: tooltip, metrics view and `swarm-compute metrics` agree; stopped is its own state; the metrics view passes axe', () =>
    step(page, 'daily metrics', async () => {
      const file = findFile(wb.dirs.sd, 'history.sqlite') ?? findFile(wb.dirs.ud, 'history.sqlite');
      assert.ok(file, 'the extension keeps its history in its global storage');
      // the CLI on the window's own data (it reads while the window keeps the file open)
      const cli = JSON.parse(
        execFileSync(process.execPath, [join(projectRoot, 'dist/cli.js'), 'metrics', '--data-dir', dirname(file), '--json'], {
          encoding: 'utf8',
          timeout: 60_000,
          killSignal: 'SIGKILL',
        }),
      ) as {
        localSuccess: number;
        swarmSuccess: number;
      };
      assert.ok(cli.localSuccess >= 5 && cli.swarmSuccess >= 1, JSON.stringify(cli));
      await statusItem(page).hover();
      const hover = page.locator('.monaco-hover', { hasText: 'Answers:' });
      await hover.waitFor({ timeout: 10_000 });
      assert.match(await hover.innerText(), new RegExp(`Answers: ${cli.localSuccess} local · ${cli.swarmSuccess} swarm`));
      await page.mouse.move(10, 10);
      await runCommand(page, 'Swarm Compute: Show Metrics');
      const metrics = await frameWith(page, '[data-card="local"]');
      const card = (k: string) => metrics.evaluate((key) => document.querySelector(`[data-card="${key}"] .card-value`)!.textContent, k);
      assert.match((await card('local')) ?? '', new RegExp(`^${cli.localSuccess} `));
      assert.match((await card('swarm')) ?? '', new RegExp(`^${cli.swarmSuccess} `));
      assert.equal(await card('stopped'), '1');
      assert.equal(await card('failed'), '0', 'the stopped run is not a failure');
      const rows = await metrics.evaluate(() => Array.from(document.querySelectorAll('tbody tr')).map((tr) => tr.textContent ?? ''));
      assert.ok(
        rows.some((r) => /stopped/.test(r) && /Tell me a long story/.test(r)),
        rows.join('\n'),
      );
      assert.ok(!rows.some((r) => /Be concise/.test(r)), 'no internal prompt');
      assert.deepEqual(await axeViolations(metrics), [], 'the metrics view');
      await clearNotifications(page);
      await page.screenshot({ path: screenshotPath('metrics-counts.png') });
      await runCommand(page, 'View: Close All Editors');
    }));

  it('Export History asks about served prompts and defaults to the home folder', () =>
    step(page, 'daily export', async () => {
      await runCommand(page, 'Swarm Compute: Export History', { opensQuickInput: true });
      const pick = page.locator('.quick-input-widget');
      await pick.locator('.monaco-list-row', { hasText: 'Leave them out' }).waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter');
      // the save dialog (VS Code's own in a remote window) starts outside the workspace
      const input = page.locator('.quick-input-widget input');
      await until('the save dialog', async () => /swarm-compute-history-.*\.json$/.test(await input.inputValue().catch(() => '')), 10_000);
      const path = await input.inputValue();
      assert.ok(!path.startsWith(wb.dirs.ws), `defaults outside the workspace (${path})`);
      assert.ok(path.startsWith(wb.dirs.home), path);
      await page.keyboard.press('Enter');
      const file = path.replace(/^~/, wb.dirs.home);
      await until('the exported file', async () => {
        try {
          return readFileSync(file, 'utf8').length > 0;
        } catch {
          return false;
        }
      });
      const rows = JSON.parse(readFileSync(file, 'utf8')) as { lane: string; prompt: string }[];
      const served = rows.filter((r) => r.lane === 'served');
      assert.equal(served.length, 1);
      assert.equal(served[0].prompt, '', "the stranger's prompt is left out");
      assert.ok(
        rows.some((r) => r.prompt === 'Tell me a short story'),
        'your own prompts are in',
      );
    }));

  it('in the high-contrast theme the lane badges stay readable and axe finds nothing serious', () =>
    step(page, 'daily high contrast', async () => {
      await runCommand(page, 'Swarm Compute: Open Chat');
      await page
        .locator('.monaco-editor .view-lines')
        .first()
        .click()
        .catch(() => {});
      // Ctrl+K Ctrl+T: the theme picker
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+T');
      await page.locator('.quick-input-widget input[placeholder*="Color Theme"]').waitFor({ timeout: 15_000 });
      await page.keyboard.type('Dark High Contrast');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Dark High Contrast' }).first().waitFor({ timeout: 15_000 });
      await page.keyboard.press('Enter');
      await wb.chat.locator('body.vscode-high-contrast').waitFor({ timeout: 20_000 });
      const chatFrame = await frameWith(page, '#log');
      const ratios = (await chatFrame.evaluate(`(() => {
        const lum = (c) => {
          const [r, g, b] = (c.match(/[\\d.]+/g) || []).slice(0, 3).map((v) => Number(v) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        return Array.from(document.querySelectorAll('.badge.lane-local, .badge.lane-swarm')).map((b) => {
          const [l1, l2] = [lum(getComputedStyle(b).color), lum(getComputedStyle(b).backgroundColor)].sort((x, y) => y - x);
          return (l1 + 0.05) / (l2 + 0.05);
        });
      })()`)) as number[];
      assert.ok(ratios.length > 0);
      for (const r of ratios) assert.ok(r >= 4.5, `a lane badge at ${r.toFixed(2)}:1`);
      assert.deepEqual(await axeViolations(chatFrame), []);
      await clearNotifications(page);
      await page.screenshot({ path: screenshotPath('chat-high-contrast.png') });
    }));
});
