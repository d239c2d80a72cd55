import type { Principal } from '../auth/principal.js';
import type { ConnectionApplication, Transport, TransportType } from './transport.js';

export type ConnectionState = 'negotiated' | 'connected' | 'closed';

/**
 * One logical connection, from negotiate until it ends. It knows nothing of hubs: it moves
 * payloads between a transport and the application attached to it.
 */
export class HttpConnection {
  state: ConnectionState = 'negotiated';
  readonly createdAt = Date.now();
  private transport: Transport | undefined;
  private application: ConnectionApplication | undefined;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    /** Public id that hub code and other clients see. */
    readonly connectionId: string,
    /** Secret id the client addresses the connection with (`?id=`); equals the id for negotiate version 0. */
    readonly connectionToken: string,
    /** Address of the peer, for logs and limits. */
    readonly remoteAddress: string | undefined,
    /** Who negotiated the connection; the request that opens the transport must be the same caller. */
    public user: Principal | undefined,
  ) {}

  get transportType(): TransportType | undefined {
    return this.transport?.type;
  }

  get supportsBinary(): boolean {
    return this.transport?.supportsBinary ?? false;
  }

  get bufferedBytes(): number {
    return this.transport?.bufferedBytes ?? 0;
  }

  /** Binds the transport that opened; the application is started by the caller afterwards. */
  attachTransport(transport: Transport): void {
    this.transport = transport;
    this.state = 'connected';
  }

  attachApplication(application: ConnectionApplication): void {
    this.application = application;
  }

  receive(data: Buffer, isBinary: boolean): void {
    if (this.state === 'connected') this.application?.onData(data, isBinary);
  }

  send(payload: string | Uint8Array): void {
    if (this.state === 'connected') this.transport?.send(payload);
  }

  /** Ends the connection from the server side: queued payloads are still sent first. */
  close(): void {
    if (this.state === 'closed') return;
    this.transport?.close();
    this.markClosed();
  }

  /** Called by the transport when the peer went away or the transport finished closing. */
  transportClosed(): void {
    this.markClosed();
  }

  onClose(listener: () => void): void {
    if (this.state === 'closed') listener();
    else this.closeListeners.push(listener);
  }

  private markClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.application?.onTransportClosed();
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
