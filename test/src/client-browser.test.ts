import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import type { TradehubClient } from '@tradehub/client';
import { ClientPool, PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { clientToken, startTradehub, type RunningTradehub } from './support/tradehub-app.js';

const CLIENT_DIR = fileURLToPath(new URL('../../client/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The files the page server serves, from client/: the dashboard example and the bundle. */
const FILES: Record<string, string> = {
  '/examples/dashboard.html': 'text/html; charset=utf-8',
  '/dist/browser/tradehub-client.js': 'text/javascript; charset=utf-8',
  '/dist/browser/tradehub-client.js.map': 'application/json',
};

/** What the page's globals look like to code evaluated in it (the tests compile without the DOM library). */
interface PageGlobals {
  dashboard?: DashboardState;
  document: { querySelector(selector: string): { textContent: string | null } | null };
}

interface DashboardState {
  connection: string;
  items: Array<{ kind: string; topic: string; seq?: number; type?: string }>;
  problems: string[];
}

/** The page's own web server (another origin than the hub), with the token endpoint a dashboard's backend would have. */
async function pageServer(token: () => Promise<string>): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/dashboard-token') {
      token().then((value) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
        res.end(JSON.stringify({ access_token: value }));
      }, () => {
        res.writeHead(503).end();
      });
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const type = FILES[path];
    if (!type) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': type });
    res.end(readFileSync(`${CLIENT_DIR}${path.slice(1)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('client: the browser bundle in headless Chromium', function () {
  this.timeout(60_000);
  let hub: RunningTradehub;
  let page: { origin: string; server: Server };
  let browser: Browser;
  const pool = new ClientPool();
  let publisher: TradehubClient;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium is needed at ${CHROMIUM} (apt-get install chromium; .ci/run does)`);
    // The hub is only known once started, and allows the page's origin: start the page server first.
    let baseUrl = '';
    page = await pageServer(() => clientToken(baseUrl, READER.clientId, READER.clientSecret));
    hub = await startTradehub({ config: (config) => ({ ...config, cors: { origins: [page.origin], maxAgeSeconds: 600 } }) });
    baseUrl = hub.baseUrl;
    publisher = await pool.connect({ url: hub.baseUrl, credentials: PUBLISHER });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-dev-shm-usage'],
      timeout: 30_000,
    });
  });
  after(async () => {
    await browser?.close();
    await pool.closeAll();
    await hub?.close();
    await new Promise((resolve) => page?.server.close(resolve));
  });

  it('the dashboard example connects across origins, shows the snapshot, then every published tick', async () => {
    await publisher.publish([tradeEvents.tick('EURUSD', 1.1), { type: 'platform.status', platformId: 'demo', data: { state: 'connected', time: Date.now() } }]);
    const context = await browser.newContext();
    const tab = await context.newPage();
    const pageErrors: string[] = [];
    tab.on('pageerror', (error) => pageErrors.push(error.message));
    tab.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    const requests: string[] = [];
    tab.on('request', (request) => requests.push(request.url()));
    await tab.goto(`${page.origin}/examples/dashboard.html?hub=${encodeURIComponent(hub.baseUrl)}&platform=demo`, { timeout: 15_000 });

    const dashboard = (): Promise<DashboardState> => tab.evaluate(() => (globalThis as unknown as PageGlobals).dashboard as DashboardState);
    await tab.waitForFunction(() => {
      const state = (globalThis as unknown as PageGlobals).dashboard;
      return state?.connection === 'connected' && state.items.filter((item) => item.kind === 'snapshot').length >= 2;
    }, undefined, { timeout: 15_000 });
    // The server writes the events of one turn in one frame, and the client conflates a tick still
    // waiting to be read when a newer one of its symbol arrives: the second EURUSD tick is
    // published once the page has read the first, so that nothing is conflated here.
    await publisher.publish([tradeEvents.tick('EURUSD', 1.2), tradeEvents.tick('GBPUSD', 1.3)]);
    await tab.waitForFunction(() => ((globalThis as unknown as PageGlobals).dashboard?.items ?? []).filter((item) => item.kind === 'event').length >= 2, undefined, { timeout: 10_000 });
    await publisher.publish([tradeEvents.tick('EURUSD', 1.25)]);
    await tab.waitForFunction(() => ((globalThis as unknown as PageGlobals).dashboard?.items ?? []).filter((item) => item.kind === 'event').length >= 3, undefined, { timeout: 10_000 });
    await tab.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('tr[data-symbol="EURUSD"] .bid')?.textContent === '1.25', undefined, { timeout: 5_000 });

    const state = await dashboard();
    assert.deepEqual(state.problems, []);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(state.items.filter((item) => item.kind === 'snapshot').map((item) => item.topic).sort(), ['platforms/demo/status', 'platforms/demo/ticks/EURUSD']);
    // The page reads every event in time, so nothing is conflated: each tick once, in order per symbol.
    const events = state.items.filter((item) => item.kind === 'event').map((item) => `${item.topic.split('/').at(-1)} ${item.seq}`);
    assert.deepEqual(events, ['EURUSD 2', 'GBPUSD 1', 'EURUSD 3']);
    assert.equal(await tab.textContent('tr[data-symbol="GBPUSD"] .bid'), '1.3');
    assert.equal(await tab.textContent('#platform-status'), 'connected');
    // The token travelled in headers (negotiate) and, for the WebSocket only, in its URL, as browsers require; never to the page server.
    assert.ok(requests.some((url) => url.startsWith(`${hub.baseUrl}/hubs/trade/negotiate`)));
    assert.ok(!requests.some((url) => url.startsWith(page.origin) && url.includes('access_token')));
    await context.close();
  });
});
