import {
  TradeClientMethod, type ConnectionStatus, type SubscribeOptions, type MyAccess, type PlatformInfo, type PublishResult, type ServerInfo, type TradeEventInput,
} from '@tradehub/shared';
import { ClientCredentialsTokenSource } from './auth/client-credentials-token-source.js';
import { FactoryTokenSource } from './auth/factory-token-source.js';
import { FixedTokenSource, type TokenSource } from './auth/token-source.js';
import { Backoff } from './connection/backoff.js';
import { HubSession, type ConnectionState, type ConnectionStateChange } from './connection/hub-session.js';
import { InBandTokenRenewal } from './connection/in-band-renewal.js';
import { NodeList } from './connection/node-list.js';
import { TradehubError } from './errors.js';
import { EventStream, type EventStreamOptions } from './events/event-stream.js';
import { JsonRpcClient } from './http/json-rpc-client.js';
import { RestApi } from './http/rest-api.js';
import { TypedHub, type TradeHubAccess } from './hub/typed-hub.js';
import { ClientLog, Redactor } from './logger.js';
import { resolveOptions, type ConnectOptions } from './options.js';
import { publishEvents, type PublishOptions } from './publishing/publish-call.js';
import { Publisher, type PublisherOptions } from './publishing/publisher.js';
import { TradeStateView } from './state/trade-state-view.js';
import { TerminalRequests } from './terminal/terminal-requests.js';
import type { StreamAttachment } from './subscriptions/consumer-tap.js';
import { HandlerSubscription, type Subscription, type TopicHandler } from './subscriptions/handler-subscription.js';
import { SubscriptionEngine } from './subscriptions/subscription-engine.js';
import { checkedTickRate } from './subscriptions/tick-rate.js';
import { topicList } from './subscriptions/topic-list.js';
import { Emitter } from './util/emitter.js';

/** What a client reports, with `client.on(event, listener)`. */
export interface ClientEvents {
  /** Connection state: `connecting`, `connected`, `reconnecting` (with the reason), `disconnected` (final, with the reason unless closed). */
  connection: ConnectionStateChange;
  /** A problem the client survived: a malformed message from the server (dropped), a handler that threw. */
  error: TradehubError;
  /** A concrete topic's state changed in `client.state`. */
  change: string;
  /** `OnConnectionStatus` of each new connection: the node and what the token grants. */
  status: ConnectionStatus;
}

/**
 * A connected tradehub client (from `connect`): typed subscriptions that survive reconnects,
 * node failover and token renewal without a missed or repeated event, a local state view,
 * publishing, and typed access to the hub, REST and JSON-RPC APIs.
 */
export class TradehubClient {
  /** Typed hub methods (`GetServerInfo`, `StreamTopic`, `PublishStream`...). */
  readonly hub: TradeHubAccess;
  /** The REST API with the client's token. */
  readonly rest: RestApi;
  /** JSON-RPC 2.0 at `/rpc` with the client's token. */
  readonly rpc: JsonRpcClient;
  /** The local view of the subscribed topics' state. */
  readonly state: TradeStateView;
  private readonly emitter: Emitter<ClientEvents>;
  private readonly attachment: StreamAttachment;
  private readonly renewal: InBandTokenRenewal;
  private lastStatus: ConnectionStatus | undefined;

  private constructor(
    private readonly session: HubSession,
    private readonly typedHub: TypedHub,
    private readonly engine: SubscriptionEngine,
    private readonly tokens: TokenSource,
    private readonly backoff: Backoff,
    private readonly log: ClientLog,
    private readonly requestTimeoutMs: number,
    nodes: NodeList,
    deviceId: string | undefined,
  ) {
    this.emitter = new Emitter<ClientEvents>((error) => this.report(asTradehubError(error, 'A client event listener threw')));
    this.hub = typedHub;
    const api = { nodes, tokens, timeoutMs: requestTimeoutMs, deviceId };
    this.rest = new RestApi(api);
    this.rpc = new JsonRpcClient(api);
    this.state = new TradeStateView(() => engine.topics);
    this.attachment = { attach: (tap) => engine.add(tap), detach: (tap) => engine.remove(tap) };
    this.renewal = new InBandTokenRenewal({
      get connectionToken() {
        return session.connectionToken;
      },
      renewToken: (token) => typedHub.invoke('RenewToken', token),
      tokenRenewed: (token, renewal) => {
        session.tokenRenewed(token);
        if (renewal.droppedTopics.length > 0) engine.droppedByServer(renewal.droppedTopics, 'The renewed token does not allow it.');
      },
      reconnect: (reason) => session.reconnect(reason),
    }, tokens, log);
  }

