import { INTEROP_HUB_PATH, TRADE_HUB_PATH } from '@tradehub/shared';
import type { Logger } from 'pino';
import { AccessTokenService } from '../auth/access-token-service.js';
import { Authenticator } from '../auth/authenticator.js';
import { FileTokenStore } from '../auth/file-token-store.js';
import { HashGate } from '../auth/hash-gate.js';
import { HashedSecrets } from '../auth/hashed-secrets.js';
import { HASH_LANES, LoginGuard } from '../auth/login-guard.js';
import { LoginThrottle } from '../auth/login-throttle.js';
import { RedisTokenStore } from '../auth/redis-token-store.js';
import { LocalRevocationBus, RedisRevocationBus, type RevocationBus } from '../auth/revocation-bus.js';
import { loadSigningKeys, redisSharedHs256Secret } from '../auth/signing-keys.js';
import { TerminalTokenService } from '../auth/terminal-token-service.js';
import type { TokenStore } from '../auth/token-store.js';
import type { LoginLimitsConfig, TradehubConfig } from '../config/config-schema.js';
import { Directory } from '../config/directory.js';
import { hubLimitsOf } from '../config/hub-limits.js';
import type { HubEndpoint } from '../connections/hub-endpoint.js';
import { defaultHubOptions, type HubOptions } from '../hub/hub-options.js';
import { cors } from '../http/cors.js';
import { errorHandler, notFoundHandler } from '../http/error-handler.js';
import { HubHost } from '../http/hub-host.js';
import { directoryRoutes, jwksRoute } from '../http/routes/directory-routes.js';
import { jsonRpcRoutes } from '../http/routes/json-rpc-routes.js';
import { managerRoutes } from '../http/routes/manager-routes.js';
import { oauthRoutes } from '../http/routes/oauth-routes.js';
import { platformRoutes } from '../http/routes/platform-routes.js';
import { tokenAdminRoutes } from '../http/routes/token-admin-routes.js';
import { interopHub } from '../interop/interop-hub.js';
import { nodeId } from '../node-identity.js';
import { silentLogger } from '../observability/logger.js';
import { TradehubMetrics } from '../observability/metrics.js';
import { metricsRoutes } from '../http/routes/metrics-routes.js';
import { InMemoryTradeBroker } from '../trade/broker/in-memory-trade-broker.js';
import { RedisTradeBroker } from '../trade/broker/redis-trade-broker.js';
import { healthRoutes } from '../http/routes/health-routes.js';
import { dashboardRoutes } from '../http/routes/dashboard-routes.js';
import type { TradeBroker } from '../trade/broker/trade-broker.js';
import { TopicFanout } from '../trade/topic-fanout.js';
import { tradeHub } from '../trade/trade-hub.js';
import { TradeQueries } from '../trade/trade-queries.js';
import { TradeService } from '../trade/trade-service.js';
import { withBars } from '../trade/bars/bar-building-broker.js';
import { TradeSimulator } from '../simulator/trade-simulator.js';
import { RedisIngest } from '../trade/redis-ingest.js';
import { connectRedis, type RedisConnections } from './redis-connections.js';
import type { HubLifetimeManager } from '../lifetime/hub-lifetime-manager.js';
import { RedisHubLifetimeManager } from '../lifetime/redis-hub-lifetime-manager.js';

export interface TradehubAppOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  hubOptions?: Partial<HubOptions>;
  shutdownGraceMs?: number;
  /** Publish simulated trade data for this platform (the embedded demo); one node of a deployment at most. */
  simulatePlatform?: string;
  /** Credentials the dashboard page fills in: only the embedded demo's public ones. */
  dashboardCredentials?: { clientId: string; clientSecret: string };
}

/** A composed tradehub node: HTTP host, hubs, auth services and their storage. */
export interface TradehubApp {
  readonly host: HubHost;
  readonly nodeId: string;
  readonly tradeHub: HubEndpoint;
  /** Mapped only when the configuration enables it (`interopHub`). */
  readonly interopHub: HubEndpoint | undefined;
  readonly accessTokens: AccessTokenService;
  readonly terminalTokens: TerminalTokenService;
  readonly directory: Directory;
  readonly trade: TradeService;
  readonly metrics: TradehubMetrics;
  /** Denies a JWT id everywhere and closes its connections on every node. */
  revoke(tokenId: string, expiresAt: number): Promise<void>;
  close(): Promise<void>;
}

