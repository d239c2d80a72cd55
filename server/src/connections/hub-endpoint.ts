import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { AuthFailureAnswer } from '../auth/http-auth.js';
import { HubConnectionHandler } from '../hub/hub-connection-handler.js';
import type { HubDefinition } from '../hub/hub-definition.js';
import { HubDispatcher } from '../hub/hub-dispatcher.js';
import { defaultHubOptions, type HubOptions } from '../hub/hub-options.js';
import { groupManager, hubClients, type GroupManager, type HubClients } from '../hub/hub-clients.js';
import type { HubLifetimeManager } from '../lifetime/hub-lifetime-manager.js';
import { InMemoryHubLifetimeManager } from '../lifetime/in-memory-hub-lifetime-manager.js';
import type { HubProtocol } from '../protocol/hub-protocol.js';
import { JsonHubProtocol } from '../protocol/json-hub-protocol.js';
import { MessagePackHubProtocol } from '../protocol/messagepack-hub-protocol.js';
import type { TradehubMetrics } from '../observability/metrics.js';
import { ConnectionEndpoint, type TokenAuthenticator } from './connection-endpoint.js';
import type { ConnectionManager } from './connection-manager.js';
import type { ConnectionRegistry, LostAccess } from './connection-registry.js';
import type { TransportType } from './transport.js';

export type { TokenAuthenticator } from './connection-endpoint.js';

export interface HubEndpointOptions {
  /** URL path of the hub, such as `/hubs/trade`. */
  path: string;
  hub: HubDefinition;
  /** Where messages go; in-memory unless a backplane is given. Endpoints of one hub may share one. */
  lifetimeManager?: HubLifetimeManager;
  protocols?: HubProtocol[];
  hubOptions?: Partial<HubOptions>;
  /** The transports clients may use (HttpConnectionDispatcherOptions.Transports); all three when omitted. */
  transports?: readonly TransportType[];
  /** How long a negotiated connection may wait for its transport. */
  negotiatedConnectionTimeoutMs?: number;
  /** When set, every request of the hub (negotiate and transports) must carry a token it accepts. */
  authenticator?: TokenAuthenticator;
  /** How a refused token is answered; RFC 6750 with a JSON body by default. */
  authFailureAnswer?: (error: unknown) => AuthFailureAnswer | undefined;
  /** How long a long poll is held when nothing is to be sent (ASP.NET: 90 s). */
  longPollTimeoutMs?: number;
  /** A long-polling client that has not polled for this long is gone. */
  longPollInactivityTimeoutMs?: number;
}

/**
 * The largest HTTP POST body the long-polling and Server-Sent Events transports accept: 1 MiB, or
 * four messages of the hub's largest size if that is more. Larger than a WebSocket frame because
 * the official clients send everything queued while the previous POST was under way in the next
 * one. A POST is held (not read further) while its connection is paused, and a paused connection
 * refuses other POSTs, so this is also the most one connection's sends can make the server hold.
 */
export function httpSendBodyLimit(maximumReceiveMessageSize: number): number {
  return Math.max(1024 * 1024, 4 * maximumReceiveMessageSize);
}

/**
 * One hub mapped at one path (MapHub<T>): a connection endpoint whose connections the hub's
 * handler runs, with the dispatcher and lifetime manager behind it.
 */
export class HubEndpoint implements ConnectionRegistry {
  readonly path: string;
  readonly handler: HubConnectionHandler;
  readonly lifetimeManager: HubLifetimeManager;
  /** For code outside hub methods (SignalR's IHubContext): send to any target. */
  readonly clients: HubClients;
  readonly groups: GroupManager;
  readonly options: HubOptions;
  private readonly endpoint: ConnectionEndpoint;

  constructor(options: HubEndpointOptions, logger: Logger, metrics: TradehubMetrics) {
    this.options = { ...defaultHubOptions, ...options.hubOptions };
    this.lifetimeManager = options.lifetimeManager ?? new InMemoryHubLifetimeManager();
    this.clients = hubClients(this.lifetimeManager);
    this.groups = groupManager(this.lifetimeManager);
    const protocols = new Map((options.protocols ?? [new JsonHubProtocol(), new MessagePackHubProtocol()]).map((protocol) => [protocol.name, protocol]));
    // The hub's name in metrics: the last segment of its path (`/hubs/trade` -> `trade`).
    const instruments = metrics.hubs.forHub(hubNameOf(options.path), Object.keys(options.hub.methods));
    const dispatcher = new HubDispatcher(options.hub, this.options, logger, metrics, instruments);
    this.handler = new HubConnectionHandler(protocols, dispatcher, {
      lifetimeManager: this.lifetimeManager,
      clients: this.clients,
      groups: this.groups,
      options: this.options,
      logger,
      metrics,
      instruments,
    });
    this.endpoint = new ConnectionEndpoint({
      path: options.path,
      handler: this.handler,
      transports: options.transports,
      authenticator: options.authenticator,
      authFailureAnswer: options.authFailureAnswer,
      negotiatedConnectionTimeoutMs: options.negotiatedConnectionTimeoutMs,
      longPollTimeoutMs: options.longPollTimeoutMs,
      longPollInactivityTimeoutMs: options.longPollInactivityTimeoutMs,
      // A frame over the message limit plus the allowance closes the socket with 1009 (see webSocketFrameAllowanceBytes).
      maximumFrameBytes: this.options.maximumReceiveMessageSize + this.options.webSocketFrameAllowanceBytes,
      maximumSendBodyBytes: httpSendBodyLimit(this.options.maximumReceiveMessageSize),
      statefulReconnectWindowMs: this.options.allowStatefulReconnects ? this.options.statefulReconnectWindowMs : undefined,
    }, logger, metrics);
    this.path = this.endpoint.path;
  }

  get connections(): ConnectionManager {
    return this.endpoint.connections;
  }

  get transports(): readonly TransportType[] {
    return this.endpoint.transports;
  }

  /** HTTP routes of the hub: negotiate, and the connection endpoint for requests that are not upgrades. */
  router(): Router {
    return this.endpoint.router();
  }

  /** Takes a WebSocket upgrade for this hub's path (TransportProtocols.md, "WebSockets"). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    this.endpoint.handleUpgrade(request, socket, head, url);
  }

  /** Tells every client to go elsewhere (Close with allowReconnect), then forgets the connections. */
  async shutdown(): Promise<void> {
    this.handler.closeAll({ allowReconnect: true, status: 'app_shutdown' });
    this.handler.dispose();
    await this.endpoint.shutdown();
    await this.lifetimeManager.dispose();
  }

  /** Cuts off the WebSockets still open after the shutdown grace period. */
  terminateWebSockets(): void {
    this.endpoint.terminateWebSockets();
  }

  /** Closes this hub's connections whose principal lost access (ConnectionRegistry). */
  closeLost(lost: LostAccess): number {
    return lost.tokenId !== undefined
      ? this.handler.closeConnectionsOfToken(lost.tokenId, lost.reason)
      : this.handler.closeWhere((user) => lost.matches(user), lost.reason);
  }

  /** Closes one connection of this node with an error and no reconnect; false when it is not here. */
  closeConnection(connectionId: string, error: string): boolean {
    return this.handler.closeConnection(connectionId, error);
  }
}

function hubNameOf(path: string): string {
  return path.replace(/\/+$/, '').split('/').pop() || 'hub';
}
