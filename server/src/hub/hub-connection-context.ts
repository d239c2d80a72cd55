import type { Logger } from 'pino';
import type { HttpConnection } from '../connections/http-connection.js';
import type { HubHttpRequest } from '../connections/connection-request.js';
import type { TransportType } from '../connections/transport.js';
import type { HubConnectionSink, HubLifetimeManager } from '../lifetime/hub-lifetime-manager.js';
import { SerializedHubMessage } from '../lifetime/serialized-hub-message.js';
import type { HubProtocol } from '../protocol/hub-protocol.js';
import { MessageType, type HubMessage, type ParsedMessage } from '../protocol/messages.js';
import type { TradehubMetrics } from '../observability/metrics.js';
import type { ConnectionCloseStatus, CountedConnection, HubInstruments } from '../observability/hub-metrics.js';
import { HubError } from './hub-error.js';
import type { HubConnectionHookContext, HubUser } from './hub-definition.js';
import { hubCallerClients, type GroupManager, type HubCallerClients, type HubClients } from './hub-clients.js';
import { ClientStreamError } from './client-stream.js';
import { ClientStreamTracker } from './client-stream-tracker.js';
import { ClientResults } from './client-results.js';
import { OutboundBudget } from './outbound-budget.js';
import { StatefulMessageBuffer } from './stateful-message-buffer.js';
import { InvocationQueue } from './invocation-queue.js';
import type { HubOptions } from './hub-options.js';
import type { StreamOutlet } from './stream-pump.js';

/** `draining`: no more input is read; calls already received finish before the connection closes. */
export type HubConnectionPhase = 'handshake' | 'starting' | 'ready' | 'draining' | 'closed';

export interface CloseOptions {
  error?: string;
  allowReconnect?: boolean;
  /** For the connection duration metric; `error` when an error is given, `normal_closure` otherwise. */
  status?: ConnectionCloseStatus;
}

/** Services of a hub that every one of its connections shares. */
export interface HubServices {
  readonly lifetimeManager: HubLifetimeManager;
  readonly clients: HubClients;
  readonly groups: GroupManager;
  readonly options: HubOptions;
  readonly logger: Logger;
  readonly metrics: TradehubMetrics;
  /** The hub's own instruments, their series bound once. */
  readonly instruments: HubInstruments;
}

/** What a connection holds of unread input when it holds none: one shared empty buffer, not one allocated per read. */
export const NO_INBOUND_BYTES = Buffer.alloc(0);

/**
 * The reason `connectionAborted` gives: one shared AbortError, since a DOMException made per
 * closing connection (its stack captured) showed in the profile of a 10k reconnect storm.
 */
const CONNECTION_CLOSED = new DOMException('The connection closed.', 'AbortError');

/** The hub's view of one connection: protocol, timers' bookkeeping, pending calls, and the context hub code sees. */
export class HubConnectionContext implements HubConnectionSink, HubConnectionHookContext, StreamOutlet {
  phase: HubConnectionPhase = 'handshake';
  protocol: HubProtocol | undefined;
  /** Bytes of a message that has not fully arrived yet, or, while reading is paused, received and not yet parsed. */
  inbound: Buffer = NO_INBOUND_BYTES;
  /**
   * Messages parsed from the same read as the one that paused reading (it filled a client stream's
   * buffer or the queue of waiting calls), waiting for reading to resume: one read's worth at most
   * (a WebSocket frame or a POST body), since nothing more is parsed meanwhile.
   */
  heldMessages: ParsedMessage[] = [];
  /** An unreadable message found after the held ones: it closes the connection once they are dispatched. */
  heldError: Error | undefined;
  /** Whether a full client stream buffer or call queue paused reading; the transport resumes only once the held messages are dispatched. */
  readingPaused = false;
  /** Set by the handler: dispatches what waited, then reads on, once a hub method made room. */
  onReadingResumable: (() => void) | undefined;
  readonly openedAt = Date.now();
  lastSentAt = Date.now();
  lastReceivedAt = Date.now();
  /** Set once the handshake succeeded: what the connection is counted under in the metrics. */
  counted: CountedConnection | undefined;
  /** Why the connection ended, for the metrics: the first reason given wins. */
  closeStatus: ConnectionCloseStatus | undefined;
  private connectionLogger: Logger | undefined;
  /** Set on each send and receive; the heartbeat turns them into timestamps, so the hot path reads no clock. */
  sentSinceHeartbeat = false;
  receivedSinceHeartbeat = false;
  // Created on first use, like the other per-call collections below: an idle connection is
  // most connections, and its memory is what a node's capacity is counted in.
  private itemsMap: Map<string, unknown> | undefined;
  private pendingIds: Set<string> | undefined;
  readonly clientResults: ClientResults;
  /** When a client that does not read has too much waiting for it. */
  private readonly outbound: OutboundBudget;
  /** Set for connections that negotiated stateful reconnect. */
  readonly statefulBuffer: StatefulMessageBuffer | undefined;
  /** Settles when the connect hooks have run; disconnect hooks wait for it. Unset until the handshake succeeds. */
  startup: Promise<void> | undefined;
  /** Whether the hub's connect hook ran to the end: only then does its disconnect hook run. */
  connectHookSucceeded = false;
  readonly invocations: InvocationQueue;
  /** Client-to-server streams being received. */
  readonly clientStreams: ClientStreamTracker;
  private serverStreamsMap: Map<string, AbortController> | undefined;
  private abortController: AbortController | undefined;
  private callerClients: HubCallerClients | undefined;
  /** The token id the handler indexed this connection under, for revocation. */
  indexedTokenId: string | undefined;
  /** Set by the handler: indexes the connection under its current token's id again, once the token was renewed. */
  onUserRenewed: (() => void) | undefined;

