// Takes the README's screenshot of the dashboard from a running node (after `npm start` has run
// for a while, so that the chart has some bars):
//   node test/scripts/dashboard-screenshot.mjs http://127.0.0.1:5000/ docs/dashboard.png
// Uses Debian's Chromium (CHROMIUM_PATH to change), as the browser tests do.
import { chromium } from 'playwright-core';

const [url = 'http://127.0.0.1:5000/', path = 'docs/dashboard.png'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 700 } });
  await page.goto(url);
  await page.locator('#state', { hasText: /^connected$/ }).waitFor({ timeout: 15_000 });
  // A deal in the feed and a moment of ticks, so that the picture is a live one.
  await page.locator('#deals tr').first().waitFor({ timeout: 15_000 });
  await page.locator('#rtt', { hasText: /ms$/ }).waitFor({ timeout: 5_000 });
  await page.screenshot({ path });
  console.log(`dashboard screenshot: ${path}`);
} finally {
  await browser.close();
}
