import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, createTradehubApp, demoConfig, parseConfig, type HubOptions, type TradehubApp, type TradehubConfig } from '@tradehub/server';

export interface RunningTradehub {
  app: TradehubApp;
  baseUrl: string;
  tradeHubUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Replaces parts of the demo configuration (validated like a configuration file). */
  config?: (base: TradehubConfig) => TradehubConfig;
  /** Share token data through this Redis; keys live under a prefix unique to the test. */
  redis?: { url: string; keyPrefix: string };
  /** Reuse a data directory (to test restarts); a fresh one otherwise. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  hubOptions?: Partial<HubOptions>;
  /** Receives every log line (JSON text) of the node, at debug level. */
  logLines?: string[];
  /** Run the demo's trade simulator for this platform. */
  simulatePlatform?: string;
  /** Credentials the dashboard page fills in. */
  dashboardCredentials?: { clientId: string; clientSecret: string };
}

/** Starts a complete tradehub node (auth, hubs, API) on a random loopback port. */
export async function startTradehub(options: StartOptions = {}): Promise<RunningTradehub> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tradehub-test-'));
  let config = demoConfig(dataDir);
  if (options.config) config = options.config(structuredClone(config));
  if (options.redis) config.redis = options.redis;
  config = parseConfig(config, 'the test configuration');
  const app = await createTradehubApp(config, {
    env: options.env ?? {},
    shutdownGraceMs: 1_000,
    ...(options.simulatePlatform !== undefined ? { simulatePlatform: options.simulatePlatform } : {}),
    ...(options.dashboardCredentials ? { dashboardCredentials: options.dashboardCredentials } : {}),
    ...(options.logLines ? { logger: createLogger('debug', collectInto(options.logLines)) } : {}),
    ...(options.hubOptions ? { hubOptions: options.hubOptions } : {}),
  });
  const { port } = await app.host.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    baseUrl,
    tradeHubUrl: `${baseUrl}/hubs/trade`,
    dataDir,
    close: async () => {
      await app.close();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A Redis key prefix no other test uses. */
export function uniqueKeyPrefix(): string {
  return `tradehub-test-${randomBytes(6).toString('hex')}`;
}

/** Gets an access token by client credentials (HTTP Basic). */
export async function clientToken(baseUrl: string, clientId: string, secret: string, scope?: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
  const response = await fetch(`${baseUrl}/connect/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body,
  });
  if (response.status !== 200) throw new Error(`token request failed with ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

function collectInto(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      done();
    },
  });
}