  /** @see connect */
  static async connect(options: ConnectOptions): Promise<TradehubClient> {
    const resolved = resolveOptions(options);
    const nodes = new NodeList(options.url);
    const redactor = new Redactor();
    const log = new ClientLog(options.logger, redactor);
    const tokens: TokenSource = options.credentials
      ? new ClientCredentialsTokenSource(options.credentials, nodes, log, resolved.requestTimeoutMs)
      : options.tokenFactory
        ? new FactoryTokenSource(options.tokenFactory, redactor, resolved.requestTimeoutMs)
        : new FixedTokenSource(options.token as string);
    if (options.token !== undefined) redactor.add(options.token);
    const backoff = new Backoff(options.reconnect);
    const session = new HubSession({
      nodes, tokens, log, backoff,
      transport: resolved.transport,
      protocol: resolved.protocol,
      statefulReconnect: resolved.statefulReconnect,
      connectTimeoutMs: resolved.connectTimeoutMs,
      deviceId: resolved.deviceId,
    });
    const typedHub = new TypedHub(session, resolved.requestTimeoutMs);
    let client: TradehubClient | undefined;
    const engine = new SubscriptionEngine({
      get generation() {
        return session.generation;
      },
      get connected() {
        return session.state === 'connected';
      },
      subscribe: (topics, resume, subscribeOptions) => (subscribeOptions
        ? typedHub.invoke('Subscribe', topics, resume, subscribeOptions)
        : typedHub.invoke('Subscribe', topics, resume)),
      unsubscribe: (topics) => typedHub.invoke('Unsubscribe', topics),
    }, {
      error: (error) => client?.report(error),
      changed: (topic) => client?.emitter.emit('change', topic),
    }, log, backoff);
    client = new TradehubClient(session, typedHub, engine, tokens, backoff, log, resolved.requestTimeoutMs, nodes, resolved.deviceId);
    client.wire();
    try {
      await session.start();
    } catch (error) {
      tokens.close();
      throw error;
    }
    return client;
  }

  get connectionState(): ConnectionState {
    return this.session.state;
  }

  /** Base URL of the node the client uses now. */
  get node(): string {
    return this.session.node;
  }

  /** The current connection's `OnConnectionStatus`, once received. */
  get connectionStatus(): ConnectionStatus | undefined {
    return this.lastStatus;
  }

