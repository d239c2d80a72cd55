import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { readBearerCredentials } from '../auth/bearer-token.js';
import { authFailureAnswer, requestUrl, sendAuthFailure, type AuthFailureAnswer } from '../auth/http-auth.js';
import type { Principal } from '../auth/principal.js';
import { WebSocketServer } from 'ws';
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
import { WebSocketTransport } from '../transports/websocket-transport.js';
import { ConnectionManager } from './connection-manager.js';
import type { HttpConnection } from './http-connection.js';
import { requestOf } from './connection-request.js';
import { negotiateResponse, requestedNegotiateVersion } from './negotiate.js';
import type { TransportType } from './transport.js';
import { rejectUpgrade } from './upgrade-rejection.js';
import { HttpTransportRequests } from './http-transport-requests.js';

export interface HubEndpointOptions {
  /** URL path of the hub, such as `/hubs/trade`. */
  path: string;
  hub: HubDefinition;
  /** Where messages go; in-memory unless a backplane is given. */
  lifetimeManager?: HubLifetimeManager;
  protocols?: HubProtocol[];
  hubOptions?: Partial<HubOptions>;
  /** How long a negotiated connection may wait for its transport. */
  negotiatedConnectionTimeoutMs?: number;
  /** When set, every request of the hub (negotiate and transports) must carry a token it accepts. */
  authenticator?: TokenAuthenticator;
  /** How long a long poll is held when nothing is to be sent (ASP.NET: 90 s). */
  longPollTimeoutMs?: number;
  /** A long-polling client that has not polled for this long is gone. */
  longPollInactivityTimeoutMs?: number;
}

/** Checks a bearer token; throws AuthError when it is refused. */
export interface TokenAuthenticator {
  authenticate(token: string, deviceId: string | undefined): Promise<Principal>;
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

/** The transports this build serves, in the order clients should try them. */
const ENABLED_TRANSPORTS: readonly TransportType[] = ['WebSockets', 'ServerSentEvents', 'LongPolling'];

/**
 * One hub mapped at one path: its negotiate route, its connection endpoint, and the
 * connection manager, handler and lifetime manager behind them (MapHub<T>).
 */
export class HubEndpoint {
  readonly path: string;
  readonly connections: ConnectionManager;
  readonly handler: HubConnectionHandler;
  readonly lifetimeManager: HubLifetimeManager;
  /** For code outside hub methods (SignalR's IHubContext): send to any target. */
  readonly clients: HubClients;
  readonly groups: GroupManager;
  readonly options: HubOptions;

  private readonly authenticator: TokenAuthenticator | undefined;
  private readonly httpTransports: HttpTransportRequests;
  /**
   * One WebSocket server per hub, not one per host: each hub's frames are bounded by its own
   * message size limit plus `webSocketFrameAllowanceBytes`, so that a hub with a large limit does
   * not widen every other hub's. A frame over the bound closes the socket with 1009 (Message Too Big).
   */
  private readonly webSockets: WebSocketServer;

  constructor(options: HubEndpointOptions, private readonly logger: Logger, private readonly metrics: TradehubMetrics) {
    this.authenticator = options.authenticator;
    this.path = options.path.replace(/\/+$/, '');
    this.options = { ...defaultHubOptions, ...options.hubOptions };
    this.lifetimeManager = options.lifetimeManager ?? new InMemoryHubLifetimeManager();
    this.clients = hubClients(this.lifetimeManager);
    this.groups = groupManager(this.lifetimeManager);
    this.connections = new ConnectionManager({
      negotiatedConnectionTimeoutMs: options.negotiatedConnectionTimeoutMs ?? 15_000,
    });
    const protocols = new Map((options.protocols ?? [new JsonHubProtocol(), new MessagePackHubProtocol()]).map((protocol) => [protocol.name, protocol]));
    this.httpTransports = new HttpTransportRequests(
      { pollTimeoutMs: options.longPollTimeoutMs ?? 90_000, inactivityTimeoutMs: options.longPollInactivityTimeoutMs ?? 15_000 },
      (connection) => this.opened(connection),
    );
    this.webSockets = new WebSocketServer({
      noServer: true, maxPayload: this.options.maximumReceiveMessageSize + this.options.webSocketFrameAllowanceBytes,
    });
    const dispatcher = new HubDispatcher(options.hub, this.options, logger, metrics);
    this.handler = new HubConnectionHandler(protocols, dispatcher, {
      lifetimeManager: this.lifetimeManager,
      clients: this.clients,
      groups: this.groups,
      options: this.options,
      logger,
      metrics,
    });
  }

  /** HTTP routes of the hub: negotiate, and the connection endpoint for requests that are not upgrades. */
  router(): Router {
    const router = Router();
    router.post(`${this.path}/negotiate`, (req, res) => {
      this.authenticate(req.headers, requestUrl(req)).then(
        (user) => this.negotiate(req, res, user),
        (error: unknown) => this.refuse(res, error),
      );
    });
    router.all(`${this.path}/negotiate`, (_req, res) => {
      res.status(405).type('text/plain').send('Method Not Allowed: negotiate accepts POST only.');
    });
    // Bytes as they are: the hub protocol reads them, whatever the content type says.
    const body = express.raw({ type: () => true, limit: httpSendBodyLimit(this.options.maximumReceiveMessageSize) });
    router.all(this.path, body, (req, res) => {
      this.authenticate(req.headers, requestUrl(req)).then(
        (user) => this.connectionRequest(req, res, user),
        (error: unknown) => this.refuse(res, error),
      );
    });
    return router;
  }

