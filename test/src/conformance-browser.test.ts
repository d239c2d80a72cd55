import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { HttpTransportType } from '@microsoft/signalr';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';

/**
 * The conformance checks whose outcome depends on running in a browser, with the official
 * browser bundles in headless Chromium: bytes and dates of a complex object both ways, in JSON
 * and MessagePack; WebSocket upgrades at another letter case than the hub's path; and what the
 * hub sees of requests a browser cannot add headers to (WebSockets, EventSource).
 */

const resolve = createRequire(import.meta.url).resolve;
const SCRIPTS: Record<string, string> = {
  '/conformance/signalr.js': resolve('@microsoft/signalr/dist/browser/signalr.js'),
  '/conformance/msgpack.js': resolve('@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.js'),
};
const PAGE = '<!doctype html><meta charset="utf-8"><title>conformance</title>'
  + '<script src="/conformance/signalr.js"></script><script src="/conformance/msgpack.js"></script>';

/** What the page reports: bytes and dates described, since they do not cross into Node as themselves. */
interface PageResult {
  transportName: string;
  echoed: unknown;
  received: unknown;
  userAgent: string | null;
  contentType: string | null;
}

interface PageArguments {
  path: string;
  transport: number;
  messagePack: boolean;
  skipNegotiation: boolean;
}

/** The page's globals, as the official browser bundles define them. */
interface BrowserGlobals {
  signalR: typeof import('@microsoft/signalr') & {
    protocols: { msgpack: { MessagePackHubProtocol: typeof import('@microsoft/signalr-protocol-msgpack').MessagePackHubProtocol } };
  };
}

/** Runs in the page: connects, calls the conformance methods, and describes what came back. */
async function inPage(args: PageArguments): Promise<PageResult> {
  const { signalR } = globalThis as unknown as BrowserGlobals;
  const describe = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return { bytes: Array.from(value) };
    if (value instanceof Date) return { date: value.toISOString() };
    if (Array.isArray(value)) return value.map(describe);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, describe(item)]));
    }
    return value;
  };
  let builder = new signalR.HubConnectionBuilder().withUrl(args.path, { transport: args.transport, skipNegotiation: args.skipNegotiation });
  if (args.messagePack) builder = builder.withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol());
  const connection = builder.build();
  await connection.start();
  try {
    const sent = {
      String: 'Hello, World!',
      IntArray: [1, 2, 3, 255],
      ByteArray: args.messagePack ? new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f]) : 'aGVsbG8=',
      Guid: '00010203-0405-0607-0706-050403020100',
      DateTime: args.messagePack ? new Date(Date.UTC(2002, 3, 1, 10, 20, 15)) : '2002-04-01T10:20:15Z',
    };
    return {
      transportName: await connection.invoke<string>('GetActiveTransportName'),
      echoed: describe(await connection.invoke('EchoComplexObject', sent)),
      received: describe(await connection.invoke('SendComplexObject')),
      userAgent: await connection.invoke<string | null>('GetHeader', 'X-SignalR-User-Agent'),
      contentType: await connection.invoke<string | null>('GetContentTypeHeader'),
    };
  } finally {
    await connection.stop();
  }
}

describe('conformance in Chromium with the official browser client', function () {
  this.timeout(60_000);
  let server: RunningInteropServer;
  let browser: Browser;
  let context: BrowserContext;

  before(async () => {
    server = await startInteropServer({ detailedErrors: true });
    // The page is served by the hub's own host, so that it is same-origin with the hub and needs no CORS.
    server.host.app.get(['/conformance/', ...Object.keys(SCRIPTS)], (req, res) => {
      const script = SCRIPTS[req.path];
      res.set('Content-Security-Policy', "default-src 'self'");
      if (script) res.type('text/javascript').send(readFileSync(script));
      else res.type('html').send(PAGE);
    });
    browser = await launchChromium();
    context = await browser.newContext();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  const cases = [
    { protocol: 'json', transport: 'WebSockets', path: '/testHub' },
    { protocol: 'json', transport: 'WebSockets', path: '/TESTHUB', skipNegotiation: true },
    { protocol: 'json', transport: 'ServerSentEvents', path: '/TestHub' },
    { protocol: 'json', transport: 'LongPolling', path: '/testhub' },
    { protocol: 'messagepack', transport: 'WebSockets', path: '/testHub' },
    { protocol: 'messagepack', transport: 'LongPolling', path: '/testhub' },
  ] as const;

  for (const { protocol, transport, path, ...rest } of cases) {
    const skipNegotiation = 'skipNegotiation' in rest && rest.skipNegotiation;
    it(`${protocol} over ${transport} at ${path}${skipNegotiation ? ' without negotiate' : ''}: complex objects, and the request the hub sees`, async () => {
      const page = await context.newPage();
      try {
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        await page.goto(`${server.baseUrl}/conformance/`);
        const messagePack = protocol === 'messagepack';
        const result = await page.evaluate(inPage, { path, transport: HttpTransportType[transport], messagePack, skipNegotiation });
        assert.equal(result.transportName, transport);
        const bytes = (values: number[], base64: string): unknown => (messagePack ? { bytes: values } : base64);
        const date = (iso: string, dotnet: string): unknown => (messagePack ? { date: iso } : dotnet);
        assert.deepEqual(result.echoed, {
          String: 'Hello, World!',
          IntArray: [1, 2, 3, 255],
          ByteArray: bytes([0x68, 0x65, 0x6c, 0x6c, 0x6f], 'aGVsbG8='),
          Guid: '00010203-0405-0607-0706-050403020100',
          DateTime: date('2002-04-01T10:20:15.000Z', '2002-04-01T10:20:15Z'),
        });
        assert.deepEqual(result.received, {
          String: 'hello world',
          IntArray: [1, 2, 3],
          ByteArray: bytes([1, 2, 3], 'AQID'),
          Guid: '00010203-0405-0607-0706-050403020100',
          DateTime: date('2000-01-01T00:00:00.000Z', '2000-01-01T00:00:00Z'),
        });
        // A browser cannot add headers to a WebSocket or an EventSource: only long polling carries the client's own.
        if (transport === 'LongPolling') assert.match(result.userAgent ?? '', /^Microsoft SignalR\/\d+\.\d+ \(/);
        else assert.equal(result.userAgent, null);
        // The request that opened the connection is a GET or an upgrade: it has no body, hence no Content-Type.
        assert.equal(result.contentType, null);
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    });
  }
});
