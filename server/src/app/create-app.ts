import type { AddressInfo } from 'node:net';
import { INTEROP_HUB_PATH, TERMINAL_HUB_MESSAGE_BYTES, TERMINAL_HUB_PATH, TRADE_HUB_PATH } from '@tradehub/shared';
import type { Logger } from 'pino';
import { AccessAdmin } from '../auth/access-admin.js';
import { AccessEnforcer } from '../auth/access-enforcer.js';
import { AccessPolicy } from '../auth/access-policy.js';
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
import type { ConnectionRegistry } from '../connections/connection-registry.js';
import type { HubEndpoint } from '../connections/hub-endpoint.js';
import { defaultHubOptions, type HubOptions } from '../hub/hub-options.js';
import { cors } from '../http/cors.js';
import { errorHandler, notFoundHandler } from '../http/error-handler.js';
import { HubHost } from '../http/hub-host.js';
import { directoryRoutes, jwksRoute } from '../http/routes/directory-routes.js';
import { jsonRpcRoutes } from '../http/routes/json-rpc-routes.js';
import { tradeRpcMethods } from '../json-rpc/trade-rpc-methods.js';
import { WsRpcEndpoint } from '../ws-rpc/ws-rpc-endpoint.js';
import { wsRpcLimitsOf } from '../ws-rpc/ws-rpc-limits.js';
import { wsRpcMethods } from '../ws-rpc/ws-rpc-methods.js';
import { managerRoutes } from '../http/routes/manager-routes.js';
import { oauthRoutes } from '../http/routes/oauth-routes.js';
import { platformRoutes } from '../http/routes/platform-routes.js';
import { tokenAdminRoutes } from '../http/routes/token-admin-routes.js';
import { accessAdminRoutes } from '../http/routes/access-admin-routes.js';
import { interopHub } from '../interop/interop-hub.js';
import { nodeId } from '../node-identity.js';
import { silentLogger } from '../observability/logger.js';
import { TradehubMetrics } from '../observability/metrics.js';
import { metricsRoutes } from '../http/routes/metrics-routes.js';
import { listenForMetrics, type MetricsListener } from '../http/metrics-listener.js';
import { resolveSecret } from '../config/secret-ref.js';
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
import { setSocketFlushPause } from '../transports/coalescing-writer.js';
import { TradeSimulator } from '../simulator/trade-simulator.js';
import { RedisIngest } from '../trade/redis-ingest.js';
import { connectRedis, redisTarget, type RedisConnections } from './redis-connections.js';
import type { HubLifetimeManager } from '../lifetime/hub-lifetime-manager.js';
import { RedisHubLifetimeManager } from '../lifetime/redis-hub-lifetime-manager.js';
import { InMemoryHubLifetimeManager } from '../lifetime/in-memory-hub-lifetime-manager.js';
import { InMemoryTerminalPresence } from '../terminal/in-memory-terminal-presence.js';
import { RedisTerminalPresence } from '../terminal/redis-terminal-presence.js';
import { TerminalAccessRegistry } from '../terminal/terminal-access-registry.js';
import { DEFAULT_TERMINAL_GATEWAY_OPTIONS, TerminalGateway } from '../terminal/terminal-gateway.js';
import { terminalHub } from '../terminal/terminal-hub.js';
import type { TerminalPresence } from '../terminal/terminal-presence.js';
import { TerminalSessions } from '../terminal/terminal-sessions.js';
import { terminalTokensOnly } from '../terminal/terminal-tokens-only.js';
import { SimulatedTerminal } from '../simulator/simulated-terminal.js';

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
  /** Where terminals connect (`/hubs/terminal`). */
  readonly terminalHub: HubEndpoint;
  /** Mapped only when the configuration enables it (`interopHub`). */
  readonly interopHub: HubEndpoint | undefined;
  readonly accessTokens: AccessTokenService;
  readonly terminalTokens: TerminalTokenService;
  readonly directory: Directory;
  readonly trade: TradeService;
  /** `/ws`: JSON-RPC 2.0 over a WebSocket. */
  readonly wsRpc: WsRpcEndpoint;
  readonly metrics: TradehubMetrics;
  /** Where `/metrics` listens when it has a port of its own (`metrics.port`); undefined when it is served beside the hubs. */
  readonly metricsAddress: AddressInfo | undefined;
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
    // One Redis or a Redis Cluster: chosen here only; everything below uses the same connections' interfaces.
    redis = await connectRedis({ ...redisTarget(config.redis), commandTimeoutMs: config.redis.commandTimeoutMs }, logger, metrics.redis);
    store = new RedisTokenStore(redis.commands, redis.guard, config.redis.keyPrefix);
    revocations = await RedisRevocationBus.start(redis.pubSub, redis.guard, config.redis.keyPrefix);
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
  const access = new AccessPolicy(store, directory);
  const authenticator = new Authenticator(accessTokens, terminalTokens, store, directory, access, metrics.auth);
  const logins = loginGuard(config.auth.login, secrets, metrics);
  const revoke = async (tokenId: string, expiresAt: number): Promise<void> => {
    await store.revokeTokenId(tokenId, expiresAt);
    await revocations.publish({ kind: 'token', tokenId });
  };

  const broker: TradeBroker = withBars(redis && config.redis
    ? new RedisTradeBroker(redis.commands, redis.pubSub, redis.guard, {
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
    ? new TradeSimulator((events) => broker.publish(events), { platformId: options.simulatePlatform, login: '5001', ticksPerSecond: 2 }, logger)
    : undefined;
  await simulator?.start();
  // Which terminals are online, known on every node: shared through Redis when configured.
  const terminalPresence: TerminalPresence = redis && config.redis
    ? await RedisTerminalPresence.start(redis.commands, redis.pubSub, redis.guard, { keyPrefix: config.redis.keyPrefix }, logger)
    : new InMemoryTerminalPresence();
  const terminalSessions = new TerminalSessions(terminalPresence, broker, logger);
  const statefulBufferBytes = options.hubOptions?.statefulReconnectBufferBytes ?? defaultHubOptions.statefulReconnectBufferBytes;
  const trade = new TradeService(broker, new TopicFanout(broker, logger, metrics.trade), logger, config.limits, metrics, statefulBufferBytes);
  const ingest = redis && config.redis
    ? await RedisIngest.start(redis.reader, redis.guard, broker, directory, { keyPrefix: config.redis.keyPrefix, nodeId: node }, logger, metrics.trade)
    : undefined;
  const queries = new TradeQueries(directory, broker);

  const host = new HubHost({
    logger,
    metrics,
    securityHeaders: { hstsMaxAgeSeconds: config.hsts.maxAgeSeconds, hstsIncludeSubDomains: config.hsts.includeSubDomains },
    ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}),
    accessLogLevel: config.logging.accessLogLevel,
    drainDelayMs: config.shutdown.drainDelayMs,
    ...(options.shutdownGraceMs !== undefined ? { shutdownGraceMs: options.shutdownGraceMs } : {}),
  });
  const lifetimeSeconds = config.auth.accessTokenLifetimeSeconds;
  // First, so that preflights are answered and every answer, errors included, carries the CORS headers.
  if (config.cors) host.app.use(cors(config.cors));
  host.app.use(dashboardRoutes(options.dashboardCredentials ? { demoCredentials: options.dashboardCredentials } : {}));
  const metricsToken = config.metrics.token === undefined ? undefined : resolveSecret(config.metrics.token, env, 'metrics.token');
  // On the hubs' port unless it has a port of its own (started last, below).
  if (config.metrics.port === undefined) host.app.use(metricsRoutes(metrics, metricsToken));
  // Per part: the broker's connections are up; Redis is connected and answers (a PING within the
  // command time-out: a frozen Redis keeps its connections up).
  host.app.use(healthRoutes(() => ({
    broker: broker.ready,
    redis: redis ? redis.ready && redis.guard.answering : undefined,
  }), () => host.draining));
  host.app.use(oauthRoutes({ directory, logins, accessTokens, store, access, revoke, lifetimeSeconds }));
  host.app.use(jwksRoute(keys.jwks));
  host.app.use(managerRoutes({ directory, logins, accessTokens, authenticator, access, lifetimeSeconds }));
  host.app.use(tokenAdminRoutes({ authenticator, terminalTokens, accessTokens, revoke }));
  host.app.use(accessAdminRoutes({ authenticator, access: new AccessAdmin(store, access, revocations, directory) }));
  host.app.use(directoryRoutes(directory, authenticator));
  // With Redis, every SignalR target (all, connection, group, user) reaches connections on any node.
  const lifetimeManager = async (hubName: string, remoteInvokeTimeoutMs?: number): Promise<{ lifetimeManager?: HubLifetimeManager }> =>
    redis && config.redis
      ? { lifetimeManager: await RedisHubLifetimeManager.create(redis.pubSub, redis.guard, {
        keyPrefix: config.redis.keyPrefix, hubName, nodeId: node, ...(remoteInvokeTimeoutMs !== undefined ? { remoteInvokeTimeoutMs } : {}),
      }, logger) }
      : {};
  // Clients that ask for stateful reconnect get it: a dropped WebSocket then loses nothing.
  const hubOptions = { hubOptions: { allowStatefulReconnects: true, ...hubLimitsOf(config.limits), ...options.hubOptions } };
  if (config.limits.flushPauseMaxMs !== undefined) setSocketFlushPause(config.limits.flushPauseMaxMs);
  // Terminal requests reach the terminal's connection on any node through the terminal hub's
  // lifetime manager; the underlying waits end shortly after the gateway's own time-out.
  const terminalRequestTimeoutMs = config.trade.terminalRequestTimeoutMs;
  const terminalLifetime = (await lifetimeManager('terminal', terminalRequestTimeoutMs + 1_000)).lifetimeManager ?? new InMemoryHubLifetimeManager();
  const gateway = new TerminalGateway(terminalPresence, terminalLifetime, { ...DEFAULT_TERMINAL_GATEWAY_OPTIONS, requestTimeoutMs: terminalRequestTimeoutMs }, logger);
  const terminalEndpoint: HubEndpoint = host.mapHub({
    path: TERMINAL_HUB_PATH,
    hub: terminalHub({
      node, sessions: terminalSessions, trade,
      nameOf: (tokenId) => terminalTokens.nameOf(tokenId),
      closeConnection: (connectionId, error) => terminalEndpoint.closeConnection(connectionId, error),
    }),
    authenticator: terminalTokensOnly(authenticator),
    lifetimeManager: terminalLifetime,
    hubOptions: {
      ...hubOptions.hubOptions,
      clientResultTimeoutMs: terminalRequestTimeoutMs + 1_000,
      maximumReceiveMessageSize: Math.max(hubOptions.hubOptions.maximumReceiveMessageSize ?? 0, TERMINAL_HUB_MESSAGE_BYTES),
    },
  });
  // Terminals of this node: those connected to its terminal hub.
  metrics.gaugeSources.terminalsOnline = () => terminalEndpoint.handler.connectionCount;
  const simulatedTerminal = simulator ? await SimulatedTerminal.start(simulator, terminalSessions, terminalLifetime, node) : undefined;
  host.app.use(platformRoutes({ authenticator, trade, queries }));
  // One method table for both JSON-RPC transports: `POST /rpc` and `/ws` serve the same methods.
  const rpcMethods = tradeRpcMethods({ queries, gateway });
  host.app.use(jsonRpcRoutes({ authenticator, methods: rpcMethods, logger }));
  const tradeEndpoint = host.mapHub({
    path: TRADE_HUB_PATH, hub: tradeHub(node, directory, trade, gateway, authenticator), authenticator, ...hubOptions, ...(await lifetimeManager('trade')),
  });
  const wsRpcEndpoint = host.mapEndpoint(new WsRpcEndpoint({
    authenticator, methods: wsRpcMethods(rpcMethods, trade), trade, limits: wsRpcLimitsOf({ ...defaultHubOptions, ...hubOptions.hubOptions }),
  }, logger, metrics));
  metrics.gaugeSources.wsConnections = () => wsRpcEndpoint.connectionCount;
  // The interop hub is anonymous: it exists to check SignalR clients, so the product maps it only on request.
  const interopEndpoint = config.interopHub
    ? host.mapHub({ path: INTEROP_HUB_PATH, hub: interopHub(), ...hubOptions, ...(await lifetimeManager('interop')) })
    : undefined;
  host.app.use(notFoundHandler);
  host.app.use(errorHandler(logger));
  // Every endpoint that keeps authenticated connections registers here: a revoked token, device,
  // or a disabled or expired organization or account closes its connections on every node.
  const connectionRegistries: ConnectionRegistry[] = [tradeEndpoint, new TerminalAccessRegistry(terminalEndpoint, terminalSessions), wsRpcEndpoint];
  const enforcer = new AccessEnforcer(access, config.organizations.map((o) => o.id), connectionRegistries, logger);
  revocations.onChange((change) => enforcer.apply(change));
  enforcer.checkOrganizations();

  const close = async (): Promise<void> => {
    simulator?.stop();
    await simulatedTerminal?.stop();
    enforcer.dispose();
    await host.close();
    await metricsListener?.close();
    await terminalPresence.close();
    trade.close();
    await ingest?.close();
    await broker.close();
    await revocations.close();
    await store.close();
    await redis?.close();
  };
  let metricsListener: MetricsListener | undefined;
  if (config.metrics.port !== undefined) {
    try {
      metricsListener = await listenForMetrics(metricsRoutes(metrics, metricsToken), config.metrics.port, config.metrics.host);
    } catch (error) {
      await close();
      throw new Error(`metrics.port: cannot listen on ${config.metrics.host}:${config.metrics.port} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
    }
  }

  return {
    host,
    nodeId: node,
    metricsAddress: metricsListener?.address,
    tradeHub: tradeEndpoint,
    terminalHub: terminalEndpoint,
    interopHub: interopEndpoint,
    accessTokens,
    terminalTokens,
    directory,
    trade,
    wsRpc: wsRpcEndpoint,
    metrics,
    revoke,
    close,
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
