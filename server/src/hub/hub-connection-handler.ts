import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpConnection } from '../connections/http-connection.js';
import { readHandshakeRequest, writeHandshakeResponse } from '../protocol/handshake.js';
import { isVersionSupported, type HubProtocol } from '../protocol/hub-protocol.js';
import { MessageType, type ParsedMessage } from '../protocol/messages.js';
import { InvalidDataError, MessageTooLargeError } from '../protocol/protocol-error.js';
import { SerializedHubMessage } from '../lifetime/serialized-hub-message.js';
import { ErrorMessages, withErrorDetail } from './error-messages.js';
import { HubConnectionContext, NO_INBOUND_BYTES, type CloseOptions, type HubServices } from './hub-connection-context.js';
import { heartbeatVerdict } from './heartbeat-verdict.js';
import type { HubDispatcher } from './hub-dispatcher.js';
import type { HubUser } from './hub-definition.js';
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
    context.onReadingResumable = () => this.readOn(context);
    context.onUserRenewed = () => this.reindexByToken(context);
    this.connections.add(context);
    this.indexByToken(context);
    connection.attachApplication({
      onData: (data, isBinary) => this.onData(context, data, isBinary),
      onTransportClosed: () => void this.onTransportClosed(context),
      ...(context.statefulBuffer ? {
        onTransportLost: () => {
          // A message cut off with the old transport will be sent again whole, and so will the
          // ones held unread: they were not acknowledged.
          context.inbound = NO_INBOUND_BYTES;
          context.heldMessages = [];
          context.heldError = undefined;
        },
        onTransportRestored: () => this.resume(context),
      } : {}),
    });
  }

  /** Sends Close to every connection; with `allowReconnect` the official clients reconnect (to another node). */
  closeAll(options: CloseOptions): void {
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

  /** The connection's token changed (renewed, or a stateful connection resumed with a newer one): revocation follows the new id. */
  private reindexByToken(context: HubConnectionContext): void {
    this.unindexByToken(context);
    this.indexByToken(context);
  }

  /** Closes every connection that authenticated with `tokenId`; they may reconnect with another token. */
  closeConnectionsOfToken(tokenId: string, error: string): number {
    const contexts = [...(this.byTokenId.get(tokenId) ?? [])];
    for (const context of contexts) context.close({ error, allowReconnect: true });
    return contexts.length;
  }

  /** Closes every connection whose user `matches` (a scan: for rare events, such as a disabled organization). */
  closeWhere(matches: (user: HubUser) => boolean, error: string): number {
    const contexts = [...this.connections].filter((context) => context.user !== undefined && matches(context.user));
    for (const context of contexts) context.close({ error, allowReconnect: true });
    return contexts.length;
  }

  /** Closes one connection of this node with an error its client sees, telling it not to reconnect; false when it is not here. */
  closeConnection(connectionId: string, error: string): boolean {
    for (const context of this.connections) {
      if (context.connectionId !== connectionId) continue;
      context.close({ error });
      return true;
    }
    return false;
  }

  dispose(): void {
    clearInterval(this.heartbeat);
  }

  private onData(context: HubConnectionContext, data: Buffer, isBinary: boolean): void {
    context.receivedSinceHeartbeat = true;
    this.services.instruments.inbound.bytes.value += data.length;
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
            this.services.metrics.limitHit('handshake_size');
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
      if (input.length > maximumReceiveMessageSize) this.services.metrics.limitHit('handshake_size');
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
    context.counted = this.services.instruments.connectionOpened(context.transport, protocol.name);
    context.inbound = result.remaining.length > 0 ? Buffer.from(result.remaining) : NO_INBOUND_BYTES;
    context.httpConnection.send(writeHandshakeResponse());
    // In a frame of its own, as ASP.NET sends it: clients that read the handshake answer as the
    // whole first frame keep working; what follows may share frames. The frame leaves with the hub's
    // first messages (a connect hook's greeting) in one socket write: one system call per connect less.
    context.httpConnection.endFrame();
    context.sentSinceHeartbeat = true;
    context.startup = this.start(context);
  }

  private refuseHandshake(context: HubConnectionContext, error: string): void {
    context.logger.debug({ error }, 'handshake refused');
    context.httpConnection.send(writeHandshakeResponse(error));
    context.httpConnection.flush();
    context.close({});
  }

  private async start(context: HubConnectionContext): Promise<void> {
    try {
      await this.services.lifetimeManager.onConnected(context);
      await this.dispatcher.hub.onConnected?.(context);
      context.connectHookSucceeded = true;
    } catch (error) {
      context.logger.error({ err: error }, 'hub connect hook failed');
      context.close({ error: withErrorDetail(ErrorMessages.connectionClosedWithError, error, this.services.options.detailedErrors) });
      return;
    }
    if (context.phase !== 'starting') return;
    context.phase = 'ready';
    const pending = context.inbound;
    context.inbound = NO_INBOUND_BYTES;
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
    if (context.httpConnection.readingPaused) {
      // Frames the WebSocket had read before it was paused: kept as bytes, parsed once reading resumes.
      context.inbound = concat(context.inbound, data);
      return;
    }
    this.parseAndDispatch(context, protocol, concat(context.inbound, data));
  }

  private parseAndDispatch(context: HubConnectionContext, protocol: HubProtocol, input: Buffer): void {
    const { messages, remaining, error } = protocol.parseMessages(input, this.services.options.maximumReceiveMessageSize);
    // Copy, so that a small unfinished tail does not keep a large read buffer alive.
    context.inbound = remaining.length > 0 ? Buffer.from(remaining) : NO_INBOUND_BYTES;
    this.services.instruments.inbound.messages.value += messages.length;
    this.dispatchAll(context, messages, error);
  }

  /**
   * Dispatches messages in order; messages before an unreadable one are still dispatched, as
   * ASP.NET reads them one by one. When one fills a client stream's buffer or the queue of
   * waiting calls, the rest wait, and the transport stops reading, until there is room (`readOn`).
   */
  private dispatchAll(context: HubConnectionContext, messages: readonly ParsedMessage[], error: Error | undefined): void {
    for (let index = 0; index < messages.length; index++) {
      if (context.phase !== 'ready') return;
      const message = messages[index] as ParsedMessage;
      if (context.statefulBuffer && !this.acceptStateful(context, context.statefulBuffer, message)) continue;
      this.dispatcher.dispatch(context, message);
      if (context.readingPaused) {
        context.heldMessages = messages.slice(index + 1);
        context.heldError = error;
        return;
      }
    }
    if (error) throw error;
  }

  /** A hub method made room (read a stream item, or a call ended): dispatch what waited, then read the transport again. */
  private readOn(context: HubConnectionContext): void {
    if (context.phase !== 'ready' || context.readingPaused) return;
    try {
      const held = context.heldMessages;
      const heldError = context.heldError;
      context.heldMessages = [];
      context.heldError = undefined;
      this.dispatchAll(context, held, heldError);
      // Then what arrived while paused, then new data from the transport.
      if (!context.readingPaused && context.phase === 'ready' && context.inbound.length > 0 && context.protocol) {
        this.parseAndDispatch(context, context.protocol, context.inbound);
      }
      if (!context.readingPaused && context.phase === 'ready') context.httpConnection.resumeReading();
    } catch (error) {
      this.closeWithError(context, error);
    }
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
    this.reindexByToken(context);
    context.inbound = NO_INBOUND_BYTES;
    context.lastReceivedAt = Date.now();
    const { sequenceId, payloads } = statefulBuffer.resend();
    context.httpConnection.send(protocol.writeMessage({ type: MessageType.Sequence, sequenceId }));
    const text = protocol.transferFormat === 'Text';
    for (const payload of payloads) context.httpConnection.send(payload, text);
    context.sentSinceHeartbeat = true;
    context.logger.debug({ resent: payloads.length }, 'stateful connection resumed');
  }

  private closeWithError(context: HubConnectionContext, error: unknown): void {
    if (error instanceof InvalidDataError) {
      if (error instanceof MessageTooLargeError) this.services.metrics.limitHit('message_size');
      context.logger.debug({ reason: error.message }, 'closing connection after invalid data');
      const close = (): void => context.close({ error: `${ErrorMessages.connectionClosedWithError} ${error.name}: ${error.message}` });
      if (context.phase !== 'ready') return close();
      // As ASP.NET, which handles messages one after another: calls that arrived before the bad
      // input still answer, then the connection closes (bounded, in case a call never ends).
      context.stopReading();
      void Promise.race([context.invocations.idle(), sleep(DRAIN_TIMEOUT_MS)]).then(close);
      return;
    }
    context.logger.error({ err: error }, 'unexpected error reading from connection');
    context.close({ error: withErrorDetail(ErrorMessages.connectionClosedWithError, error, this.services.options.detailedErrors) });
  }

  private async onTransportClosed(context: HubConnectionContext): Promise<void> {
    context.markClosed();
    this.connections.delete(context);
    this.unindexByToken(context);
    if (context.counted) this.services.instruments.connectionClosed(context.counted, context.closeStatus ?? 'normal_closure');
    context.counted = undefined;
    if (!context.startup) return;
    await context.startup;
    try {
      // As ASP.NET: a connection whose connect hook failed never gets the disconnect hook.
      if (context.connectHookSucceeded) await this.dispatcher.hub.onDisconnected?.(context, undefined);
    } catch (error) {
      context.logger.error({ err: error }, 'hub disconnect hook failed');
    }
    try {
      await this.services.lifetimeManager.onDisconnected(context);
    } catch (error) {
      context.logger.error({ err: error }, 'lifetime manager failed to forget a connection');
    }
  }

  private onHeartbeat(): void {
    const now = Date.now();
    const { clientTimeoutMs } = this.services.options;
    for (const context of this.connections) {
      if (context.receivedSinceHeartbeat) {
        context.lastReceivedAt = now;
        context.receivedSinceHeartbeat = false;
      }
      if (context.sentSinceHeartbeat) {
        context.lastSentAt = now;
        context.sentSinceHeartbeat = false;
      }
      // While the server itself does not read (a full client stream or call queue), the
      // client's pings cannot be heard: its silence does not count until reading resumes.
      if (context.httpConnection.readingPaused) context.lastReceivedAt = now;
      const verdict = heartbeatVerdict({
        handshaking: context.phase === 'handshake',
        openedAt: context.openedAt,
        lastReceivedAt: context.lastReceivedAt,
        lastSentAt: context.lastSentAt,
        tokenExpiresAt: context.user?.expiresAt,
        inherentKeepAlive: context.httpConnection.hasInherentKeepAlive,
      }, now, this.services.options);
      if (context.phase === 'handshake') {
        if (verdict === 'handshake-timed-out') this.refuseHandshake(context, ErrorMessages.handshakeCanceled);
        continue;
      }
      if (context.phase !== 'ready') continue;
      // A stateful connection waiting for its client is judged when it is back (or its window ends).
      if (context.httpConnection.state === 'disconnected') continue;
      const acknowledgement = context.statefulBuffer?.takeAcknowledgement();
      if (acknowledgement !== undefined && context.protocol) {
        context.httpConnection.send(context.protocol.writeMessage({ type: MessageType.Ack, sequenceId: acknowledgement }));
      }
      switch (verdict) {
        case 'token-expired':
          // Clients reconnect through their token factory, with a fresh token.
          context.close({ error: 'The access token expired.', allowReconnect: true });
          break;
        case 'client-timed-out':
          context.close({ error: `Client timeout (${clientTimeoutMs}ms) elapsed without receiving a message from the client.`, status: 'timeout' });
          break;
        case 'ping':
          context.write(PING);
          context.lastSentAt = now;
          context.sentSinceHeartbeat = false;
          break;
        default:
          break;
      }
    }
  }
}

function concat(head: Buffer, tail: Buffer): Buffer {
  return head.length === 0 ? tail : Buffer.concat([head, tail]);
}
