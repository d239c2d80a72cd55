import { isIP } from 'node:net';
import { z } from 'zod';
import { ALL_SCOPES } from '../auth/scopes.js';

/** Ids that appear in topics and URLs: letters, digits, `.`, `_` and `-`. */
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');

/**
 * A secret in the configuration: the value itself (for development only), `env:NAME`,
 * `file:PATH`, or for secrets that are only checked, an scrypt hash (`scrypt$salt$hash`).
 */
const secretRef = z.string().min(1);

/** A Redis Cluster node: `host:port`, or a redis:// (rediss://) URL for credentials or TLS. */
const CLUSTER_NODE = /^(rediss?:\/\/\S+|[^\s:/@]+:\d{1,5})$/;

const login = z.string().regex(/^\d{1,20}$/, 'must be a numeric MetaTrader login');

const managerAccount = z.strictObject({
  login,
  password: secretRef,
});

const platform = z.strictObject({
  id,
  name: z.string().optional(),
  kind: z.enum(['mt4', 'mt5']).default('mt5'),
  /** Trade server address that `/v1/init?server=` names; defaults to the platform id. */
  server: z.string().optional(),
  managers: z.array(managerAccount).default([]),
  /** Accounts (logins) of the platform disabled at start: their tokens are refused until an admin enables them. */
  disabledLogins: z.array(login).optional(),
});

const organization = z.strictObject({
  id,
  name: z.string().optional(),
  platforms: z.array(platform).default([]),
  /**
   * Initial state: a disabled or expired organization's tokens are all refused. An operator's
   * change through the admin API is stored and wins over these from then on.
   */
  disabled: z.boolean().optional(),
  /** An ISO-8601 time with its offset (`2027-01-01T00:00:00Z`) or milliseconds since the epoch. */
  expiresAt: z.union([z.number().int().positive(), z.iso.datetime({ offset: true }).transform((text) => Date.parse(text))]).optional(),
});

const client = z.strictObject({
  id,
  secret: secretRef,
  organization: id,
  scopes: z.array(z.enum(ALL_SCOPES as [string, ...string[]])).min(1),
  /** Platforms this client may reach; every platform of its organization when omitted. */
  platforms: z.array(id).optional(),
});

const signing = z.discriminatedUnion('algorithm', [
  z.strictObject({
    algorithm: z.literal('HS256'),
    /** At least 32 bytes; when omitted, one is generated and kept in the data directory. */
    secret: secretRef.optional(),
  }),
  z.strictObject({
    algorithm: z.enum(['RS256', 'ES256']),
    /** Newest first: the first signs, all verify (key rotation), all are published as JWKS. */
    keys: z.array(z.strictObject({ kid: id, privateKey: secretRef })).min(1),
  }),
]);

