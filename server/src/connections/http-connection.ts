import type { Principal } from '../auth/principal.js';
import { ConnectionRequest } from './connection-request.js';
import type { ConnectionApplication, Transport, TransportType } from './transport.js';

/** `disconnected`: a stateful connection whose transport dropped, waiting for the client to come back. */
export type ConnectionState = 'negotiated' | 'connected' | 'disconnected' | 'closed';

export interface StatefulReconnect {
  /** How long a dropped transport may be replaced before the connection ends. */
  windowMs: number;
}

/**
 * One logical connection, from negotiate until it ends. It knows nothing of hubs: it moves
 * payloads between a transport and the application attached to it.
 */
export class HttpConnection {
  state: ConnectionState = 'negotiated';
  readonly createdAt = Date.now();
  private transport: Transport | undefined;
  /** The request that opened the current transport, for hub code (`context.httpRequest`). */
  request: ConnectionRequest = ConnectionRequest.none;
  private application: ConnectionApplication | undefined;
  private readonly closeListeners: Array<() => void> = [];
  private reconnectTimer: NodeJS.Timeout | undefined;
  private paused = false;
  // Created on first use: most connections never need it.
  private resumeListenersLazy: Array<() => void> | undefined;
  private get resumeListeners(): Array<() => void> {
    return (this.resumeListenersLazy ??= []);
  }

  constructor(
    /** Public id that hub code and other clients see. */
    readonly connectionId: string,
    /** Secret id the client addresses the connection with (`?id=`); equals the id for negotiate version 0. */
    readonly connectionToken: string,
    /** Who negotiated the connection; the request that opens the transport must be the same caller. */
    public user: Principal | undefined,
    /** Set when client and server agreed on stateful reconnect at negotiate. */
    readonly statefulReconnect: StatefulReconnect | undefined = undefined,
  ) {}

  get transportType(): TransportType | undefined {
    return this.transport?.type;
  }

  /**
   * Whether the transport shows by itself that the client is there (long polling: its polls), so
   * that the hub neither pings it nor times out a client that sends nothing (ASP.NET's
   * IConnectionInherentKeepAliveFeature).
   */
  get hasInherentKeepAlive(): boolean {
    return this.transport?.inherentKeepAlive ?? false;
  }

  get supportsBinary(): boolean {
    return this.transport?.supportsBinary ?? false;
  }

  get bufferedBytes(): number {
    return this.transport?.bufferedBytes ?? 0;
  }

  /**
   * Binds the transport that opened, and the request that opened it. For a first transport the
   * caller starts the application afterwards; a transport that replaces a dropped one (stateful
   * reconnect) resumes it.
   */
  attachTransport(transport: Transport, request: ConnectionRequest): void {
    const restoring = this.state === 'disconnected';
    clearTimeout(this.reconnectTimer);
    this.transport = transport;
    this.request = request;
    this.state = 'connected';
    if (this.paused) transport.pauseReading?.();
    if (restoring) this.application?.onTransportRestored?.();
  }

  /** Whether a new transport may take this connection: a fresh one, or a stateful one whose transport dropped. */
  get acceptsTransport(): boolean {
    return this.state === 'negotiated' || this.state === 'disconnected';
  }

  attachApplication(application: ConnectionApplication): void {
    this.application = application;
  }

  receive(data: Buffer, isBinary: boolean): void {
    if (this.state === 'connected') this.application?.onData(data, isBinary);
  }

  /** Whether the application asked to be given no more data for now (backpressure). */
  get readingPaused(): boolean {
    return this.paused;
  }

  /**
   * Stops reading from the client until `resumeReading`: a WebSocket stops reading its socket;
   * HTTP sends (POST) are held by the transport requests until reading resumes.
   */
  pauseReading(): void {
    if (this.paused) return;
    this.paused = true;
    this.transport?.pauseReading?.();
  }

  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    this.transport?.resumeReading?.();
    for (const listener of this.resumeListeners.splice(0)) listener();
  }

  /** Resolves once reading resumes, or the connection ended. */
  whenReadingResumed(): Promise<void> {
    if (!this.paused || this.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.resumeListeners.push(resolve));
  }

  /** `text`: the bytes are UTF-8 text of a text protocol (a string always is). */
  send(payload: string | Uint8Array, text: boolean = typeof payload === 'string'): void {
    if (this.state === 'connected') this.transport?.send(payload, text);
  }

  /** Writes what was sent in this turn now, in a frame of its own. */
  flush(): void {
    if (this.state === 'connected') this.transport?.flush?.();
  }

  /**
   * What was sent so far goes in a frame of its own, yet leaves with what is sent next in this
   * turn (one socket write on a WebSocket). Long polling has no frames: a poll carries it all.
   */
  endFrame(): void {
    if (this.state !== 'connected' || !this.transport) return;
    if (this.transport.endFrame) this.transport.endFrame();
    else this.transport.flush?.();
  }

  /** Ends the connection from the server side: queued payloads are still sent first. */
  close(): void {
    if (this.state === 'closed') return;
    this.transport?.close();
    this.markClosed();
  }

  /**
   * Called by a transport when it ended. `lost`: it dropped without a closing handshake, so a
   * stateful connection waits for the client to come back instead of ending.
   */
  transportClosed(transport: Transport, lost: boolean): void {
    // A transport that was already replaced reports its end late: it no longer speaks for the connection.
    if (transport !== this.transport) return;
    if (lost && this.statefulReconnect && this.state === 'connected' && this.application?.onTransportLost) {
      this.state = 'disconnected';
      this.transport = undefined;
      this.reconnectTimer = setTimeout(() => this.markClosed(), this.statefulReconnect.windowMs);
      this.reconnectTimer.unref();
      this.application.onTransportLost();
      return;
    }
    this.markClosed();
  }

  onClose(listener: () => void): void {
    if (this.state === 'closed') listener();
    else this.closeListeners.push(listener);
  }

  private markClosed(): void {
    if (this.state === 'closed') return;
    clearTimeout(this.reconnectTimer);
    this.state = 'closed';
    for (const listener of this.resumeListeners.splice(0)) listener();
    this.application?.onTransportClosed();
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
