import { createServer, type IncomingMessage, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import express, { type Express, type Router } from 'express';
import type { Logger } from 'pino';
import { ConnectionEndpoint, type ConnectionEndpointOptions } from '../connections/connection-endpoint.js';
import { HubEndpoint, type HubEndpointOptions } from '../connections/hub-endpoint.js';
import { rejectUpgrade } from '../connections/upgrade-rejection.js';
import { parseRequestTarget, refuseUnreadableTarget, UNREADABLE_TARGET_DESCRIPTION } from './request-target.js';
import { silentLogger } from '../observability/logger.js';
import { securityHeaders, type SecurityHeadersOptions } from './security-headers.js';
import { detachedMetrics, type TradehubMetrics } from '../observability/metrics.js';
import { logUpgrade, requestLogging, type AccessLogLevel } from './request-logging.js';

export interface HubHostOptions {
  logger?: Logger;
  /** Where limit hits and paused connections are counted; a private registry when omitted. */
  metrics?: TradehubMetrics;
  /** How long shutdown waits for clients to leave after being told to, before cutting them off. */
  shutdownGraceMs?: number;
  /** Security headers every answer carries (see `securityHeaders`); HSTS for a year by default. */
  securityHeaders?: SecurityHeadersOptions;
  /** Proxies whose X-Forwarded-For gives `req.ip` (Express's `trust proxy`); none when omitted. */
  trustProxy?: readonly string[];
  /** The level of each HTTP request's access log line; `info` when omitted. */
  accessLogLevel?: AccessLogLevel;
  /**
   * How long shutdown keeps serving after readiness turned `draining` and clients were told to
   * leave, before it stops listening: time for a load balancer to notice. 0 when omitted.
   */
  drainDelayMs?: number;
}

/** What the host needs of anything mapped at a path: a hub, a connection handler, or a WebSocket endpoint of its own. */
export interface MappedEndpoint {
  readonly path: string;
  router(): Router;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
  /** Tells the clients the server is going away and forgets them. */
  shutdown(): Promise<void>;
  terminateWebSockets(): void;
}

/** A certificate chain and its private key, PEM. */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
}

/** A connection handler's endpoint options; its frame and body limits default to 64 KiB and 1 MiB. */
export type ConnectionHandlerOptions = Omit<ConnectionEndpointOptions, 'path' | 'handler' | 'maximumFrameBytes' | 'maximumSendBodyBytes'>
  & Partial<Pick<ConnectionEndpointOptions, 'maximumFrameBytes' | 'maximumSendBodyBytes'>>;

/**
 * The Express application and HTTP server that hubs and connection handlers are mapped onto,
 * with WebSocket upgrades routed to the endpoint whose path they ask for. An HTTPS listener can
 * serve the same application beside the HTTP one.
 */
export class HubHost {
  readonly app: Express = express();
  readonly server: Server = createServer(this.app);
  readonly logger: Logger;
  readonly metrics: TradehubMetrics;
  /** Servers of `listenTls`, closed with the HTTP one. */
  private readonly tlsServers: Server[] = [];
  /** By lower-case path: routes match in any letter case, as ASP.NET's do (Express routes already do). */
  private readonly endpoints = new Map<string, MappedEndpoint>();
  private readonly shutdownGraceMs: number;
  private readonly drainDelayMs: number;
  private drainingNow = false;
  private readonly accessLogLevel: AccessLogLevel;

  constructor(options: HubHostOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? detachedMetrics();
    this.shutdownGraceMs = options.shutdownGraceMs ?? 5_000;
    this.drainDelayMs = options.drainDelayMs ?? 0;
    this.app.disable('x-powered-by');
    if (options.trustProxy) this.app.set('trust proxy', [...options.trustProxy]);
    // First: every request, refused or not, gets its id and its access log line.
    this.accessLogLevel = options.accessLogLevel ?? 'info';
    this.app.use(requestLogging(this.logger, this.accessLogLevel));
    // While draining, no new connection starts here: the clients told to leave go to another node.
    this.app.use((req, res, next) => {
      if (this.drainingNow && req.method === 'POST' && /\/negotiate\/?$/i.test(req.path)) {
        res.status(503).set('Retry-After', '1').type('text/plain').send('The server is shutting down.');
        return;
      }
      next();
    });
    // First, so that every answer gets them: routes, hubs, and the errors of both.
    this.app.use(securityHeaders(options.securityHeaders));
    // Before any route: a target no URL parser can read is refused with 400, not a 500.
    this.app.use(refuseUnreadableTarget);
    this.server.on('upgrade', (request, socket, head) => this.onUpgrade(request, socket, head));
  }