  /** Takes a WebSocket upgrade for this hub's path (TransportProtocols.md, "WebSockets"). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    this.authenticate(request.headers, url).then(
      (user) => this.upgrade(request, socket, head, url, user),
      (error: unknown) => {
        const answer = this.authFailure(error);
        if (answer) rejectUpgrade(socket, answer.status, answer.body.error_description, answer.headers);
        else rejectUpgrade(socket, 500, 'Authentication failed.');
      },
    );
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL, user: Principal | undefined): void {
    const id = url.searchParams.get('id');
    let connection: HttpConnection | undefined;
    if (id === null) {
      // Skip-negotiation: a WebSocket without an id gets a connection of its own on the spot.
      connection = this.connections.create(1, request.socket.remoteAddress, user);
    } else {
      connection = this.connections.get(id);
      if (!connection) return rejectUpgrade(socket, 404, 'No Connection with that ID');
      if (!sameCaller(connection.user, user)) return rejectUpgrade(socket, 403, 'The connection belongs to another user.');
      if (!connection.acceptsTransport) return rejectUpgrade(socket, 409, 'Connection already has an active transport.');
      // The token of this request may be newer than the one negotiate saw: its expiry counts.
      connection.user = user;
    }
    const accepted = connection;
    const restoring = accepted.state === 'disconnected';
    // Read here, not in the callback below: a closure that named `request` would keep Node's
    // whole request object alive for as long as the socket's listeners live.
    const openingRequest = requestOf(request);
    this.webSockets.handleUpgrade(request, socket, head, (webSocket) => {
      webSocket.on('error', (error: Error & { code?: string }) => {
        if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
          this.metrics.limitHit('message_size');
          this.logger.info({ connectionId: accepted.connectionId }, 'closing WebSocket: frame larger than the hub accepts');
        }
      });
      accepted.attachTransport(new WebSocketTransport(webSocket, accepted), openingRequest);
      // A stateful connection coming back keeps its hub state: no second handshake.
      if (!restoring) this.opened(accepted);
    });
  }

  /** The first transport of a connection opened: the hub takes it from here. */
  private opened(connection: HttpConnection): void {
    this.handler.onConnected(connection);
    this.logger.debug({ connectionId: connection.connectionId, transport: connection.transportType }, 'connection opened');
  }

  /** Tells every client to go elsewhere (Close with allowReconnect), then forgets the connections. */
  async shutdown(): Promise<void> {
    this.handler.closeAll({ allowReconnect: true });
    this.handler.dispose();
    this.connections.dispose();
    await this.lifetimeManager.dispose();
  }

  /** Cuts off the WebSockets still open after the shutdown grace period. */
  terminateWebSockets(): void {
    for (const client of this.webSockets.clients) client.terminate();
  }

  /** Closes this hub's connections that use a token that was just revoked. */
  closeConnectionsOfToken(tokenId: string): number {
    return this.handler.closeConnectionsOfToken(tokenId, 'The access token was revoked.');
  }

  private async authenticate(headers: IncomingMessage['headers'], url: URL): Promise<Principal | undefined> {
    if (!this.authenticator) return undefined;
    const { token, deviceId } = readBearerCredentials(headers, url.searchParams, true);
    return this.authenticator.authenticate(token, deviceId);
  }

  private refuse(res: Response, error: unknown): void {
    const answer = this.authFailure(error);
    if (answer) sendAuthFailure(res, answer);
    else res.status(500).type('text/plain').send('Authentication failed.');
  }

  /** The answer to a failed authentication, logged without the token; undefined for an unexpected error. */
  private authFailure(error: unknown): AuthFailureAnswer | undefined {
    const answer = authFailureAnswer(error);
    if (answer) this.logger.info({ hub: this.path, status: answer.status, reason: answer.body.error_description }, 'authentication refused');
    else this.logger.error({ err: error }, 'authentication failed unexpectedly');
    return answer;
  }

  private negotiate(req: Request, res: Response, user: Principal | undefined): void {
    const version = requestedNegotiateVersion(req.query.negotiateVersion);
    const stateful = this.options.allowStatefulReconnects && req.query.useStatefulReconnect === 'true';
    const connection = this.connections.create(
      version, req.socket.remoteAddress, user, stateful ? { windowMs: this.options.statefulReconnectWindowMs } : undefined,
    );
    res.json(negotiateResponse(connection.connectionId, connection.connectionToken, version, ENABLED_TRANSPORTS, stateful));
  }

  private connectionRequest(req: Request, res: Response, user: Principal | undefined): void {
    const id = typeof req.query.id === 'string' ? req.query.id : undefined;
    if (id === undefined) {
      res.status(400).type('text/plain').send('Connection ID required');
      return;
    }
    const connection = this.connections.get(id);
    if (!connection) {
      if (req.method === 'GET' && this.httpTransports.pollAfterEnd(id, res, (ended) => sameCaller(ended.user, user))) return;
      res.status(404).type('text/plain').send('No Connection with that ID');
      return;
    }
    if (!sameCaller(connection.user, user)) {
      res.status(403).type('text/plain').send('The connection belongs to another user.');
      return;
    }
    this.httpTransports.handle(req, res, connection, Buffer.isBuffer(req.body) ? req.body : undefined);
  }
}


/** A connection may only be continued by the caller that negotiated it (same subject, same tenant). */
function sameCaller(negotiated: Principal | undefined, current: Principal | undefined): boolean {
  if (negotiated === undefined || current === undefined) return negotiated === current;
  return negotiated.id === current.id && negotiated.organization === current.organization;
}
