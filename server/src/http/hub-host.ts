import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { HubEndpoint, type HubEndpointOptions } from '../connections/hub-endpoint.js';
import { rejectUpgrade } from '../connections/upgrade-rejection.js';
import { parseRequestTarget, refuseUnreadableTarget, UNREADABLE_TARGET_DESCRIPTION } from './request-target.js';
import { silentLogger } from '../observability/logger.js';
import { securityHeaders, type SecurityHeadersOptions } from './security-headers.js';
import { detachedMetrics, type TradehubMetrics } from '../observability/metrics.js';

export interface HubHostOptions {
  logger?: Logger;
  /** Where limit hits and paused connections are counted; a private registry when omitted. */
  metrics?: TradehubMetrics;
  /** How long shutdown waits for clients to leave after being told to, before cutting them off. */
  shutdownGraceMs?: number;
  /** Security headers every answer carries (see `securityHeaders`); HSTS for a year by default. */
  securityHeaders?: SecurityHeadersOptions;
}

/**
 * The Express application and HTTP server that hubs are mapped onto, with WebSocket upgrades
 * routed to the hub whose path they ask for.
 */
export class HubHost {
  readonly app: Express = express();
  readonly server: Server = createServer(this.app);
  readonly logger: Logger;
  readonly metrics: TradehubMetrics;
  /** By lower-case path: hub routes match in any letter case, as ASP.NET's do (Express routes already do). */
  private readonly endpoints = new Map<string, HubEndpoint>();
  private readonly shutdownGraceMs: number;

  constructor(options: HubHostOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? detachedMetrics();
    this.shutdownGraceMs = options.shutdownGraceMs ?? 5_000;
    this.app.disable('x-powered-by');
    // First, so that every answer gets them: routes, hubs, and the errors of both.
    this.app.use(securityHeaders(options.securityHeaders));
    // Before any route: a target no URL parser can read is refused with 400, not a 500.
    this.app.use(refuseUnreadableTarget);
    this.server.on('upgrade', (request, socket, head) => this.onUpgrade(request, socket, head));
  }

  mapHub(options: HubEndpointOptions): HubEndpoint {
    const endpoint = new HubEndpoint(options, this.logger, this.metrics);
    const key = endpoint.path.toLowerCase();
    if (this.endpoints.has(key)) throw new Error(`A hub is already mapped at '${endpoint.path}'.`);
    this.endpoints.set(key, endpoint);
    this.app.use(endpoint.router());
    return endpoint;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  /**
   * Graceful shutdown: every client gets Close with allowReconnect (so it reconnects, to another
   * node if there is one), then the server stops once they left or the grace period ran out.
   */
  async close(): Promise<void> {
    await Promise.all([...this.endpoints.values()].map((endpoint) => endpoint.shutdown()));
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const grace = setTimeout(() => {
      for (const endpoint of this.endpoints.values()) endpoint.terminateWebSockets();
      this.server.closeAllConnections();
    }, this.shutdownGraceMs);
    this.server.closeIdleConnections();
    await closed;
    clearTimeout(grace);
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const url = parseRequestTarget(request.url);
    if (!url) {
      rejectUpgrade(socket, 400, UNREADABLE_TARGET_DESCRIPTION);
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
