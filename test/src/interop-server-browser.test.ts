import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { HttpConnection } from '@microsoft/signalr/dist/esm/HttpConnection.js';
import { HttpTransportType } from '@microsoft/signalr';
import type * as SignalR from '@microsoft/signalr';
import { INTEROP_HUB_PATH, InteropRoute } from '@tradehub/shared';
import { launchChromium } from './support/browser.js';
import { startInteropApp, type RunningInteropApp } from './support/interop-server.js';

/** The official client's ES modules, served to the page as they are published. */
const SIGNALR_ESM = join(dirname(createRequire(import.meta.url).resolve('@microsoft/signalr/package.json')), 'dist/esm');

/** What the page imports: the package's entry and, for raw connections, HttpConnection (as the ASP.NET suite does). */
const MODULES = { signalr: '/signalr/index.js', httpConnection: '/signalr/HttpConnection.js' };
type SignalRModule = typeof SignalR;
interface HttpConnectionModule {
  HttpConnection: typeof HttpConnection;
}

/**
 * The page's own web server, another origin than the interop server (another port of
 * localhost: the same site, as karma and the server of the ASP.NET suite are). It serves an empty
 * page and the client's modules; their imports name no extension, so `/signalr/X` is `X.js`.
 */
async function pageServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const module = /^\/signalr\/([A-Za-z-]+)(\.js)?$/.exec(path);
    if (module?.[1] && existsSync(join(SIGNALR_ESM, `${module[1]}.js`))) {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
      res.end(readFileSync(join(SIGNALR_ESM, `${module[1]}.js`)));
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>interop suite page</title>');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://localhost:${(server.address() as AddressInfo).port}`, server };
}

