// A real VS Code (the VS Code server from code-server) in headless Chromium,
// with the packed .vsix installed the way a user installs it. Helpers drive
// it the way a person does: command palette, editor selection, the chat
// webview (two nested frames), the status bar.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import {
  extensionId,
  host,
  installFolder,
  installVsix,
  launchBrowser,
  makeDirs,
  projectRoot,
  removeDirs,
  startServer,
  writeUserSettings,
  type HostDirs,
  type RunningServer,
} from '../../scripts/vscode/host.mjs';
import type { StandIns } from '../support/stand-ins';

export const VSIX = process.env.SWARM_VSIX || join(projectRoot, 'swarm-compute.vsix');
/** Screenshots go to docs/ only when SWARM_UPDATE_DOCS=1 (npm run docs:screenshots), else into the host's folder (.vscode-test/ or .vscode-test-next/). */
export const SCREENSHOTS = process.env.SWARM_UPDATE_DOCS === '1' ? join(projectRoot, 'docs') : join(host.root, 'screenshots');

export interface Workbench {
  page: Page;
  browser: Browser;
  server: RunningServer;
  dirs: HostDirs;
  /** the chat webview's content frame */
  chat: FrameLocator;
  open(): Promise<void>;
  close(): Promise<void>;
}

export async function startWorkbench(
  options: {
    settings?: Record<string, unknown>;
    files?: Record<string, string>;
    /** unpacked extension folders installed beside the .vsix */
    extensions?: string[];
    /** false: modal dialogs really show */
    smokeTestDriver?: boolean;
  } = {},
): Promise<Workbench> {
  const dirs = makeDirs();
  openDirs.add(dirs);
  writeUserSettings(dirs, options.settings);
  for (const [name, text] of Object.entries(options.files ?? {})) {
    mkdirSync(join(dirs.ws, name, '..'), { recursive: true });
    writeFileSync(join(dirs.ws, name), text);
  }
  installVsix(dirs, VSIX);
  for (const folder of options.extensions ?? []) installFolder(dirs, folder);
  const server = await startServer(dirs, { smokeTestDriver: options.smokeTestDriver ?? true });
  const browser = await launchBrowser().catch(async (err) => {
    await server.stop();
    throw err;
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  page.on('pageerror', (e) => process.stderr.write(`[workbench page error] ${e.message}\n`));
  const chat = page.frameLocator(`iframe.webview.ready[src*="extensionId=${extensionId}"]`).frameLocator('#active-frame');
  const wb: Workbench = {
    page,
    browser,
    server,
    dirs,
    chat,
    async open() {
      await page.goto(server.workbenchUrl(dirs.ws));
      await activityItem(page).waitFor({ timeout: 60_000 });
      await page.locator('[id="status.notifications"]').waitFor({ timeout: 30_000 });
    },
    async close() {
      await browser.close().catch(() => {});
      await server.stop();
      openDirs.delete(dirs);
      if (!process.env.SWARM_KEEP_RUNS) removeDirs(dirs);
    },
  };
  try {
    await wb.open();
  } catch (err) {
    await wb.close();
    throw err;
  }
  return wb;
}

/** Settings that point the extension at the stand-ins: fallback mode with `model`, the swarm given 30 s. */
export function standInSettings(s: StandIns, model: string): Record<string, unknown> {
  return {
    'swarmCompute.mode': 'fallback',
    'swarmCompute.model': model,
    'swarmCompute.ollamaHost': s.ollama.url,
    'swarmCompute.relays': [s.relay.url],
    'swarmCompute.swarmTimeoutSecs': 30,
  };
}

/** Polls `probe` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Types a question into the chat and sends it as a person would, once the run
 * before has ended (Enter while busy sends nothing), and waits until the chat
 * took it (its input empties as the question goes).
 */
export async function askInChat(chat: FrameLocator, text: string): Promise<void> {
  await chat.locator('#stop').waitFor({ state: 'hidden', timeout: 60_000 });
  const prompt = chat.locator('#prompt');
  await prompt.fill(text);
  await prompt.press('Enter');
  await until('the chat to take the question', async () => (await prompt.inputValue()) === '', 30_000);
}

/**
 * Puts the chat view on screen. The activity-bar item toggles: clicked while
 * its view is already showing (VS Code restores it after a reload, or a
 * command revealed it) it hides the side bar. So it is clicked only while the
 * chat's input is not visible, and again if the side bar did not show it.
 */
export async function showChat(page: Page, chat: FrameLocator): Promise<void> {
  const input = chat.locator('#prompt');
  for (let attempt = 1; !(await input.isVisible()); attempt++) {
    await activityItem(page).click();
    try {
      await input.waitFor({ state: 'visible', timeout: 15_000 });
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

/** Opens the chat view, with room (480 px) to read it, and waits until its script has the host's `init` (before that, Enter would go nowhere). */
export async function openChat(page: Page, chat: FrameLocator): Promise<void> {
  await showChat(page, chat);
  await widenSidebar(page, 480);
  await chat.locator('body[data-ready="true"]').waitFor({ state: 'attached', timeout: 60_000 });
}

/** The extension's activity-bar entry. */
export function activityItem(page: Page) {
  return page.locator('.activitybar a.action-label[aria-label="Swarm Compute"]');
}

/** Runs a command from the palette by its full title ("Swarm Compute: Explain Selection"). */
export async function runCommand(page: Page, title: string, options: { opensQuickInput?: boolean } = {}): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${title}`);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ timeout: 5000 });
      await page.keyboard.press('Enter');
      // The palette has taken the command once its text is gone: it hides
      // (1.100), or its input is reused at once by the command's own input
      // box (1.139), so wait for the text to leave, not for the input to hide.
      await page.waitForFunction(
        (text) =>
          !Array.from(document.querySelectorAll<HTMLInputElement>('.quick-input-widget input')).some((i) => i.value === text && i.getClientRects().length > 0),
        `>${title}`,
        { timeout: 5000 },
      );
      // a command that asks with a quick pick of its own keeps the widget open
      // (the caller waits for that pick's own rows)
      if (options.opensQuickInput) return;
      return;
    } catch (err) {
      // start-up focus changes can swallow the first keys
      await page.keyboard.press('Escape').catch(() => {});
      if (attempt >= 3) throw err;
    }
  }
}

/** Connect Wallet from the palette with `uri`, until its input box has taken it (the wallet is asked after that). */
export async function connectWallet(page: Page, uri: string): Promise<void> {
  await runCommand(page, 'Swarm Compute: Connect Wallet');
  // the wallet's own (password) input box, not the palette's input it may reuse
  const input = page.locator('.quick-input-widget input[type="password"]');
  await input.waitFor({ state: 'visible' });
  await input.fill(uri);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
}

/** Opens a workspace file through Quick Open and waits for its editor. */
export async function openFile(page: Page, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(name);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 5000 });
      await page.keyboard.press('Enter');
      await page.locator(`.tab[data-resource-name="${name}"]`).waitFor({ timeout: 10_000 });
      await page.locator('.monaco-editor .view-lines').first().waitFor();
      return;
    } catch (err) {
      await page.keyboard.press('Escape').catch(() => {});
      if (attempt >= 3) throw err;
    }
  }
}

/** Selects lines [from, to] (1-based, inclusive) of the active editor with the keyboard. */
export async function selectLines(page: Page, from: number, to: number): Promise<void> {
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+G');
  await page.keyboard.type(String(from));
  await page.keyboard.press('Enter');
  await page.keyboard.press('Home');
  await page.keyboard.press('Home');
  for (let i = from; i <= to; i++) await page.keyboard.press('Shift+ArrowDown');
}

/** The text of the status-bar cost indicator. */
export function statusItem(page: Page) {
  return page.locator(`[id="${extensionId}.swarmCompute.status"]`);
}

/** The "serving …" item of Share My Model (present only while sharing). */
export function sharingItem(page: Page) {
  return page.locator(`[id="${extensionId}.swarmCompute.sharing"]`);
}

/** Reads the Notifications center (toasts are hidden with the smoke-test driver). */
export async function notifications(page: Page): Promise<string[]> {
  const center = page.locator('.notifications-center.visible');
  // the bell toggles: open the center only when it is not open already
  if (!(await center.isVisible())) await page.locator('[id="status.notifications"]').click();
  // The center is shown once its list is filled; with no notification at all,
  // VS Code 1.139 does not show it: that is an empty list, for the caller to poll again.
  const shown = await center.waitFor({ timeout: 3_000 }).then(
    () => true,
    () => false,
  );
  if (!shown) return [];
  const texts = await page.locator('.notifications-center .notification-list-item-message').allTextContents();
  await page.keyboard.press('Escape');
  await center.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined); // a center left open is toggled by the next call
  return texts;
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, name);
}

/** the folders of the workbenches running now: a failing step prints their extension's log */
const openDirs = new Set<HostDirs>();

/** The last lines of the extension's log in this workbench (what it decided, and why), for a failure's report. */
function extensionLog(dirs: HostDirs, lines = 80): string {
  const logs = join(dirs.ud, 'logs');
  if (!existsSync(logs)) return `(no extension log under ${logs})\n`;
  let out = '';
  for (const session of readdirSync(logs)) {
    for (const host of readdirSync(join(logs, session)).filter((d) => d.startsWith('exthost'))) {
      const file = join(logs, session, host, extensionId, 'Swarm Compute.log');
      if (!existsSync(file)) continue;
      const tail = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      out += `--- ${file} (last ${lines} lines)\n${tail}\n---\n`;
    }
  }
  return out || `(no Swarm Compute log under ${logs})\n`;
}

/** Runs a test step; on failure saves a screenshot into the host's failures/ folder before rethrowing. */
export async function step(page: Page, name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const dir = join(host.root, 'failures');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`);
    await page.screenshot({ path: file }).catch(() => {});
    process.stderr.write(`screenshot of the failure: ${file}\n`);
    for (const dirs of openDirs) process.stderr.write(extensionLog(dirs));
    throw err;
  }
}

/** Drags the sash right of the side bar so the chat gets `width` pixels. */
export async function widenSidebar(page: Page, width: number): Promise<void> {
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  if (!sidebar) return;
  const edge = sidebar.x + sidebar.width;
  const sashes = page.locator('.monaco-sash.vertical');
  for (let i = 0; i < (await sashes.count()); i++) {
    const box = await sashes.nth(i).boundingBox();
    if (!box || Math.abs(box.x + box.width / 2 - edge) > 6) continue;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width / 2, y);
    await page.mouse.down();
    await page.mouse.move(sidebar.x + width, y, { steps: 8 });
    await page.mouse.up();
    return;
  }
}

/** Clears the notification toasts so screenshots show the UI under them. */
export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications').catch(() => {});
}