export async function createTradehubApp(config: TradehubConfig, options: TradehubAppOptions = {}): Promise<TradehubApp> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? silentLogger;
  const node = config.nodeId ?? nodeId();
  const directory = new Directory(config);
  const metrics = new TradehubMetrics();
  const secrets = await HashedSecrets.fromDirectory(directory, config.organizations.map((o) => o.id), env);

  let redis: RedisConnections | undefined;
  let store: TokenStore;
  let revocations: RevocationBus;
  if (config.redis) {
    redis = await connectRedis({ url: config.redis.url, commandTimeoutMs: config.redis.commandTimeoutMs }, logger);
    store = new RedisTokenStore(redis.commands, redis.guard, config.redis.keyPrefix);
    revocations = await RedisRevocationBus.start(redis.commands, redis.subscriber, redis.guard, config.redis.keyPrefix);
  } else {
    store = new FileTokenStore(config.dataDir);
    revocations = new LocalRevocationBus();
  }
  const usesGeneratedSecret = config.auth.signing.algorithm === 'HS256' && config.auth.signing.secret === undefined;
  const shared = redis && config.redis && usesGeneratedSecret ? { connections: redis, keyPrefix: config.redis.keyPrefix } : undefined;
  const keys = loadSigningKeys(config, env, shared
    ? await shared.connections.guard.run(() => redisSharedHs256Secret(shared.connections.commands, shared.keyPrefix))
    : undefined);
  const accessTokens = new AccessTokenService(keys, config.auth.issuer, config.auth.audience);
  const terminalTokens = new TerminalTokenService(store, revocations, directory);
  const authenticator = new Authenticator(accessTokens, terminalTokens, store, directory);
  const logins = loginGuard(config.auth.login, secrets, metrics);
  const revoke = async (tokenId: string, expiresAt: number): Promise<void> => {
    await store.revokeTokenId(tokenId, expiresAt);
    await revocations.publish(tokenId);
  };

  const broker: TradeBroker = withBars(redis && config.redis
    ? new RedisTradeBroker(redis.commands, redis.subscriber, redis.guard, {
      keyPrefix: config.redis.keyPrefix,
      historyLength: config.trade.historyLength,
      dedupeWindowSeconds: config.trade.dedupeWindowSeconds,
      barHistory: config.trade.barHistory,
    }, logger)
    : new InMemoryTradeBroker({
      historyLength: config.trade.historyLength,
      dedupeWindowMs: config.trade.dedupeWindowSeconds * 1000,
      barHistory: config.trade.barHistory,
    }), config.trade, logger);
  const simulator = options.simulatePlatform !== undefined
    ? new TradeSimulator(broker, { platformId: options.simulatePlatform, login: '5001', ticksPerSecond: 2 }, logger)
    : undefined;
  await simulator?.start();
  const statefulBufferBytes = options.hubOptions?.statefulReconnectBufferBytes ?? defaultHubOptions.statefulReconnectBufferBytes;
  const trade = new TradeService(broker, new TopicFanout(broker, logger), logger, config.limits, metrics, statefulBufferBytes);
  const ingest = redis && config.redis
    ? await RedisIngest.start(redis.reader, redis.guard, broker, directory, { keyPrefix: config.redis.keyPrefix, nodeId: node }, logger)
    : undefined;
  const queries = new TradeQueries(directory, broker);

  const host = new HubHost({
    logger,
    metrics,
    securityHeaders: { hstsMaxAgeSeconds: config.hsts.maxAgeSeconds, hstsIncludeSubDomains: config.hsts.includeSubDomains },
    ...(options.shutdownGraceMs !== undefined ? { shutdownGraceMs: options.shutdownGraceMs } : {}),
  });
  const lifetimeSeconds = config.auth.accessTokenLifetimeSeconds;
  // First, so that preflights are answered and every answer, errors included, carries the CORS headers.
  if (config.cors) host.app.use(cors(config.cors));
  host.app.use(dashboardRoutes(options.dashboardCredentials ? { demoCredentials: options.dashboardCredentials } : {}));
  host.app.use(metricsRoutes(metrics));
  // Per part: the broker's connections are up; Redis is connected and answers (a PING within the
  // command time-out: a frozen Redis keeps its connections up).
  host.app.use(healthRoutes(() => ({
    broker: broker.ready,
    redis: redis ? redis.commands.isReady && redis.subscriber.isReady && redis.guard.answering : undefined,
  })));
  host.app.use(oauthRoutes({ directory, logins, accessTokens, store, revoke, lifetimeSeconds }));
  host.app.use(jwksRoute(keys.jwks));
  host.app.use(managerRoutes({ directory, logins, accessTokens, authenticator, lifetimeSeconds }));
  host.app.use(tokenAdminRoutes({ authenticator, terminalTokens, accessTokens, revoke }));
  host.app.use(directoryRoutes(directory, authenticator));
  // With Redis, every SignalR target (all, connection, group, user) reaches connections on any node.
  const lifetimeManager = async (hubName: string): Promise<{ lifetimeManager?: HubLifetimeManager }> =>
    redis && config.redis
      ? { lifetimeManager: await RedisHubLifetimeManager.create(redis.commands, redis.subscriber, redis.guard, { keyPrefix: config.redis.keyPrefix, hubName, nodeId: node }, logger) }
      : {};
  // Clients that ask for stateful reconnect get it: a dropped WebSocket then loses nothing.
  const hubOptions = { hubOptions: { allowStatefulReconnects: true, ...hubLimitsOf(config.limits), ...options.hubOptions } };
  host.app.use(platformRoutes({ authenticator, trade, queries }));
  host.app.use(jsonRpcRoutes({ authenticator, queries, logger }));
  const tradeEndpoint = host.mapHub({
    path: TRADE_HUB_PATH, hub: tradeHub(node, directory, trade), authenticator, ...hubOptions, ...(await lifetimeManager('trade')),
  });
  // The interop hub is anonymous: it exists to check SignalR clients, so the product maps it only on request.
  const interopEndpoint = config.interopHub
    ? host.mapHub({ path: INTEROP_HUB_PATH, hub: interopHub(), ...hubOptions, ...(await lifetimeManager('interop')) })
    : undefined;
  host.app.use(notFoundHandler);
  host.app.use(errorHandler(logger));
  revocations.onRevoked((tokenId) => {
    const closed = tradeEndpoint.closeConnectionsOfToken(tokenId);
    if (closed > 0) logger.info({ tokenId, closed }, 'closed connections of a revoked token');
  });

  return {
    host,
    nodeId: node,
    tradeHub: tradeEndpoint,
    interopHub: interopEndpoint,
    accessTokens,
    terminalTokens,
    directory,
    trade,
    metrics,
    revoke,
    close: async () => {
      simulator?.stop();
      await host.close();
      trade.close();
      await ingest?.close();
      await broker.close();
      await revocations.close();
      await store.close();
      await redis?.close();
    },
  };
}

function loginGuard(limits: LoginLimitsConfig, secrets: HashedSecrets, metrics: TradehubMetrics): LoginGuard {
  const throttle = new LoginThrottle({
    failureWindowMs: limits.failureWindowSeconds * 1000,
    maxFailuresPerAddress: limits.maxFailuresPerAddress,
    maxFailuresPerAccountAddress: limits.maxFailuresPerAccountAddress,
    accountFreeFailures: limits.accountFreeFailures,
    accountDelayBaseMs: limits.accountDelayBaseSeconds * 1000,
    accountDelayMaxMs: limits.accountDelayMaxSeconds * 1000,
    knownSourceMs: limits.knownSourceHours * 3_600_000,
    maxTrackedKeys: limits.maxTrackedKeys,
  });
  const gate = new HashGate({ concurrency: limits.hashConcurrency, maxQueued: limits.hashQueueLength, lanes: Object.keys(HASH_LANES).length });
  return new LoginGuard(throttle, gate, secrets, metrics);
}
