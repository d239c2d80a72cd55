import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { readBearerCredentials } from '../auth/bearer-token.js';
import { authFailureAnswer, requestUrl, sendAuthFailure, type AuthFailureAnswer } from '../auth/http-auth.js';
import type { Principal } from '../auth/principal.js';
import type { TradehubMetrics } from '../observability/metrics.js';
import { WebSocketTransport } from '../transports/websocket-transport.js';
import { ConnectionManager } from './connection-manager.js';
import { requestOf } from './connection-request.js';
import type { HttpConnection } from './http-connection.js';
import { HttpTransportRequests } from './http-transport-requests.js';
import { negotiateResponse, requestedNegotiateVersion } from './negotiate.js';
import { ALL_TRANSPORTS, allowedTransports, transportNotSupported, type TransportType } from './transport.js';
import { rejectUpgrade } from './upgrade-rejection.js';

/**
 * The application behind an endpoint's connections (ASP.NET's ConnectionHandler): a hub, or
 * code that reads and writes a connection's payloads itself.
 */
export interface ConnectionHandler {
  /**
   * The first transport of a connection opened. The handler attaches itself with
   * `connection.attachApplication` and sends with `connection.send`. `connection.request` is
   * what is kept of the HTTP request that opened the transport (the WebSocket upgrade, the
   * Server-Sent Events GET or the first poll): its headers, query and cookies, without the token.
   */
  onConnected(connection: HttpConnection): void;
}

/** Checks a bearer token; throws AuthError when it is refused. */
export interface TokenAuthenticator {
  authenticate(token: string, deviceId: string | undefined): Promise<Principal>;
}

export interface ConnectionEndpointOptions {
  /** URL path of the endpoint, such as `/hubs/trade`. */
  path: string;
  handler: ConnectionHandler;
  /** The transports clients may use, listed by negotiate in this order; all three when omitted. */
  transports?: readonly TransportType[];
  /** When set, every request of the endpoint (negotiate and transports) must carry a token it accepts. */
  authenticator?: TokenAuthenticator;
  /**
   * How a refused token is answered; RFC 6750 with a JSON body by default. An answer without a
   * body is sent empty (as ASP.NET's JWT bearer handler does).
   */
  authFailureAnswer?: (error: unknown) => AuthFailureAnswer | undefined;
  /** How long a negotiated connection may wait for its transport. */
  negotiatedConnectionTimeoutMs?: number;
  /** How long a long poll is held when nothing is to be sent (ASP.NET: 90 s). */
  longPollTimeoutMs?: number;
  /** A long-polling client that has not polled for this long is gone. */
  longPollInactivityTimeoutMs?: number;
  /** Largest WebSocket frame; a larger one closes the socket with 1009 (Message Too Big). */
  maximumFrameBytes: number;
  /** Largest HTTP POST body of the Server-Sent Events and long-polling transports. */
  maximumSendBodyBytes: number;
  /** When set, clients that ask for stateful reconnect get it, with this window to come back. */
  statefulReconnectWindowMs?: number;
}

/**
 * One connection endpoint mapped at one path (MapConnectionHandler): its negotiate route, the
 * transports' requests and WebSocket upgrades, authentication of each, and the connection
 * manager behind them. What runs on the connections is the handler's business.
 */
export class ConnectionEndpoint {
  readonly path: string;
  readonly connections: ConnectionManager;
  readonly transports: readonly TransportType[];

  private readonly handler: ConnectionHandler;
  private readonly authenticator: TokenAuthenticator | undefined;
  private readonly describeAuthFailure: (error: unknown) => AuthFailureAnswer | undefined;
  private readonly httpTransports: HttpTransportRequests;
  /**
   * One WebSocket server per endpoint, not one per host: each endpoint's frames are bounded by its
   * own limit, so that an endpoint with a large limit does not widen every other endpoint's.
   */
  private readonly webSockets: WebSocketServer;

  constructor(private readonly options: ConnectionEndpointOptions, private readonly logger: Logger, private readonly metrics: TradehubMetrics) {
    this.path = options.path.replace(/\/+$/, '');
    this.handler = options.handler;
    this.transports = allowedTransports(options.transports ?? ALL_TRANSPORTS);
    this.authenticator = options.authenticator;
    this.describeAuthFailure = options.authFailureAnswer ?? authFailureAnswer;
    this.connections = new ConnectionManager({ negotiatedConnectionTimeoutMs: options.negotiatedConnectionTimeoutMs ?? 15_000 });
    this.httpTransports = new HttpTransportRequests(
      { pollTimeoutMs: options.longPollTimeoutMs ?? 90_000, inactivityTimeoutMs: options.longPollInactivityTimeoutMs ?? 15_000 },
      this.transports,
      (connection) => this.opened(connection),
    );
    this.webSockets = new WebSocketServer({ noServer: true, maxPayload: options.maximumFrameBytes });
  }