  constructor(
    readonly httpConnection: HttpConnection,
    private readonly services: HubServices,
  ) {
    this.clientResults = new ClientResults(services.options.clientResultTimeoutMs);
    this.outbound = new OutboundBudget(services.options.maximumBufferedBytesPerClient);
    // The official clients use stateful reconnect on WebSockets only.
    this.statefulBuffer = httpConnection.statefulReconnect && httpConnection.transportType === 'WebSockets'
      ? new StatefulMessageBuffer(services.options.statefulReconnectBufferBytes)
      : undefined;
    this.invocations = new InvocationQueue(
      services.options.maximumParallelInvocationsPerClient,
      services.options.maximumQueuedInvocationsPerClient,
      () => this.updateReading(),
    );
    this.clientStreams = new ClientStreamTracker(services.options.clientStreamBufferCapacity, () => this.updateReading());
  }

  get connectionId(): string {
    return this.httpConnection.connectionId;
  }

  /** The caller of the request that opened the current transport: a resumed stateful connection may carry a newer token. */
  get user(): HubUser | undefined {
    return this.httpConnection.user;
  }

  /** The hub's logger with this connection's id on every line; made on first use (most connections never log). */
  get logger(): Logger {
    return (this.connectionLogger ??= this.services.logger.child({ connectionId: this.connectionId }));
  }

  get userId(): string | undefined {
    return this.user?.id;
  }

  get transport(): TransportType {
    return this.httpConnection.transportType ?? 'WebSockets';
  }

  get httpRequest(): HubHttpRequest {
    return this.httpConnection.request;
  }

  get connectionAborted(): AbortSignal {
    if (!this.abortController) {
      this.abortController = new AbortController();
      if (this.phase === 'closed') this.abortController.abort(CONNECTION_CLOSED);
    }
    return this.abortController.signal;
  }

  get items(): Map<string, unknown> {
    return (this.itemsMap ??= new Map());
  }

  /** Ids of the client's calls still running: a second call with the same id is refused. */
  get pendingInvocationIds(): Set<string> {
    return (this.pendingIds ??= new Set());
  }

  /** Server-to-client streams running, by invocation id; aborting one stops its producer. */
  get serverStreams(): Map<string, AbortController> {
    return (this.serverStreamsMap ??= new Map());
  }

  get clients(): HubCallerClients {
    this.callerClients ??= hubCallerClients(this.services.clients, this.services.lifetimeManager, this.connectionId);
    return this.callerClients;
  }

  get groups(): GroupManager {
    return this.services.groups;
  }

  get connection(): HubConnectionSink {
    return this;
  }

  get bufferedBytes(): number {
    return this.httpConnection.bufferedBytes;
  }

  /** Bytes a stateful-reconnect client has not acknowledged yet; undefined without stateful reconnect. */
  get unacknowledgedBytes(): number | undefined {
    return this.statefulBuffer?.pendingBytes;
  }

  /** Streams in either direction open now, for `maximumStreamsPerClient`. */
  get openStreamCount(): number {
    return (this.serverStreamsMap?.size ?? 0) + this.clientStreams.size;
  }

  abort(): void {
    this.close({});
  }

  /**
   * The heartbeat closes the connection when `user.expiresAt` passes, reading it at every beat:
   * replacing the user moves that moment; the handler's index moves revocation to its token id.
   * @throws HubError when the connection has closed meanwhile
   */
  renewUser(user: HubUser): void {
    if (this.phase === 'closed') throw new HubError('The connection closed before its token was renewed.');
    this.httpConnection.user = user;
    this.onUserRenewed?.();
  }