describe('interop server from a page of another local origin, in headless Chromium', function () {
  this.timeout(60_000);
  let interop: RunningInteropApp;
  let page: { origin: string; server: Server };
  let browser: Browser;
  let context: BrowserContext;
  let tab: Page;
  let pageErrors: string[];
  /** The interop server as the page names it: `localhost`, another port. */
  let serverUrl: string;

  before(async () => {
    interop = await startInteropApp();
    serverUrl = `http://localhost:${interop.port}`;
    page = await pageServer();
    browser = await launchChromium();
  });
  beforeEach(async () => {
    // A fresh context per test: no cookie of an earlier test is there to help.
    context = await browser.newContext();
    tab = await context.newPage();
    pageErrors = [];
    tab.on('pageerror', (error) => pageErrors.push(error.message));
    await tab.goto(`${page.origin}/`);
  });
  afterEach(async () => {
    await context.close();
  });
  after(async () => {
    await browser?.close();
    await interop?.close();
    await new Promise<void>((resolve) => page.server.close(() => resolve()));
  });

  /** Echoes one message over a raw connection from the page; what the page saw. */
  function echoFromPage(transport: HttpTransportType, withCredentials: boolean): Promise<{ received: string[]; closeError: string | null }> {
    return tab.evaluate(async ({ url, transport, withCredentials, modules }) => {
      const { HttpConnection } = await import(modules.httpConnection) as HttpConnectionModule;
      const { LogLevel, TransferFormat } = await import(modules.signalr) as SignalRModule;
      const connection = new HttpConnection(url, { transport, withCredentials, logger: LogLevel.None });
      const received: string[] = [];
      const closed = new Promise<string | null>((resolve) => {
        connection.onclose = (error) => resolve(error ? String(error) : null);
      });
      connection.onreceive = (data) => {
        received.push(String(data));
        void connection.stop();
      };
      await connection.start(TransferFormat.Text);
      await connection.send('Hello World!').catch(() => undefined);
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('no close within 10 s'), 10_000));
      const closeError = await Promise.race([closed, timeout]);
      return { received, closeError };
    }, { url: `${serverUrl}${InteropRoute.Echo}`, transport, withCredentials, modules: MODULES });
  }

  const ALL: Array<[string, HttpTransportType]> = [
    ['WebSockets', HttpTransportType.WebSockets], ['ServerSentEvents', HttpTransportType.ServerSentEvents], ['LongPolling', HttpTransportType.LongPolling],
  ];
  for (const [name, transport] of ALL) {
    it(`echoes over ${name} with credentials: CORS lets the page negotiate, and the negotiate cookie comes back`, async () => {
      const { received, closeError } = await echoFromPage(transport, true);
      assert.deepEqual(received, ['Hello World!']);
      assert.equal(closeError, null);
      assert.deepEqual(pageErrors, []);
    });
  }

  for (const [name, transport] of ALL.slice(1)) {
    it(`honours withCredentials: false over ${name}: no cookie is sent, so /echo ends the connection without echoing`, async () => {
      const { received, closeError } = await echoFromPage(transport, false);
      assert.deepEqual(received, []);
      assert.notEqual(closeError, 'no close within 10 s');
    });
  }

  it('serves the official client\'s web-worker build, which a worker of the page imports across origins and uses to call /testhub', async () => {
    const answer = await tab.evaluate(async ({ script, hub }) => {
      // A worker as the ASP.NET suite's: importScripts of the server's copy of the client, then a hub call.
      const source = `importScripts(${JSON.stringify(script)});
        const connection = new signalR.HubConnectionBuilder().withUrl(${JSON.stringify(hub)}).build();
        connection.start()
          .then(() => connection.invoke('Echo', 'from a worker'))
          .then((echoed) => connection.stop().then(() => postMessage({ echoed })))
          .catch((error) => postMessage({ error: String(error) }));`;
      // The test's TypeScript has no DOM types: the page's Worker, as much of it as is used.
      interface PageWorker {
        onmessage: (event: { data: unknown }) => void;
        onerror: (event: { message?: string }) => void;
      }
      const { Worker } = globalThis as unknown as { Worker: new (url: string) => PageWorker };
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
      return new Promise<{ echoed?: string; error?: string }>((resolve) => {
        worker.onmessage = (event) => resolve(event.data as { echoed?: string; error?: string });
        worker.onerror = (event) => resolve({ error: event.message || 'worker error' });
        setTimeout(() => resolve({ error: 'no answer within 10 s' }), 10_000);
      });
    }, { script: `${serverUrl}${InteropRoute.WebWorkerClient}`, hub: `${serverUrl}${INTEROP_HUB_PATH}` });
    assert.deepEqual(answer, { echoed: 'from a worker' });
    assert.deepEqual(pageErrors, []);
  });

  it('keeps the negotiate cookies for the server\'s host, the expired one not at all', async () => {
    await echoFromPage(HttpTransportType.LongPolling, true);
    // Cookies belong to a host, whatever its port: the page on localhost sees the server's.
    const cookies = await tab.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie);
    assert.deepEqual(cookies.split('; ').sort(), ['testCookie2=testValue2', 'testCookie=testValue']);
  });

  for (const [name, transport] of ALL) {
    it(`reaches /testhub over ${name} with a header of the page's own (preflighted), and /authorizedhub with a token fetched across origins`, async () => {
      const results = await tab.evaluate(async ({ base, hubPath, authorizedPath, tokenPath, transport, modules }) => {
        const { HubConnectionBuilder, LogLevel } = await import(modules.signalr) as SignalRModule;
        const hub = new HubConnectionBuilder()
          .withUrl(`${base}${hubPath}`, { transport, headers: { 'X-HEADER': 'VALUE' } })
          .configureLogging(LogLevel.None).build();
        await hub.start();
        const echoed = await hub.invoke<string>('Echo', '你好，世界！');
        const transportName = await hub.invoke<string>('GetActiveTransportName');
        await hub.stop();

        const tokenAnswer = await fetch(`${base}${tokenPath}`);
        const token = await tokenAnswer.text();
        const authorized = new HubConnectionBuilder()
          .withUrl(`${base}${authorizedPath}`, { transport, accessTokenFactory: () => token })
          .configureLogging(LogLevel.None).build();
        await authorized.start();
        const authorizedEcho = await authorized.invoke<string>('Echo', 'with a token');
        await authorized.stop();

        const anonymous = new HubConnectionBuilder().withUrl(`${base}${authorizedPath}`, { transport }).configureLogging(LogLevel.None).build();
        const refusal = await anonymous.start().then(() => 'connected', (error: unknown) => String(error));
        return { echoed, transportName, authorizedEcho, refusal };
      }, { base: serverUrl, hubPath: INTEROP_HUB_PATH, authorizedPath: InteropRoute.AuthorizedHub, tokenPath: InteropRoute.GenerateJwtToken, transport, modules: MODULES });
      assert.deepEqual(results, {
        echoed: '你好，世界！',
        transportName: name,
        authorizedEcho: 'with a token',
        refusal: "Error: Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'",
      });
      assert.deepEqual(pageErrors, []);
    });
  }
});