const PROXY_ADDRESS_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** A proxy as Express's `trust proxy` names it: an address, a subnet (`address/bits`), or a named range. */
function isProxyAddress(value: string): boolean {
  if (PROXY_ADDRESS_NAMES.has(value)) return true;
  const [address = '', bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/** The proxies of `trustProxy` (and `TRADEHUB_TRUST_PROXY`). */
export const trustedProxies = z.array(
  z.string().refine(isProxyAddress, 'must be an IP address, a subnet (address/bits), loopback, linklocal or uniquelocal'),
).min(1).max(64);

/** Limits on logins by secret (`POST /connect/token`, `GET /v1/init`), kept per node. */
export const LOGIN_LIMIT_DEFAULTS = {
  failureWindowSeconds: 60,
  maxFailuresPerAddress: 50,
  maxFailuresPerAccountAddress: 10,
  accountFreeFailures: 3,
  accountDelayBaseSeconds: 1,
  accountDelayMaxSeconds: 30,
  knownSourceHours: 24,
  maxTrackedKeys: 20_000,
  hashConcurrency: 2,
  hashQueueLength: 64,
} as const;

const loginLimits = z.strictObject({
  /** How long a failed login counts against its address and its account (client id, manager login) and address pair. */
  failureWindowSeconds: z.number().int().min(1).max(86_400).default(LOGIN_LIMIT_DEFAULTS.failureWindowSeconds),
  /** Failed logins allowed per source address within the window. */
  maxFailuresPerAddress: z.number().int().min(1).default(LOGIN_LIMIT_DEFAULTS.maxFailuresPerAddress),
  /** Failed logins allowed per account and source address within the window. */
  maxFailuresPerAccountAddress: z.number().int().min(1).default(LOGIN_LIMIT_DEFAULTS.maxFailuresPerAccountAddress),
  /**
   * An account never locks: after this many failures from addresses it has not logged in from,
   * such addresses wait `accountDelayBaseSeconds`, doubling per failure up to `accountDelayMaxSeconds`.
   */
  accountFreeFailures: z.number().int().min(0).default(LOGIN_LIMIT_DEFAULTS.accountFreeFailures),
  accountDelayBaseSeconds: z.number().min(0.001).max(3600).default(LOGIN_LIMIT_DEFAULTS.accountDelayBaseSeconds),
  accountDelayMaxSeconds: z.number().min(0.001).max(3600).default(LOGIN_LIMIT_DEFAULTS.accountDelayMaxSeconds),
  /** How long a successful login exempts its address from its account's delay. */
  knownSourceHours: z.number().min(0).max(24 * 90).default(LOGIN_LIMIT_DEFAULTS.knownSourceHours),
  /** Addresses, accounts and pairs remembered at most, each. */
  maxTrackedKeys: z.number().int().min(100).max(10_000_000).default(LOGIN_LIMIT_DEFAULTS.maxTrackedKeys),
  /** Secret hashes (scrypt) computed at once for logins. */
  hashConcurrency: z.number().int().min(1).max(64).default(LOGIN_LIMIT_DEFAULTS.hashConcurrency),
  /** Logins waiting for a hash at most; beyond, the least trusted are answered 503 at once. */
  hashQueueLength: z.number().int().min(0).max(100_000).default(LOGIN_LIMIT_DEFAULTS.hashQueueLength),
}).refine((limits) => limits.accountDelayBaseSeconds <= limits.accountDelayMaxSeconds, {
  path: ['accountDelayMaxSeconds'],
  message: 'must not be below accountDelayBaseSeconds',
});

/**
 * Every object is strict: an unknown key (a typo, or a setting that was renamed) is an error
 * that names it, instead of a setting silently not taking effect.
 */
export const configSchema = z.strictObject({
  /**
   * Keep the embedded demo's organization, platform and clients (public credentials, refused when
   * NODE_ENV=production) beside the file's own, with the simulator and the dashboard's sign-in.
   */
  demo: z.boolean().default(false),
  nodeId: id.optional(),
  dataDir: z.string().default('./data'),
  auth: z.strictObject({
    issuer: z.string().default('tradehub'),
    audience: z.string().default('tradehub'),
    accessTokenLifetimeSeconds: z.number().int().min(5).max(86_400).default(3600),
    signing: signing.default({ algorithm: 'HS256' }),
    login: loginLimits.default(() => ({ ...LOGIN_LIMIT_DEFAULTS })),
  }).default(() => ({
    issuer: 'tradehub', audience: 'tradehub', accessTokenLifetimeSeconds: 3600, signing: { algorithm: 'HS256' as const },
    login: { ...LOGIN_LIMIT_DEFAULTS },
  })),
  trade: z.strictObject({
    /** Events kept per topic for replay after a reconnect. */
    historyLength: z.number().int().min(10).max(1_000_000).default(10_000),
    /** How long an event id is remembered, so that a republished event is stored once. */
    dedupeWindowSeconds: z.number().int().min(1).max(7 * 86_400).default(86_400),
    /** How long a terminal has to answer a request forwarded to it (`order_send`, ...) before the caller gets a time-out error. */
    terminalRequestTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Bars kept per symbol and timeframe: what subscribing to a bars topic answers with. */
    barHistory: z.number().int().min(1).max(10_000).default(500),
    /**
     * Bar series (symbol and timeframe) whose current bar a node keeps in memory; past it, the
     * least recently used is dropped and read back from the broker when its symbol ticks again.
     */
    barSeriesPerNode: z.number().int().min(5).max(1_000_000).default(50_000),
  }).default({ historyLength: 10_000, dedupeWindowSeconds: 86_400, terminalRequestTimeoutMs: 10_000, barHistory: 500, barSeriesPerNode: 50_000 }),
  /**
   * Per-connection limits of the trade hub, so that no client can make a node hold unbounded
   * memory. A Subscribe past them answers an error for each topic it could not take.
   */
  limits: z.strictObject({
    /** Topics and wildcards one connection may be subscribed to at once. */
    topicsPerConnection: z.number().int().min(1).max(1_000_000).default(1000),
    /** Longest topic name (Subscribe, StreamTopic), in characters. */
    topicNameLength: z.number().int().min(32).max(4096).default(256),
    // The hubs' own per-connection limits (HubOptions); each defaults to `defaultHubOptions`.
    /** Largest hub message, in bytes (`maximumReceiveMessageSize`). */
    messageSizeBytes: z.number().int().min(1024).max(16 * 1024 * 1024).optional(),
    /** Bytes a WebSocket frame may carry beyond one message (`webSocketFrameAllowanceBytes`). */
    webSocketFrameAllowanceBytes: z.number().int().min(0).max(64 * 1024 * 1024).optional(),
    /**
     * Hub method calls of one connection that run at once (`maximumParallelInvocationsPerClient`,
     * default 1 as in ASP.NET Core). Above 1, a publisher's calls overlap: with Redis, its
     * publishes go out pipelined instead of one round trip each; calls may then complete in any
     * order (each answer carries its invocation id), and publishes to one topic keep their order
     * unless one fails and is retried after a later one was stored.
     */
    parallelInvocationsPerConnection: z.number().int().min(1).max(1024).optional(),
    /** Calls waiting to run before the connection is no longer read (`maximumQueuedInvocationsPerClient`). */
    queuedInvocationsPerConnection: z.number().int().min(1).max(100_000).optional(),
    /** Bytes waiting to be sent before a client that does not read is disconnected (`maximumBufferedBytesPerClient`). */
    outboundBufferBytes: z.number().int().min(64 * 1024).max(1024 * 1024 * 1024).optional(),
    /**
     * Bytes waiting to be sent above which a connection's ticks wait too, only the latest per
     * topic (default 256 KiB); `false`: every tick is queued like any event.
     */
    tickConflationBytes: z.union([z.number().int().min(0).max(1024 * 1024 * 1024), z.literal(false)]).optional(),
    /**
     * Under load, how long a flush to many connections (64 or more) may wait for more messages
     * when messages keep coming as fast as it writes (default 0: never): fewer, fuller frames
     * for up to this much more latency while the node is busy. One value per process.
     */
    flushPauseMaxMs: z.number().int().min(0).max(100).optional(),
    /** Client-to-server streams open at once (`maximumClientStreamsPerClient`). */
    clientStreamsPerConnection: z.number().int().min(0).max(10_000).optional(),
    /** Unread items per client stream before the connection is no longer read (`clientStreamBufferCapacity`). */
    clientStreamBufferItems: z.number().int().min(1).max(100_000).optional(),
    /** Groups one connection may be in (`maximumGroupsPerConnection`). */
    groupsPerConnection: z.number().int().min(0).max(1_000_000).optional(),
    /** Longest group name, in characters (`maximumGroupNameLength`). */
    groupNameLength: z.number().int().min(1).max(65_536).optional(),
  }).refine((limits) => typeof limits.tickConflationBytes !== 'number' || limits.outboundBufferBytes === undefined
    || limits.tickConflationBytes < limits.outboundBufferBytes, {
    path: ['tickConflationBytes'],
    message: 'must be below outboundBufferBytes: past that, a connection is closed before its ticks would wait',
  }).default({ topicsPerConnection: 1000, topicNameLength: 256 }),
  /**
   * Browser pages of these origins may call the API and the hubs' HTTP endpoints (negotiate)
   * across origins (CORS). Exact origins, `scheme://host[:port]`; none when omitted.
   */
  cors: z.strictObject({
    origins: z.array(z.string().refine(isOrigin, 'must be an origin: scheme://host[:port], without a path')).min(1),
    /** How long browsers may cache a preflight answer. */
    maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
  }).optional(),
  /**
   * `Strict-Transport-Security` on every answer, for a hub reached over HTTPS (through a TLS
   * proxy). Browsers ignore it on plain HTTP; `maxAgeSeconds: 0` sends none (a node served over
   * HTTPS on a host name that must stay reachable over plain HTTP, such as localhost in development).
   */
  hsts: z.strictObject({
    maxAgeSeconds: z.number().int().min(0).max(63_072_000).default(31_536_000),
    includeSubDomains: z.boolean().default(false),
  }).default({ maxAgeSeconds: 31_536_000, includeSubDomains: false }),
  /**
   * Map the anonymous interop hub (`/testhub`) beside the product's hubs. It exists to check
   * SignalR clients against tradehub and is off unless asked for (`TRADEHUB_INTEROP_HUB=on`):
   * anyone may connect to it without a token.
   */
  interopHub: z.boolean().default(false),
  /**
   * `GET /metrics` (Prometheus). With `token` (a secret, or `env:NAME` / `file:PATH`), scrapes must
   * send `Authorization: Bearer <token>`; with `port`, it is served on that port (on `host`) only,
   * not beside the hubs.
   */
  metrics: z.strictObject({
    token: secretRef.optional(),
    port: z.number().int().min(0).max(65_535).optional(),
    host: z.string().min(1).default('127.0.0.1'),
  }).default({ host: '127.0.0.1' }),
  shutdown: z.strictObject({
    /**
     * How long a node shutting down keeps its port open after readiness turned `draining` and its
     * clients were told to reconnect elsewhere: set it above the load balancer's health-check period.
     */
    drainDelayMs: z.number().int().min(0).max(300_000).default(0),
  }).default({ drainDelayMs: 0 }),
  logging: z.strictObject({
    /** The level of the line logged per HTTP request (`off`: none). */
    accessLogLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'off']).default('info'),
  }).default({ accessLogLevel: 'info' }),
  /**
   * Reverse proxies whose `X-Forwarded-For` is believed (Express's `trust proxy`), so that login
   * limits count the client's address rather than the proxy's (behind a proxy, every client
   * would otherwise share one address). None when omitted: the header is ignored.
   */
  trustProxy: trustedProxies.optional(),
  redis: z.strictObject({
    /** One Redis. */
    url: z.string().url().optional(),
    /**
     * A Redis Cluster (Redis 7 or later) instead: some of its nodes, `host:port` or
     * `redis://[user:password@]host:port` (credentials of the first that has them apply to all);
     * the others are found through them. Events, SignalR messages and revocations then travel
     * over sharded pub/sub, and each topic's keys live on one shard.
     */
    cluster: z.array(z.string().regex(CLUSTER_NODE, 'expected host:port or redis://host:port')).min(1).max(100).optional(),
    /** Braces would set the hash tag of every key (one cluster slot for everything): not allowed. */
    keyPrefix: z.string().regex(/^[^{}]*$/, 'must not contain { or }').default('tradehub'),
    /**
     * Longest wait for any Redis call (and for connecting): a call that takes longer fails with
     * 503 / a retryable error, and the node reports not ready until Redis answers again.
     */
    commandTimeoutMs: z.number().int().min(50).max(60_000).default(2_000),
  }).refine((redis) => (redis.url === undefined) !== (redis.cluster === undefined), {
    message: 'give either redis.url (one Redis) or redis.cluster (the nodes of a Redis Cluster), not both',
  }).optional(),
  organizations: z.array(organization).min(1),
  clients: z.array(client).default([]),
});

export type TradehubConfig = z.output<typeof configSchema>;
export type CorsConfig = NonNullable<TradehubConfig['cors']>;
export type LimitsConfig = TradehubConfig['limits'];
export type RedisConfig = NonNullable<TradehubConfig['redis']>;

/** An exact origin, `scheme://host[:port]` (http or https), as browsers send it in `Origin`. */
export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}
export type OrganizationConfig = z.output<typeof organization>;
export type PlatformConfig = z.output<typeof platform>;
export type ClientConfig = z.output<typeof client>;
export type LoginLimitsConfig = z.output<typeof loginLimits>;
