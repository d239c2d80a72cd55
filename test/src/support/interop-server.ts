import type { HubConnection } from '@microsoft/signalr';
import {
  createInteropServer, HubHost, interopHub, type HubEndpoint, type HubOptions, type InteropServer, type InteropServerOptions,
} from '@tradehub/server';
import { INTEROP_HUB_PATH } from '@tradehub/shared';
import { ConnectionPool } from './interop-fixtures.js';
import { officialClient, type ClientOptions } from './official-client.js';

export interface RunningInteropServer {
  host: HubHost;
  endpoint: HubEndpoint;
  /** `http://127.0.0.1:PORT` */
  baseUrl: string;
  /** Full URL of the interop hub. */
  hubUrl: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the interop hub on a random loopback port; `close` stops it. */
export async function startInteropServer(
  hubOptions: Partial<HubOptions> = {},
  extra: { negotiatedConnectionTimeoutMs?: number; shutdownGraceMs?: number; longPollTimeoutMs?: number; longPollInactivityTimeoutMs?: number } = {},
): Promise<RunningInteropServer> {
  const host = new HubHost({ shutdownGraceMs: extra.shutdownGraceMs ?? 2_000 });
  const endpoint = host.mapHub({
    path: INTEROP_HUB_PATH,
    hub: interopHub(),
    hubOptions,
    ...(extra.negotiatedConnectionTimeoutMs !== undefined ? { negotiatedConnectionTimeoutMs: extra.negotiatedConnectionTimeoutMs } : {}),
    ...(extra.longPollTimeoutMs !== undefined ? { longPollTimeoutMs: extra.longPollTimeoutMs } : {}),
    ...(extra.longPollInactivityTimeoutMs !== undefined ? { longPollInactivityTimeoutMs: extra.longPollInactivityTimeoutMs } : {}),
  });
  const { port } = await host.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${port}`;
  return { host, endpoint, baseUrl, hubUrl: `${baseUrl}${INTEROP_HUB_PATH}`, port, close: () => host.close() };
}

/** An interop server for the tests of one `describe`, and the official clients they open. */
export interface InteropServerFixture {
  /** Set once the `before` hook ran. */
  readonly server: RunningInteropServer;
  /** Clients added here are stopped after each test. */
  readonly pool: ConnectionPool;
  /** An official client of the hub (or of `url`), started, and stopped after the test. */
  connect(options?: ClientOptions, url?: string): Promise<HubConnection>;
}

/**
 * Registers, in the calling `describe`, the hooks that start an interop server before its tests,
 * stop their clients after each and the server after all.
 */
export function useInteropServer(
  hubOptions: Partial<HubOptions> = {},
  extra: Parameters<typeof startInteropServer>[1] = {},
): InteropServerFixture {
  let running: RunningInteropServer | undefined;
  const pool = new ConnectionPool();
  before(async () => {
    running = await startInteropServer(hubOptions, extra);
  });
  afterEach(async () => {
    await pool.stopAll();
  });
  after(async () => {
    await running?.close();
  });
  const fixture: InteropServerFixture = {
    get server(): RunningInteropServer {
      if (!running) throw new Error('the interop server is started in the before hook');
      return running;
    },
    pool,
    async connect(options = {}, url = fixture.server.hubUrl) {
      const connection = pool.add(officialClient(url, options));
      await connection.start();
      return connection;
    },
  };
  return fixture;
}

export interface RunningInteropApp {
  app: InteropServer;
  /** `http://127.0.0.1:PORT` */
  baseUrl: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the whole interop server (`npm run interop-server`'s routes) on a random loopback port. */
export async function startInteropApp(options: InteropServerOptions = {}): Promise<RunningInteropApp> {
  const app = createInteropServer({ shutdownGraceMs: 2_000, ...options });
  const { port } = await app.host.listen(0, '127.0.0.1');
  return { app, baseUrl: `http://127.0.0.1:${port}`, port, close: () => app.host.close() };
}