  on<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  off<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): void {
    this.emitter.off(event, listener);
  }

  /**
   * Calls `handler` with each item of the topics (or wildcards): for each topic its snapshot
   * first, then its events in order, each once, across reconnects; `reset` then `snapshot` when
   * a topic had to start over. Resolves once the server holds every topic. `options.maxRatePerSecond`
   * limits the ticks of ticks topics (see `EventStreamOptions.maxRatePerSecond`).
   * @throws InvalidTopicError, ConfigurationError, SubscriptionRefusedError, TimeoutError, ClientClosedError
   */
  async subscribe<const T extends string>(
    topics: T | readonly T[], handler: TopicHandler<T>, options: SubscribeOptions = {},
  ): Promise<Subscription> {
    const subscription = new HandlerSubscription<T>(
      topicList(topics), handler, (error) => this.report(asTradehubError(error, 'A subscription handler threw')), this.attachment, this.requestTimeoutMs,
      checkedTickRate(options.maxRatePerSecond),
    );
    this.throwIfClosed(subscription);
    await subscription.ready;
    return subscription;
  }

  /**
   * The items of the topics as an async iterator with a bounded buffer (see `EventStreamOptions`):
   * `for await (const item of client.events(topic))`. Leaving the loop unsubscribes.
   * @throws InvalidTopicError at once; the others from the loop
   */
  events<const T extends string>(topics: T | readonly T[], options: EventStreamOptions = {}): EventStream<T> {
    const stream = new EventStream<T>(topicList(topics), { ...options, startTimeoutMs: options.startTimeoutMs ?? this.requestTimeoutMs }, this.attachment);
    this.throwIfClosed(stream);
    return stream;
  }

  /**
   * Publishes events with the hub's `Publish` (checked against the shared schema first), retried
   * across reconnects when every event has an id (see `PublishOptions`).
   */
  publish(events: readonly TradeEventInput[], options?: PublishOptions): Promise<PublishResult> {
    return publishEvents(this.typedHub, this.backoff, events, options);
  }

  /** A publisher for a feed: queued, batched, ordered, retried (see `Publisher`). */
  publisher(options?: PublisherOptions): Publisher {
    return new Publisher((events, publishOptions) => this.publish(events, publishOptions), options);
  }

  serverInfo(): Promise<ServerInfo> {
    return this.typedHub.invoke('GetServerInfo');
  }

  async myAccess(): Promise<MyAccess | null> {
    return this.typedHub.invoke('GetMyAccess');
  }

  platforms(): Promise<PlatformInfo[]> {
    return this.typedHub.invoke('GetPlatforms');
  }

  /**
   * Requests to the terminal of an account (`orderSend`, `orderModify`, `orderClose`,
   * `getHistory`, `status`): the client's token must be that account's terminal token.
   */
  terminal(platform: string, login: string): TerminalRequests {
    return new TerminalRequests(platform, login, this.typedHub, this.rpc);
  }

  /** Closes the connection for good; subscriptions and event loops end normally. */
  async close(): Promise<void> {
    await this.session.close();
    this.tokens.close();
  }

  private wire(): void {
    const connection = this.session.connection;
    connection.on(TradeClientMethod.OnEvent, (envelope: unknown) => this.engine.onEvent(envelope));
    connection.on(TradeClientMethod.OnResync, (notice: unknown) => this.engine.onResync(notice));
    connection.on(TradeClientMethod.OnConnectionStatus, (status: unknown) => {
      if (typeof status !== 'object' || status === null) return;
      this.lastStatus = status as ConnectionStatus;
      this.emitter.emit('status', this.lastStatus);
    });
    this.session.events.on('state', (change) => {
      if (change.state === 'connected') {
        this.engine.connected();
        this.renewal.connected();
      } else {
        this.renewal.stop();
      }
      if (change.state === 'disconnected') {
        this.engine.close(this.session.closedError?.code === 'closed' ? undefined : this.session.closedError);
        this.tokens.close();
      }
      this.emitter.emit('connection', change);
    });
  }

  private throwIfClosed(consumer: { fail(error: TradehubError): void }): void {
    const closed = this.session.closedError;
    if (closed) consumer.fail(closed);
  }

  private report(error: TradehubError): void {
    this.log.warn(error.message);
    this.emitter.emit('error', error);
  }
}

function asTradehubError(error: unknown, context: string): TradehubError {
  if (error instanceof TradehubError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TradehubError('handler_error', `${context}: ${message}`, { cause: error });
}

/**
 * Connects to tradehub: checks the options, gets a token, connects to the first node that
 * answers, and keeps the connection up until `close()`.
 * @throws ConfigurationError, ProtocolNotSupportedError, CredentialsRefusedError, TokenRefusedError,
 *   NotSignalRServerError, ServerUnreachableError, TimeoutError
 */
export function connect(options: ConnectOptions): Promise<TradehubClient> {
  return TradehubClient.connect(options);
}
