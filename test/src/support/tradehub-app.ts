import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { HubConnection } from '@microsoft/signalr';
import { officialClient, type ClientOptions } from './official-client.js';
import { withTestSecret } from './auth-helpers.js';
import { ClientPool } from './client-fixtures.js';
import { deleteKeys } from './redis-server.js';
import { createLogger, createTradehubApp, type HubEndpoint, demoConfig, parseConfig, type HubOptions, type TradehubApp, type TradehubConfig } from '@tradehub/server';

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
  redis?: ({ url: string } | { cluster: string[] }) & { keyPrefix: string; commandTimeoutMs?: number };
  /** `redis.commandTimeoutMs` of the configuration (with `redis`). */
  redisCommandTimeoutMs?: number;
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
  /** Map the anonymous interop hub at /testhub (the product keeps it off). */
  interopHub?: boolean;
  /** Listen on this port (to restart a node where its clients expect it); a random one otherwise. */
  port?: number;
}

/** Starts a complete tradehub node (auth, hubs, API) on a random loopback port. */
export async function startTradehub(options: StartOptions = {}): Promise<RunningTradehub> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tradehub-test-'));
  let config = demoConfig(dataDir);
  if (options.config) config = options.config(structuredClone(config));
  if (options.redis) config.redis = { commandTimeoutMs: options.redisCommandTimeoutMs ?? config.redis?.commandTimeoutMs ?? 2_000, ...options.redis };
  if (options.interopHub) config.interopHub = true;
  config = parseConfig(config, 'the test configuration');
  const app = await createTradehubApp(config, {
    env: options.env ?? {},
    shutdownGraceMs: 1_000,
    ...(options.simulatePlatform !== undefined ? { simulatePlatform: options.simulatePlatform } : {}),
    ...(options.dashboardCredentials ? { dashboardCredentials: options.dashboardCredentials } : {}),
    ...(options.logLines ? { logger: createLogger('debug', collectInto(options.logLines)) } : {}),
    ...(options.hubOptions ? { hubOptions: options.hubOptions } : {}),
  });
  const { port } = await app.host.listen(options.port ?? 0, '127.0.0.1');
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

/**
 * An official client on a node's trade hub, signed in with a demo client's credentials and
 * started. The trade hub greets every connection with OnConnectionStatus, so a handler is set.
 */
export async function tradeConnection(
  node: RunningTradehub, clientId: string, secret: string, options: ClientOptions = {},
): Promise<HubConnection> {
  const token = await clientToken(node.baseUrl, clientId, secret);
  const connection = officialClient(node.tradeHubUrl, { accessTokenFactory: () => token, ...options });
  connection.on('OnConnectionStatus', () => undefined);
  await connection.start();
  return connection;
}

/**
 * Nodes and the clients a test opened on them, closed together. With a Redis URL the nodes share
 * it under a key prefix of their own (deleted at the end); without, one node is in-memory.
 */
export class NodeGroup {
  readonly nodes: RunningTradehub[] = [];
  private readonly clients: HubConnection[] = [];

  private constructor(readonly redisUrl: string | undefined, readonly prefix: string) {}

  static async start(count: number, redisUrl?: string, options: Omit<StartOptions, 'redis'> = {}): Promise<NodeGroup> {
    if (redisUrl === undefined && count !== 1) throw new Error('several nodes need a Redis to share');
    const group = new NodeGroup(redisUrl, uniqueKeyPrefix());
    for (let i = 0; i < count; i++) {
      group.nodes.push(await startTradehub({ ...options, ...(redisUrl !== undefined ? { redis: { url: redisUrl, keyPrefix: group.prefix } } : {}) }));
    }
    return group;
  }

  node(index: number): RunningTradehub {
    const node = this.nodes[index];
    if (!node) throw new Error(`no node ${index}`);
    return node;
  }

  /** A started trade hub client on node `index`, stopped by `close`. */
  async trade(index: number, clientId: string, secret: string, options: ClientOptions = {}): Promise<HubConnection> {
    return this.track(await tradeConnection(this.node(index), clientId, secret, options));
  }

  /** The interop hub of node `index`, for sending from outside hub methods; the group must have been started with `interopHub`. */
  interopEndpoint(index: number): HubEndpoint {
    const endpoint = this.node(index).app.interopHub;
    if (!endpoint) throw new Error(`node ${index} was started without the interop hub`);
    return endpoint;
  }

  /** A started interop hub client on node `index`, stopped by `close`. */
  async interop(index: number, options: ClientOptions = {}): Promise<HubConnection> {
    const connection = officialClient(`${this.node(index).baseUrl}/testhub`, options);
    await connection.start();
    return this.track(connection);
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((connection) => connection.stop()));
    for (const node of this.nodes.splice(0)) await node.close();
    if (this.redisUrl !== undefined) await deleteKeys(this.redisUrl, this.prefix);
  }

  private track(connection: HubConnection): HubConnection {
    this.clients.push(connection);
    return connection;
  }
}

/**
 * Mocha hooks for a describe block: one node, started before its tests and closed after them.
 * `node()` is the running node.
 */
export function nodePerBlock(options: StartOptions = {}): () => RunningTradehub {
  let running: RunningTradehub | undefined;
  before(async () => {
    running = await startTradehub(options);
  });
  after(async () => {
    await running?.close();
  });
  return () => {
    if (!running) throw new Error('The node is started in before(): use node() inside tests.');
    return running;
  };
}

/**
 * Mocha hooks for a describe block of typed-client tests: one node (signing with the test secret)
 * for the block, and a pool of clients closed after each test. `node()` is the running node.
 */
export function nodeWithClientPool(): { node: () => RunningTradehub; pool: ClientPool } {
  const node = nodePerBlock({ config: withTestSecret });
  const pool = new ClientPool();
  afterEach(() => pool.closeAll());
  return { node, pool };
}
