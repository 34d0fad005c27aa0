// UI test: a local model that breaks mid-answer, seen in the chat of the
// packed .vsix in a real VS Code in Chromium. The half answer stays on screen,
// marked as stopped; the consent card asks; the swarm's answer follows in the
// same entry. Then a model still loading gets the "Ask the swarm too" button.
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { wordTokens } from '../support/ollama-standin';
import { startStandIns, type StandIns } from '../support/stand-ins';
import { askInChat, openChat, standInSettings, step, startWorkbench, type Workbench } from './workbench';

describe('a local answer that stops, in the chat', () => {
  let standIns: StandIns;
  let wb: Workbench;
  let page: Page;

  before(async () => {
    standIns = await startStandIns({
      models: {
        crashy: { tokens: wordTokens('Half of a local answer that then'), tokenDelayMs: 30, crashAfterTokens: 5 },
        loading: { coldLoadMs: 600_000 },
      },
      provider: { result: 'The swarm finished the answer.' },
    });
    wb = await startWorkbench({
      settings: {
        ...standInSettings(standIns, 'crashy'),
        'swarmCompute.localTimeoutSecs': 4,
        'workbench.colorTheme': 'Default Dark Modern',
      },
    });
    page = wb.page;
    await openChat(page, wb.chat);
  });

  after(async () => {
    await wb?.close();
    await standIns?.stop();
  });

  it('keeps the half local answer visible and marked, asks consent, then shows the swarm answer in the same entry', () =>
    step(page, 'half local answer superseded by the swarm', async () => {
      await askInChat(wb.chat, 'Explain and crash');
      const consent = wb.chat.locator('#consent');
      await consent.waitFor({ timeout: 20_000 });
      assert.match(await consent.locator('.consent-reason').innerText(), /after 5 words/);
      const entry = wb.chat.locator('article.entry').last();
      const kept = entry.locator('.superseded');
      assert.match(await kept.locator('.superseded-note').innerText(), /local stopped after 5 words — asking the swarm/);
      assert.match(await kept.locator('.superseded-text').innerText(), /Half of a local answer/);
      assert.equal(standIns.relay.received.filter((e) => e.kind === 5050).length, 0, 'nothing published before the answer');
      await consent.getByRole('button', { name: 'Allow once' }).click();
      await wb.chat.locator('article.entry[data-state="completed"][data-lane="swarm"]').last().waitFor({ timeout: 45_000 });
      assert.match(await entry.locator('.answer-body').innerText(), /The swarm finished the answer\./);
      assert.match(await kept.locator('.superseded-note').innerText(), /local stopped after 5 words — answered by the swarm/);
      assert.match(await kept.locator('.superseded-text').innerText(), /Half of a local answer/, 'the half answer is still there');
    }));

  it('a model still loading: "Ask the swarm too" appears on the waiting entry and starts the swarm after consent', () =>
    step(page, 'ask the swarm too', async () => {
      await wb.chat.locator('#model').selectOption('loading');
      await askInChat(wb.chat, 'Still loading?');
      const button = wb.chat.locator('article.entry[data-state="running"] button.ask-swarm-too');
      await button.waitFor({ timeout: 20_000 });
      await button.click();
      const consent = wb.chat.locator('#consent');
      await consent.waitFor({ timeout: 20_000 });
      assert.match(await consent.locator('.consent-reason').innerText(), /slow to start/);
      await consent.getByRole('button', { name: 'Allow once' }).click();
      const done = wb.chat.locator('article.entry[data-state="completed"][data-lane="swarm"]').last();
      await done.waitFor({ timeout: 45_000 });
      assert.match(await done.locator('.answer-body').innerText(), /The swarm finished the answer\./);
    }));
});
