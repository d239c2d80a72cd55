export { HubHost, type HubHostOptions } from './http/hub-host.js';
export { DEFAULT_SECURITY_HEADERS, type SecurityHeadersOptions } from './http/security-headers.js';
export { HubEndpoint, type HubEndpointOptions } from './connections/hub-endpoint.js';
export type { TransportType } from './connections/transport.js';
export {
  clientStream, defineHub, hubMethod, streamHubMethod, variadicHubMethod,
  type HubContext, type HubDefinition, type HubMethod, type HubParameter, type HubUser, type StreamingHubContext,
} from './hub/hub-definition.js';
export { ClientStreamChannel, ClientStreamError, type ClientStream, type PushResult } from './hub/client-stream.js';
export { ClientStreamTracker } from './hub/client-stream-tracker.js';
export type { ClientProxy, GroupManager, HubCallerClients, HubClients } from './hub/hub-clients.js';
export { HubError } from './hub/hub-error.js';
export { defaultHubOptions, type HubOptions } from './hub/hub-options.js';
export { heartbeatVerdict, type ConnectionTimes, type HeartbeatLimits, type HeartbeatVerdict } from './hub/heartbeat-verdict.js';
export type { HubLifetimeManager, HubTarget, HubConnectionSink } from './lifetime/hub-lifetime-manager.js';
export { InMemoryHubLifetimeManager } from './lifetime/in-memory-hub-lifetime-manager.js';
export type { HubProtocol, TransferFormat } from './protocol/hub-protocol.js';
export { JsonHubProtocol } from './protocol/json-hub-protocol.js';
export { interopHub } from './interop/interop-hub.js';
export { tradeHub } from './trade/trade-hub.js';
export { BrokerUnavailableError, type TradeBroker } from './trade/broker/trade-broker.js';
export { ServiceUnavailableError } from './errors/service-unavailable-error.js';
export { RedisGuard, type RedisGuardOptions } from './redis/redis-guard.js';
export { isRedisUnavailability, RedisUnavailableError } from './redis/redis-unavailable-error.js';
export { JsonRpcErrorCode } from './json-rpc/json-rpc-error.js';
export { createLogger, silentLogger } from './observability/logger.js';
export { detachedMetrics, TradehubMetrics, type LimitName } from './observability/metrics.js';
export { createTradehubApp, type TradehubApp, type TradehubAppOptions } from './app/create-app.js';
export { configSchema, type TradehubConfig } from './config/config-schema.js';
export { loadConfig, parseConfig } from './config/load-config.js';
export { demoConfig, DEMO_CREDENTIALS } from './config/demo-config.js';
export { AuthError } from './auth/auth-error.js';
export type { Principal } from './auth/principal.js';
export { Scope } from './auth/scopes.js';
export { hashSecret } from './auth/secret-hash.js';
export { LoginThrottle, LoginReservation, type Admission, type LoginStanding, type LoginThrottleLimits } from './auth/login-throttle.js';
export { HashGate, HashQueueFullError } from './auth/hash-gate.js';
export { sourceOf } from './auth/source-address.js';
export { CappedMap } from './collections/capped-map.js';
export { TERMINAL_TOKEN_PREFIX } from './auth/terminal-token-service.js';
export { MessagePackHubProtocol } from './protocol/messagepack-hub-protocol.js';
export type { TerminalTokenView } from './auth/terminal-token-service.js';
// The protocol's building blocks, for tests that drive them directly.
export { readHandshakeRequest, writeHandshakeResponse, type HandshakeRequest } from './protocol/handshake.js';
export { InvalidDataError } from './protocol/protocol-error.js';
export { splitFrames, writeFrame } from './protocol/binary-message-format.js';
export { splitRecords, RECORD_SEPARATOR } from './protocol/text-message-format.js';
export { MessageType, type HubMessage, type ParsedMessage } from './protocol/messages.js';
export { OutboundBudget } from './hub/outbound-budget.js';
