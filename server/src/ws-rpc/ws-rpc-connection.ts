import { WsCloseCode, WsRpcNotification, type ResyncNotice, type TradeEnvelope } from '@tradehub/shared';
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import type { Principal } from '../auth/principal.js';
import { OutboundBudget } from '../hub/outbound-budget.js';
import type { JsonRpcDispatcher } from '../json-rpc/json-rpc-dispatcher.js';
import type { TradehubMetrics } from '../observability/metrics.js';
import type { CounterCell } from '../observability/counter-cells.js';
import { deliveringConsumer, type ConnectionConsumer } from '../trade/connection-consumer.js';
import type { TradeService } from '../trade/trade-service.js';
import { WsRpcCall } from './ws-rpc-call.js';

export interface WsRpcLimits {
  /** Messages whose answer is not written yet; at this many the socket is not read further. */
  readonly maxInFlight: number;
  /** Bytes waiting to be sent to a client above which it is closed as too slow (beside the largest message). */
  readonly maxBufferedBytes: number;
  /** A ping every this often; a peer that answered nothing for two of them is cut off. */
  readonly pingIntervalMs: number;
}

export interface WsRpcServices {
  readonly dispatcher: JsonRpcDispatcher<WsRpcCall>;
  readonly trade: TradeService;
  readonly limits: WsRpcLimits;
  readonly logger: Logger;
  readonly metrics: TradehubMetrics;
  /** Where closes of clients too slow to read are counted (`endpoint="ws"`). */
  readonly slowConsumerCloses: CounterCell;
}

/** Messages read while the socket pauses (already in ws's buffer), per allowed in-flight message; past that the client is flooding. */
const QUEUED_PER_IN_FLIGHT = 64;
/** Bytes of such messages; past that too. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** A closed socket whose peer does not finish the closing handshake is cut off after this long. */
const CLOSE_HANDSHAKE_MS = 1_000;
/** The longest setTimeout Node honours; a later expiry is checked again after it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Each notification is serialized once for all the sockets it goes to. */
const notifications = new WeakMap<object, string>();

function notificationText(method: string, params: TradeEnvelope | ResyncNotice): string {
  let text = notifications.get(params);
  if (text === undefined) {
    text = JSON.stringify({ jsonrpc: '2.0', method, params });
    notifications.set(params, text);
  }
  return text;
}

/**
 * One `/ws` socket: JSON-RPC messages in text frames, answered in frames of their own; the
 * caller's subscriptions arrive as `event` and `resync` notifications. It lives as long as its
 * token: expiry and revocation close it, as do a client that stops answering pings or does not
 * read what it is sent.
 */
export class WsRpcConnection {
  readonly consumer: ConnectionConsumer;
  private readonly aborted = new AbortController();
  private readonly outbound: OutboundBudget;
  private readonly waiting: string[] = [];
  private waitingBytes = 0;
  private inFlight = 0;
  private heardSincePing = true;
  private readonly pingTimer: ReturnType<typeof setInterval>;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly socket: WebSocket,
    readonly principal: Principal,
    private readonly services: WsRpcServices,
    onClosed: (connection: WsRpcConnection) => void,
  ) {
    this.outbound = new OutboundBudget(services.limits.maxBufferedBytes);
    this.consumer = deliveringConsumer({
      get bufferedBytes() { return socket.bufferedAmount; },
      writeEvent: (envelope) => this.send(notificationText(WsRpcNotification.Event, envelope)),
      writeResync: (notice) => this.send(notificationText(WsRpcNotification.Resync, notice)),
    }, services.trade.conflation);
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('pong', () => { this.heardSincePing = true; });
    // ws reports a client's protocol errors (a frame over the limit: it closes with 1009) here;
    // listening also keeps them from being thrown.
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') services.metrics.limitHit('message_size');
      this.cutOffLater();
    });
    socket.on('close', () => {
      clearInterval(this.pingTimer);
      clearTimeout(this.expiryTimer);
      this.aborted.abort();
      this.waiting.length = 0;
      this.waitingBytes = 0;
      void services.trade.disconnect(this.consumer);
      onClosed(this);
    });
    this.pingTimer = setInterval(() => this.ping(), services.limits.pingIntervalMs);
    this.pingTimer.unref();
    this.watchExpiry();
  }

  /** Bytes waiting to be sent to the client (what `maxBufferedBytes` bounds). */
  get bufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  /** Closes the socket with `code` and `reason`, and cuts it off if the client does not finish the handshake soon. */
  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(code, reason);
    this.cutOffLater();
  }

  terminate(): void {
    this.socket.terminate();
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.heardSincePing = true;
    if (isBinary) {
      this.close(WsCloseCode.UnsupportedData, 'Binary frames are not accepted: send JSON-RPC messages as text.');
      return;
    }
    const text = (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
    if (this.inFlight < this.services.limits.maxInFlight) {
      this.run(text);
      return;
    }
    // Frames ws had read before the socket paused still arrive; a flood beyond them is refused.
    if (this.waiting.length >= this.services.limits.maxInFlight * QUEUED_PER_IN_FLIGHT || this.waitingBytes + text.length > MAX_QUEUED_BYTES) {
      this.close(WsCloseCode.TooManyRequests, 'Too many requests waiting for an answer: wait for answers before sending more.');
      return;
    }
    this.waiting.push(text);
    this.waitingBytes += text.length;
  }

  private run(text: string): void {
    this.inFlight++;
    if (this.inFlight >= this.services.limits.maxInFlight) this.socket.pause();
    const call = new WsRpcCall(this.principal, this.consumer, this.aborted.signal);
    this.services.dispatcher.handle(text, call).then((answer) => {
      if (answer !== undefined) this.send(JSON.stringify(answer));
    }, (error: unknown) => {
      this.services.logger.error({ err: error }, '/ws message failed');
    }).finally(() => {
      // Held live events of a subscription go out now, behind its answer.
      call.completed();
      this.inFlight--;
      const next = this.waiting.shift();
      if (next !== undefined) {
        this.waitingBytes -= next.length;
        this.run(next);
      }
      else if (this.inFlight < this.services.limits.maxInFlight && this.socket.isPaused) this.socket.resume();
    });
  }

  private send(text: string): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (!this.outbound.admit(this.socket.bufferedAmount, Buffer.byteLength(text))) {
      this.services.metrics.limitHit('outbound_buffer');
      this.services.slowConsumerCloses.value++;
      this.close(WsCloseCode.TooSlow, 'The client did not read its messages fast enough.');
      return;
    }
    this.socket.send(text);
  }

  private ping(): void {
    if (!this.heardSincePing) {
      this.services.logger.info({ subject: this.principal.id }, 'closing /ws: the peer stopped answering pings');
      this.socket.terminate();
      return;
    }
    this.heardSincePing = false;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }

  private watchExpiry(): void {
    const expiresAt = this.principal.expiresAt;
    if (expiresAt === undefined) return;
    const left = expiresAt - Date.now();
    if (left <= 0) {
      this.close(WsCloseCode.TokenExpired, 'The access token expired.');
      return;
    }
    this.expiryTimer = setTimeout(() => this.watchExpiry(), Math.min(left, MAX_TIMER_MS));
    this.expiryTimer.unref();
  }

  private cutOffLater(): void {
    setTimeout(() => this.socket.terminate(), CLOSE_HANDSHAKE_MS).unref();
  }
}