  /**
   * Refuses, with an error meant for the caller, a group this connection may not join: a name
   * too long, or one group too many (`groupCount` it is in already). ASP.NET has no such limits.
   * @throws HubError
   */
  checkGroupJoin(group: string, groupCount: number): void {
    const { maximumGroupNameLength, maximumGroupsPerConnection } = this.services.options;
    if (group.length > maximumGroupNameLength) {
      this.services.metrics.limitHit('group_name_length');
      throw new HubError(`Group names are at most ${maximumGroupNameLength} characters long.`);
    }
    if (groupCount >= maximumGroupsPerConnection) {
      this.services.metrics.limitHit('groups_per_connection');
      throw new HubError(`A connection may be in at most ${maximumGroupsPerConnection} groups.`);
    }
  }

  /**
   * Pauses reading while a client stream's buffer or the queue of calls waiting to run is full,
   * and lets it go on when neither is (ASP.NET's reading loop waits on both the same way).
   */
  updateReading(): void {
    if (this.clientStreams.blocked || this.invocations.isFull) this.pauseReading();
    else this.readingResumable();
  }

  private pauseReading(): void {
    if (this.readingPaused || this.phase === 'closed') return;
    this.readingPaused = true;
    this.services.metrics.pausedConnections.inc();
    this.httpConnection.pauseReading();
  }

  private readingResumable(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    this.services.metrics.pausedConnections.dec();
    // Not from inside the hub method's read (or call's end) that made room: other messages' code runs later.
    queueMicrotask(() => this.onReadingResumable?.());
  }

  write(message: SerializedHubMessage): void {
    if (!this.protocol || this.phase === 'handshake' || this.phase === 'closed') return;
    const payload = message.for(this.protocol);
    if (!this.outbound.admit(this.httpConnection.bufferedBytes, payload.length)) {
      this.services.metrics.limitHit('outbound_buffer');
      this.services.instruments.slowConsumerCloses.value++;
      this.close({ error: 'The client did not read its messages fast enough.', allowReconnect: true });
      return;
    }
    // While a stateful connection waits for its client, messages are only kept, to be sent again.
    if (this.statefulBuffer && !this.statefulBuffer.sent(message.message.type, payload)) {
      this.services.instruments.slowConsumerCloses.value++;
      this.close({ error: 'The client did not acknowledge its messages fast enough.', allowReconnect: true });
      return;
    }
    this.httpConnection.send(payload, this.protocol.transferFormat === 'Text');
    this.sentSinceHeartbeat = true;
    const outbound = this.services.instruments.outbound;
    outbound.messages.value++;
    outbound.bytes.value += payload.length;
  }

  writeMessage(message: HubMessage): void {
    this.write(new SerializedHubMessage(message));
  }

  invokeClient(method: string, args: unknown[]): Promise<unknown> {
    if (this.phase !== 'ready' && this.phase !== 'starting') {
      return Promise.reject(new Error(`Connection '${this.connectionId}' disconnected.`));
    }
    const { invocationId, result } = this.clientResults.start(method);
    this.writeMessage({ type: MessageType.Invocation, invocationId, target: method, arguments: args });
    return result;
  }

  writeCompletionError(invocationId: string, error: string): void {
    this.writeMessage({ type: MessageType.Completion, invocationId, error });
  }

  writeItem(invocationId: string, item: unknown): void {
    this.writeMessage({ type: MessageType.StreamItem, invocationId, item });
  }

  /** Says goodbye with a Close message when the handshake is done, then ends the connection. */
  close(options: CloseOptions): void {
    if (this.phase === 'closed') return;
    this.closeStatus ??= options.status ?? (options.error !== undefined ? 'error' : 'normal_closure');
    if (this.protocol && this.phase !== 'handshake') {
      this.httpConnection.send(this.protocol.writeMessage({
        type: MessageType.Close,
        ...(options.error !== undefined ? { error: options.error } : {}),
        ...(options.allowReconnect ? { allowReconnect: true } : {}),
      }));
    }
    this.markClosed();
    this.httpConnection.close();
  }

  /**
   * Nothing more will be read from the client (its input was unreadable): calls waiting for its
   * results or stream items would only wait out their time-out, so they fail now.
   */
  stopReading(): void {
    this.phase = 'draining';
    this.clientStreams.failAll(() => new ClientStreamError('The connection is closing after invalid data.'));
    this.clientResults.failAll(() => new Error(`Connection '${this.connectionId}' is closing after invalid data.`));
  }

  /** Marks the context closed after the transport went away by itself. */
  markClosed(): void {
    this.phase = 'closed';
    this.heldMessages = [];
    this.heldError = undefined;
    this.invocations.clear();
    this.abortController?.abort(CONNECTION_CLOSED);
    // Stop producers, and wake methods waiting for client items that will never come.
    for (const stream of [...(this.serverStreamsMap?.values() ?? [])]) stream.abort();
    this.clientStreams.failAll(() => new ClientStreamError('The connection closed before the stream completed.'));
    // No longer counted as paused, whatever paused it.
    this.updateReading();
    this.clientResults.failAll(() => new Error(`Connection '${this.connectionId}' disconnected.`));
  }
}
