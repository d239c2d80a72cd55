import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

describe('the live dashboard page in Chromium', function () {
  this.timeout(60_000);
  let hub: RunningTradehub;
  let browser: Browser;
  before(async () => {
    hub = await startTradehub({
      simulatePlatform: 'demo',
      dashboardCredentials: { clientId: 'demo-reader', clientSecret: 'demo-reader-secret' },
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await hub.close();
  });

  it('connects with the demo credentials and shows live quotes, the account and trade events', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // The page's Content-Security-Policy must let it run: Chromium reports every refused script, style or connection here.
    const refusals: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refusals.push(message.text());
    });
    const root = await page.goto(`${hub.baseUrl}/`);
    assert.equal(root?.url(), `${hub.baseUrl}/dashboard/`);
    // Locators, not page-side script: the page's Content-Security-Policy forbids evaluated strings.
    await page.locator('#state', { hasText: /^connected$/ }).waitFor({ timeout: 15_000 });
    await page.locator('#quotes tr').nth(3).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('#quotes tr').count(), 4);
    const bids = (): Promise<Array<string | null>> => page.$$eval('#quotes tr td:nth-child(2)', (cells) => cells.map((cell) => cell.textContent));
    const firstBids = await bids();
    await waitUntil(async () => JSON.stringify(await bids()) !== JSON.stringify(firstBids), 'the quotes to move', 15_000);
    assert.match(await page.textContent('#account') ?? '', /balance/);
    await page.locator('#log', { hasText: /deal platforms\/demo\/accounts\/5001/ }).waitFor({ timeout: 15_000 });
    if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(refusals, []);
  });

  it('serves no credentials when the node is not the demo', async () => {
    const plain = await startTradehub();
    try {
      const config = await (await fetch(`${plain.baseUrl}/dashboard/config.json`)).json();
      assert.deepEqual(config, {});
    } finally {
      await plain.close();
    }
  });
});
