/**
 * `@tradehub/client`: the typed tradehub client for Node.js 20+ and browsers, built on the
 * official `@microsoft/signalr` client. See README.md.
 */
export { connect, TradehubClient, type ClientEvents } from './client.js';
export type { ConnectOptions, TransportName } from './options.js';
export type { ClientCredentials } from './auth/client-credentials-token-source.js';
export type { ReconnectOptions } from './connection/backoff.js';
export type { ConnectionState, ConnectionStateChange } from './connection/hub-session.js';
export type { Logger } from './logger.js';
export {
  ClientClosedError, ConfigurationError, ConnectionClosedError, ConnectionLostError, ConsumerTooSlowError, CredentialsRefusedError, HttpApiError, HubMethodError,
  InvalidEventError, InvalidRequestError, InvalidTopicError, JsonRpcCallError, MalformedServerMessageError, NotSignalRServerError, ProtocolNotSupportedError,
  ServerUnreachableError, SubscriptionRefusedError, TimeoutError, TokenRefusedError, TokenUnavailableError, TradehubError,
  type TradehubErrorCode,
} from './errors.js';
export type {
  EnvelopeOf, EventItem, EventTypesOfKind, ResetItem, SnapshotItem, TopicEnvelope, TopicItem, TopicKindOf, TopicSnapshotOf,
} from './subscriptions/items.js';
export type { Subscription, TopicHandler } from './subscriptions/handler-subscription.js';
export { EventStream, DEFAULT_BUFFER_SIZE, type EventStreamOptions } from './events/event-stream.js';
export type { PublishOptions } from './publishing/publish-call.js';
export { Publisher, type PublisherOptions, type PublisherStats } from './publishing/publisher.js';
export type { PublicHubMethod, TradeHubAccess } from './hub/typed-hub.js';
export type { RestApi } from './http/rest-api.js';
export type { TerminalRequests } from './terminal/terminal-requests.js';
export { connectTerminal, TradehubTerminal, type TerminalConnectOptions, type TerminalHandlers } from './terminal/tradehub-terminal.js';
export type { JsonRpcClient } from './http/json-rpc-client.js';
export type { LocalAccountView, TradeStateView } from './state/trade-state-view.js';
// The shared contracts, so that users need one import.
export {
  JsonRpcErrorCode, Topics, parseTopic, topicOf, type AccountState, type ConnectionStatus, type Deal, type MarginEvent, type MyAccess,
  type Order, type PlatformInfo, type PlatformStatus, type Position, type PublishResult, type ResetReason, type ServerInfo, type SymbolInfo,
  type Tick, type TopicPosition, type TopicSnapshot, type TradeEnvelope, type TradeEventInput, type TradeEventType,
  TradeRetcode, type GetHistoryRequest, type HistoryResult, type OrderCloseRequest, type OrderModifyRequest, type OrderSendRequest,
  type TerminalPresenceView, type TerminalStatus, type TerminalOfflineReason, type TradeResult,
  TIMEFRAMES, TIMEFRAME_MS, type Bar, type DepthBook, type DepthLevel, type SubscribeOptions, type Timeframe,
} from '@tradehub/shared';
