// Renders media/icon.svg to media/icon.png (128×128, the marketplace icon) with
// the same headless Chromium the UI tests use. Run by hand after editing the SVG.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, launchBrowser } from './host.mjs';

const svg = readFileSync(join(projectRoot, 'media/icon.svg'), 'utf8');
const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
await page.locator('svg').screenshot({ path: join(projectRoot, 'media/icon.png'), omitBackground: true });
await browser.close();
console.log('media/icon.png written');