  /** HTTP routes of the endpoint: negotiate, and the connection endpoint for requests that are not upgrades. */
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
    // Bytes as they are: the application reads them, whatever the content type says.
    const body = express.raw({ type: () => true, limit: this.options.maximumSendBodyBytes });
    router.all(this.path, body, (req, res) => {
      this.authenticate(req.headers, requestUrl(req)).then(
        (user) => this.connectionRequest(req, res, user),
        (error: unknown) => this.refuse(res, error),
      );
    });
    return router;
  }

  /** Takes a WebSocket upgrade for this endpoint's path (TransportProtocols.md, "WebSockets"). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    this.authenticate(request.headers, url).then(
      (user) => this.upgrade(request, socket, head, url, user),
      (error: unknown) => {
        const answer = this.authFailure(error);
        if (answer) rejectUpgrade(socket, answer.status, answer.body?.error_description ?? '', answer.headers);
        else rejectUpgrade(socket, 500, 'Authentication failed.');
      },
    );
  }

  /** Ends every connection and forgets it. */
  async shutdown(): Promise<void> {
    this.connections.dispose();
  }

  /** Cuts off the WebSockets still open after the shutdown grace period. */
  terminateWebSockets(): void {
    for (const client of this.webSockets.clients) client.terminate();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL, user: Principal | undefined): void {
    const id = url.searchParams.get('id');
    const existing = id === null ? undefined : this.connections.get(id);
    if (id !== null && !existing) return rejectUpgrade(socket, 404, 'No Connection with that ID');
    // As ASP.NET: a transport the endpoint does not offer is 404, after the connection was found.
    if (!this.transports.includes('WebSockets')) return rejectUpgrade(socket, 404, transportNotSupported('WebSockets'));
    if (existing) {
      if (!sameCaller(existing.user, user)) return rejectUpgrade(socket, 403, 'The connection belongs to another user.');
      if (!existing.acceptsTransport) return rejectUpgrade(socket, 409, 'Connection already has an active transport.');
      // The token of this request may be newer than the one negotiate saw: its expiry counts.
      existing.user = user;
    }
    // Skip-negotiation: a WebSocket without an id gets a connection of its own on the spot.
    const accepted = existing ?? this.connections.create(1, user);
    const restoring = accepted.state === 'disconnected';
    // Read here, not in the callback below: a closure that named `request` would keep Node's
    // whole request object alive for as long as the socket's listeners live.
    const openingRequest = requestOf(request);
    this.webSockets.handleUpgrade(request, socket, head, (webSocket) => {
      webSocket.on('error', (error: Error & { code?: string }) => {
        if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
          this.metrics.limitHit('message_size');
          this.logger.info({ connectionId: accepted.connectionId }, 'closing WebSocket: frame larger than the endpoint accepts');
        }
      });
      accepted.attachTransport(new WebSocketTransport(webSocket, accepted, socket), openingRequest);
      // A stateful connection coming back keeps its application state: it is not opened again.
      if (!restoring) this.opened(accepted);
    });
  }

  /** The first transport of a connection opened: the handler takes it from here. */
  private opened(connection: HttpConnection): void {
    this.handler.onConnected(connection);
    this.logger.debug({ connectionId: connection.connectionId, transport: connection.transportType }, 'connection opened');
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
    const answer = this.describeAuthFailure(error);
    if (answer) {
      const reason = error instanceof Error ? error.message : undefined;
      this.logger.info({ endpoint: this.path, status: answer.status, reason }, 'authentication refused');
    } else {
      this.logger.error({ err: error }, 'authentication failed unexpectedly');
    }
    return answer;
  }

  private negotiate(req: Request, res: Response, user: Principal | undefined): void {
    const version = requestedNegotiateVersion(req.query.negotiateVersion);
    const windowMs = this.options.statefulReconnectWindowMs;
    const stateful = windowMs !== undefined && req.query.useStatefulReconnect === 'true';
    const connection = this.connections.create(version, user, stateful ? { windowMs } : undefined);
    res.json(negotiateResponse(connection.connectionId, connection.connectionToken, version, this.transports, stateful));
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
