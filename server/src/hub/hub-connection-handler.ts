import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpConnection } from '../connections/http-connection.js';
import { readHandshakeRequest, writeHandshakeResponse } from '../protocol/handshake.js';
import { isVersionSupported, type HubProtocol } from '../protocol/hub-protocol.js';
import { MessageType, type ParsedMessage } from '../protocol/messages.js';
import { InvalidDataError } from '../protocol/protocol-error.js';
import { SerializedHubMessage } from '../lifetime/serialized-hub-message.js';
import { ErrorMessages, withErrorDetail } from './error-messages.js';
import { HubConnectionContext, type HubServices } from './hub-connection-context.js';
import type { HubDispatcher } from './hub-dispatcher.js';
import type { StatefulMessageBuffer } from './stateful-message-buffer.js';
import { addToIndex, removeFromIndex } from '../collections/set-index.js';

const PING = new SerializedHubMessage({ type: MessageType.Ping });
/** Longest wait for calls received before unreadable input, before the connection closes anyway. */
const DRAIN_TIMEOUT_MS = 2_000;

/**
 * Runs the hub side of every connection of one hub: handshake, reading and dispatching
 * messages, keep-alive pings, time-outs, and the hub's connect and disconnect hooks.
 */
export class HubConnectionHandler {
  private readonly connections = new Set<HubConnectionContext>();
  /** Connections by the id of the token they authenticated with, for revocation. */
  private readonly byTokenId = new Map<string, Set<HubConnectionContext>>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly protocols: ReadonlyMap<string, HubProtocol>,
    private readonly dispatcher: HubDispatcher,
    private readonly services: HubServices,
  ) {
    const { keepAliveIntervalMs, clientTimeoutMs, handshakeTimeoutMs } = services.options;
    // One timer for all connections; its period bounds how late a ping or time-out can be.
    const period = Math.max(10, Math.min(1000, keepAliveIntervalMs / 4, clientTimeoutMs / 4, handshakeTimeoutMs / 4));
    this.heartbeat = setInterval(() => this.onHeartbeat(), period);
    this.heartbeat.unref();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  onConnected(connection: HttpConnection): void {
    const context = new HubConnectionContext(connection, this.services);
    this.connections.add(context);
    this.indexByToken(context);
    connection.attachApplication({
      onData: (data, isBinary) => this.onData(context, data, isBinary),
      onTransportClosed: () => void this.onTransportClosed(context),
      ...(context.statefulBuffer ? {
        onTransportLost: () => {
          // A message cut off with the old transport will be sent again whole.
          context.inbound = Buffer.alloc(0);
        },
        onTransportRestored: () => this.resume(context),
      } : {}),
    });
  }

  /** Sends Close to every connection; with `allowReconnect` the official clients reconnect (to another node). */
  closeAll(options: { error?: string; allowReconnect?: boolean }): void {
    for (const context of this.connections) context.close(options);
  }

  private indexByToken(context: HubConnectionContext): void {
    context.indexedTokenId = context.user?.tokenId;
    if (context.indexedTokenId !== undefined) addToIndex(this.byTokenId, context.indexedTokenId, context);
  }

  private unindexByToken(context: HubConnectionContext): void {
    if (context.indexedTokenId !== undefined) removeFromIndex(this.byTokenId, context.indexedTokenId, context);
    context.indexedTokenId = undefined;
  }

  /** Closes every connection that authenticated with `tokenId`; they may reconnect with another token. */
  closeConnectionsOfToken(tokenId: string, error: string): number {
    const contexts = [...(this.byTokenId.get(tokenId) ?? [])];
    for (const context of contexts) context.close({ error, allowReconnect: true });
    return contexts.length;
  }

  dispose(): void {
    clearInterval(this.heartbeat);
  }

  private onData(context: HubConnectionContext, data: Buffer, isBinary: boolean): void {
    context.receivedSinceHeartbeat = true;
    try {
      switch (context.phase) {
        case 'handshake':
          this.readHandshake(context, concat(context.inbound, data));
          return;
        case 'starting':
          // Messages that arrive while the hub's connect hook runs wait for it, in order.
          this.checkTransferFormat(context, isBinary);
          context.inbound = concat(context.inbound, data);
          if (context.inbound.length > 4 * this.services.options.maximumReceiveMessageSize) {
            throw new InvalidDataError('Too much data received before the connection was ready.');
          }
          return;
        case 'ready':
          this.readMessages(context, data, isBinary);
          return;
        case 'draining':
        case 'closed':
          return;
      }
    } catch (error) {
      this.closeWithError(context, error);
    }
  }

  private readHandshake(context: HubConnectionContext, input: Buffer): void {
    const { maximumReceiveMessageSize } = this.services.options;
    let result;
    try {
      result = readHandshakeRequest(input, maximumReceiveMessageSize);
    } catch (error) {
      this.refuseHandshake(context, withErrorDetail(ErrorMessages.handshakeFailed, error, true));
      return;
    }
    if (!result.complete) {
      context.inbound = Buffer.from(input);
      return;
    }
    const { protocol: name, version } = result.request;
    const protocol = this.protocols.get(name);
    if (!protocol) return this.refuseHandshake(context, ErrorMessages.protocolNotSupported(name));
    if (!isVersionSupported(protocol, version)) return this.refuseHandshake(context, ErrorMessages.versionNotSupported(name, version));
    if (protocol.transferFormat === 'Binary' && !context.httpConnection.supportsBinary) {
      return this.refuseHandshake(context, ErrorMessages.transferFormatNotSupported(name, protocol.transferFormat));
    }
    context.protocol = protocol;
    context.phase = 'starting';
    context.inbound = Buffer.from(result.remaining);
    context.httpConnection.send(writeHandshakeResponse());
    context.sentSinceHeartbeat = true;
    context.startup = this.start(context);
  }

  private refuseHandshake(context: HubConnectionContext, error: string): void {
    this.services.logger.debug({ connectionId: context.connectionId, error }, 'handshake refused');
    context.httpConnection.send(writeHandshakeResponse(error));
    context.close({});
  }

  private async start(context: HubConnectionContext): Promise<void> {
    try {
      await this.services.lifetimeManager.onConnected(context);
      await this.dispatcher.hub.onConnected?.(context);
      context.connectHookSucceeded = true;
    } catch (error) {
      this.services.logger.error({ connectionId: context.connectionId, err: error }, 'hub connect hook failed');
      context.close({ error: withErrorDetail(ErrorMessages.connectionClosedWithError, error, this.services.options.detailedErrors) });
      return;
    }
    if (context.phase !== 'starting') return;
    context.phase = 'ready';
    const pending = context.inbound;
    context.inbound = Buffer.alloc(0);
    if (pending.length > 0) this.onData(context, pending, false);
  }

  private checkTransferFormat(context: HubConnectionContext, isBinary: boolean): void {
    const protocol = context.protocol;
    if (isBinary && protocol?.transferFormat === 'Text') {
      throw new InvalidDataError(`Binary data was received on a connection using the text-based '${protocol.name}' protocol.`);
    }
  }

  private readMessages(context: HubConnectionContext, data: Buffer, isBinary: boolean): void {
    const protocol = context.protocol;
    if (!protocol) return;
    this.checkTransferFormat(context, isBinary);
    const { messages, remaining, error } = protocol.parseMessages(concat(context.inbound, data), this.services.options.maximumReceiveMessageSize);
    // Copy, so that a small unfinished tail does not keep a large read buffer alive.
    context.inbound = remaining.length > 0 ? Buffer.from(remaining) : Buffer.alloc(0);
    // Messages before an unreadable one are still dispatched, as ASP.NET reads them one by one.
    for (const message of messages) {
      if (context.phase !== 'ready') return;
      if (context.statefulBuffer && !this.acceptStateful(context, context.statefulBuffer, message)) continue;
      this.dispatcher.dispatch(context, message);
    }
    if (error) throw error;
  }

  /** Stateful reconnect bookkeeping of an incoming message; false when it is not to be dispatched. */
  private acceptStateful(context: HubConnectionContext, buffer: StatefulMessageBuffer, message: ParsedMessage): boolean {
    switch (message.type) {
      case MessageType.Ack:
        buffer.acknowledged(message.sequenceId);
        return false;
      case MessageType.Sequence:
        // Messages are numbered from 1: a lower id would make the hub drop the client's next
        // messages as repeats, without a word.
        if (message.sequenceId < 1) {
          context.close({ error: `${ErrorMessages.connectionClosedWithError} InvalidDataException: Sequence ID must be at least 1.` });
        } else if (!buffer.resumeReceivingAt(message.sequenceId)) {
          context.close({ error: `${ErrorMessages.connectionClosedWithError} InvalidDataException: Sequence ID greater than amount of messages we've received.` });
        }
        return false;
      case 'invalid':
        // An unreadable invocation was still numbered by the client.
        return buffer.received(MessageType.Invocation);
      default:
        return buffer.received(message.type);
    }
  }

  /** The client of a stateful connection came back: say where our resend starts, then send again what it lacks. */
  private resume(context: HubConnectionContext): void {
    const { protocol, statefulBuffer } = context;
    if (!protocol || !statefulBuffer) return;
    // It came back with the token of its new request: expiry, scopes and revocation follow that one.
    this.unindexByToken(context);
    this.indexByToken(context);
    context.inbound = Buffer.alloc(0);
    context.lastReceivedAt = Date.now();
    const { sequenceId, payloads } = statefulBuffer.resend();
    context.httpConnection.send(protocol.writeMessage({ type: MessageType.Sequence, sequenceId }));
    for (const payload of payloads) context.httpConnection.send(payload);
    context.sentSinceHeartbeat = true;
    this.services.logger.debug({ connectionId: context.connectionId, resent: payloads.length }, 'stateful connection resumed');
  }

  private closeWithError(context: HubConnectionContext, error: unknown): void {
    if (error instanceof InvalidDataError) {
      this.services.logger.debug({ connectionId: context.connectionId, reason: error.message }, 'closing connection after invalid data');
      const close = (): void => context.close({ error: `${ErrorMessages.connectionClosedWithError} ${error.name}: ${error.message}` });
      if (context.phase !== 'ready') return close();
      // As ASP.NET, which handles messages one after another: calls that arrived before the bad
      // input still answer, then the connection closes (bounded, in case a call never ends).
      context.stopReading();
      void Promise.race([context.invocations.idle(), sleep(DRAIN_TIMEOUT_MS)]).then(close);
      return;
    }
    this.services.logger.error({ connectionId: context.connectionId, err: error }, 'unexpected error reading from connection');
    context.close({ error: withErrorDetail(ErrorMessages.connectionClosedWithError, error, this.services.options.detailedErrors) });
  }

  private async onTransportClosed(context: HubConnectionContext): Promise<void> {
    context.markClosed();
    this.connections.delete(context);
    this.unindexByToken(context);
    if (!context.startup) return;
    await context.startup;
    try {
      // As ASP.NET: a connection whose connect hook failed never gets the disconnect hook.
      if (context.connectHookSucceeded) await this.dispatcher.hub.onDisconnected?.(context, undefined);
    } catch (error) {
      this.services.logger.error({ connectionId: context.connectionId, err: error }, 'hub disconnect hook failed');
    }
    try {
      await this.services.lifetimeManager.onDisconnected(context);
    } catch (error) {
      this.services.logger.error({ connectionId: context.connectionId, err: error }, 'lifetime manager failed to forget a connection');
    }
  }

  private onHeartbeat(): void {
    const now = Date.now();
    const { keepAliveIntervalMs, clientTimeoutMs, handshakeTimeoutMs } = this.services.options;
    for (const context of this.connections) {
      if (context.receivedSinceHeartbeat) {
        context.lastReceivedAt = now;
        context.receivedSinceHeartbeat = false;
      }
      if (context.sentSinceHeartbeat) {
        context.lastSentAt = now;
        context.sentSinceHeartbeat = false;
      }
      if (context.phase === 'handshake') {
        if (now - context.openedAt >= handshakeTimeoutMs) this.refuseHandshake(context, ErrorMessages.handshakeCanceled);
        continue;
      }
      if (context.phase !== 'ready') continue;
      // A stateful connection waiting for its client is judged when it is back (or its window ends).
      if (context.httpConnection.state === 'disconnected') continue;
      const acknowledgement = context.statefulBuffer?.takeAcknowledgement();
      if (acknowledgement !== undefined && context.protocol) {
        context.httpConnection.send(context.protocol.writeMessage({ type: MessageType.Ack, sequenceId: acknowledgement }));
      }
      const expiresAt = context.user?.expiresAt;
      if (expiresAt !== undefined && now >= expiresAt) {
        // Clients reconnect through their token factory, with a fresh token.
        context.close({ error: 'The access token expired.', allowReconnect: true });
        continue;
      }
      if (now - context.lastReceivedAt >= clientTimeoutMs) {
        context.close({ error: `Client timeout (${clientTimeoutMs}ms) elapsed without receiving a message from the client.` });
        continue;
      }
      if (now - context.lastSentAt >= keepAliveIntervalMs) {
        context.write(PING);
        context.lastSentAt = now;
        context.sentSinceHeartbeat = false;
      }
    }
  }
}

function concat(head: Buffer, tail: Buffer): Buffer {
  return head.length === 0 ? tail : Buffer.concat([head, tail]);
}
