import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WS_RPC_PATH, WsCloseCode } from '@tradehub/shared';
import { Router } from 'express';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Authenticator } from '../auth/authenticator.js';
import { readBearerCredentials } from '../auth/bearer-token.js';
import { authFailureAnswer } from '../auth/http-auth.js';
import type { Principal } from '../auth/principal.js';
import type { ConnectionRegistry, LostAccess } from '../connections/connection-registry.js';
import { rejectUpgrade } from '../connections/upgrade-rejection.js';
import type { MappedEndpoint } from '../http/hub-host.js';
import { JsonRpcDispatcher, MAX_JSON_RPC_MESSAGE_BYTES, type JsonRpcMethod } from '../json-rpc/json-rpc-dispatcher.js';
import type { TradehubMetrics } from '../observability/metrics.js';
import type { CounterCell } from '../observability/counter-cells.js';
import type { TradeService } from '../trade/trade-service.js';
import type { WsRpcCall } from './ws-rpc-call.js';
import { WsRpcConnection, type WsRpcLimits } from './ws-rpc-connection.js';

export interface WsRpcEndpointOptions {
  authenticator: Authenticator;
  /** `wsRpcMethods`: the shared table and the subscriptions. */
  methods: Record<string, JsonRpcMethod<WsRpcCall>>;
  trade: TradeService;
  limits: WsRpcLimits;
}

/**
 * `/ws`: JSON-RPC 2.0 over a plain WebSocket, for scripts of the terminal-gateway model. The
 * token is checked at the upgrade (the `Authorization: Bearer` header or the `access_token`
 * query, not both); a refused one is answered in HTTP, as on the hub endpoints.
 */
export class WsRpcEndpoint implements MappedEndpoint, ConnectionRegistry {
  readonly path = WS_RPC_PATH;
  private readonly webSockets = new WebSocketServer({ noServer: true, maxPayload: MAX_JSON_RPC_MESSAGE_BYTES });
  private readonly open = new Set<WsRpcConnection>();
  private readonly dispatcher: JsonRpcDispatcher<WsRpcCall>;
  private closing = false;

  private readonly slowConsumerCloses: CounterCell;

  constructor(private readonly options: WsRpcEndpointOptions, private readonly logger: Logger, private readonly metrics: TradehubMetrics) {
    this.dispatcher = new JsonRpcDispatcher(options.methods, logger);
    this.slowConsumerCloses = metrics.hubs.slowConsumerCloses.cell({ endpoint: 'ws' });
  }

  /** Open sockets on this node. */
  get connectionCount(): number {
    return this.open.size;
  }

  /** Bytes waiting to be sent to this node's `/ws` clients, all sockets together. */
  get bufferedBytes(): number {
    let total = 0;
    for (const connection of this.open) total += connection.bufferedBytes;
    return total;
  }

  /** A plain HTTP request at the path is told to upgrade. */
  router(): Router {
    const router = Router();
    router.all(this.path, (_req, res) => {
      res.status(426).set({ Upgrade: 'websocket', Connection: 'Upgrade' }).type('text/plain')
        .send('Upgrade Required: /ws speaks JSON-RPC 2.0 over a WebSocket.');
    });
    return router;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    if (this.closing) {
      rejectUpgrade(socket, 503, 'The server is shutting down.');
      return;
    }
    this.authenticate(request, url).then((principal) => {
      this.webSockets.handleUpgrade(request, socket, head, (webSocket) => {
        if (this.closing) {
          webSocket.close(WsCloseCode.GoingAway, 'The server is shutting down.');
          return;
        }
        // Every line about the socket names it.
        const logger = this.logger.child({ connectionId: randomUUID() });
        const services = { ...this.options, dispatcher: this.dispatcher, logger, metrics: this.metrics, slowConsumerCloses: this.slowConsumerCloses };
        this.open.add(new WsRpcConnection(webSocket, principal, services, (closed) => this.open.delete(closed)));
      });
    }, (error: unknown) => {
      const answer = authFailureAnswer(error);
      if (!answer) {
        this.logger.error({ err: error }, '/ws authentication failed unexpectedly');
        rejectUpgrade(socket, 500, 'Authentication failed.');
        return;
      }
      // The reason, never the token nor the URL (its query may hold the token).
      this.logger.info({ endpoint: this.path, status: answer.status, reason: (error as Error).message }, 'authentication refused');
      rejectUpgrade(socket, answer.status, answer.body?.error_description ?? '', answer.headers);
    });
  }

  /** Closes the sockets of a token that was just revoked. */
  /** Closes (4003) the sockets whose principal lost access: a revoked token, device, account or organization. */
  closeLost(lost: LostAccess): number {
    const sockets = [...this.open].filter((connection) => lost.matches(connection.principal));
    for (const connection of sockets) connection.close(WsCloseCode.TokenRevoked, lost.reason);
    return sockets.length;
  }

  /** Tells every client the server is going away (1001): they reconnect, to another node when there is one. */
  async shutdown(): Promise<void> {
    this.closing = true;
    for (const connection of this.open) connection.close(WsCloseCode.GoingAway, 'The server is shutting down.');
  }

  terminateWebSockets(): void {
    for (const connection of this.open) connection.terminate();
  }

  private async authenticate(request: IncomingMessage, url: URL): Promise<Principal> {
    const { token, deviceId } = readBearerCredentials(request.headers, url.searchParams, true);
    return this.options.authenticator.authenticate(token, deviceId);
  }
}