  mapHub(options: HubEndpointOptions): HubEndpoint {
    return this.map(new HubEndpoint(options, this.logger, this.metrics));
  }

  /**
   * Maps code that reads and writes a connection's payloads itself, with no hub protocol
   * (ASP.NET's MapConnectionHandler): negotiate and every transport, as for a hub.
   */
  mapConnectionHandler(path: string, handler: ConnectionEndpointOptions['handler'], options: ConnectionHandlerOptions = {}): ConnectionEndpoint {
    return this.map(new ConnectionEndpoint({
      maximumFrameBytes: 64 * 1024, maximumSendBodyBytes: 1024 * 1024, ...options, path, handler,
    }, this.logger, this.metrics));
  }

  /** Maps an endpoint that takes its WebSocket upgrades itself (such as `/ws`), with its HTTP routes. */
  mapEndpoint<T extends MappedEndpoint>(endpoint: T): T {
    return this.map(endpoint);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    return listenOn(this.server, port, host);
  }

  /** Serves the same application over HTTPS on another port, beside `listen`'s HTTP. */
  async listenTls(port: number, host: string, credentials: TlsCredentials): Promise<AddressInfo> {
    const server = createTlsServer({ cert: credentials.cert, key: credentials.key }, this.app);
    server.on('upgrade', (request, socket, head) => this.onUpgrade(request, socket, head));
    this.tlsServers.push(server);
    return listenOn(server, port, host);
  }

  /** Whether a graceful shutdown has begun: readiness answers `draining`, new connections are refused. */
  get draining(): boolean {
    return this.drainingNow;
  }

  /**
   * Graceful shutdown: every client gets Close with allowReconnect (so it reconnects, to another
   * node if there is one), then the server stops once they left or the grace period ran out.
   */
  async close(): Promise<void> {
    this.drainingNow = true;
    await Promise.all([...this.endpoints.values()].map((endpoint) => endpoint.shutdown()));
    if (this.drainDelayMs > 0) await sleep(this.drainDelayMs);
    const servers = [this.server, ...this.tlsServers].filter((server) => server.listening);
    const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    const grace = setTimeout(() => {
      for (const endpoint of this.endpoints.values()) endpoint.terminateWebSockets();
      for (const server of servers) server.closeAllConnections();
    }, this.shutdownGraceMs);
    for (const server of servers) server.closeIdleConnections();
    await closed;
    clearTimeout(grace);
  }

  private map<T extends MappedEndpoint>(endpoint: T): T {
    const key = endpoint.path.toLowerCase();
    if (this.endpoints.has(key)) throw new Error(`An endpoint is already mapped at '${endpoint.path}'.`);
    this.endpoints.set(key, endpoint);
    this.app.use(endpoint.router());
    return endpoint;
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    logUpgrade(this.logger, this.accessLogLevel, request, socket);
    const url = parseRequestTarget(request.url);
    if (!url) {
      rejectUpgrade(socket, 400, UNREADABLE_TARGET_DESCRIPTION);
      return;
    }
    if (this.drainingNow && !url.searchParams.has('id')) {
      rejectUpgrade(socket, 503, 'The server is shutting down.');
      return;
    }
    const endpoint = this.endpoints.get(url.pathname.replace(/\/+$/, '').toLowerCase());
    if (!endpoint) {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    endpoint.handleUpgrade(request, socket, head, url);
  }
}

/** Starts listening; rejects when the address cannot be had (EADDRINUSE, EACCES). */
export function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
