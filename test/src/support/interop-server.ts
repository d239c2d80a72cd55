import {
  createInteropServer, HubHost, interopHub, type HubEndpoint, type HubOptions, type InteropServer, type InteropServerOptions,
} from '@tradehub/server';
import { INTEROP_HUB_PATH } from '@tradehub/shared';

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
