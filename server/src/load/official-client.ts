import WebSocket from 'ws';
import { HttpTransportType, HubConnectionBuilder, LogLevel, type HubConnection, type IHttpConnectionOptions } from '@microsoft/signalr';
import type { ResumePositions, SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { nowMs, type ClientClosure, type LoadClient } from './load-client.js';

export interface OfficialClientOptions {
  hubUrl: URL;
  token: string;
  localAddress?: string;
}

/** The official client builds its own `ws` sockets; this hands them the source address. */
type SocketClass = new (address: string, protocols?: string | string[], options?: WebSocket.ClientOptions) => WebSocket;
const socketClasses = new Map<string, SocketClass>();
function webSocketFrom(localAddress: string): SocketClass {
  const known = socketClasses.get(localAddress);
  if (known) return known;
  const socketClass = class extends WebSocket {
    constructor(address: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
      super(address, protocols, { ...options, localAddress });
    }
  };
  socketClasses.set(localAddress, socketClass);
  return socketClass;
}

/**
 * A trade-hub connection through `@microsoft/signalr` (WebSockets, no negotiation, JSON), to
 * load the server the way real Node clients do. Its automatic reconnect stays off: scenarios
 * reconnect themselves, resuming by (epoch, seq).
 */
export class OfficialLoadClient implements LoadClient {
  onEvent: (envelope: TradeEnvelope, receivedAt: number) => void = () => {};
  onClosed: (closure: ClientClosure) => void = () => {};
  private readonly connection: HubConnection;
  private closeError?: string;

  constructor(readonly index: number, options: OfficialClientOptions) {
    const httpOptions: IHttpConnectionOptions & { WebSocket?: unknown } = {
      transport: HttpTransportType.WebSockets,
      skipNegotiation: true,
      accessTokenFactory: () => options.token,
      ...(options.localAddress ? { WebSocket: webSocketFrom(options.localAddress) } : {}),
    };
    this.connection = new HubConnectionBuilder().withUrl(options.hubUrl.toString(), httpOptions).configureLogging(LogLevel.None).build();
    this.connection.on('OnEvent', (envelope: TradeEnvelope) => this.onEvent(envelope, nowMs()));
    this.connection.on('OnConnectionStatus', () => {});
    this.connection.onclose((error) => {
      if (error) this.closeError = error.message;
      this.onClosed(this.closeError !== undefined ? { closeError: this.closeError } : {});
    });
  }

  async connect(): Promise<void> {
    await this.connection.start();
  }

  subscribe(topics: readonly string[], resume?: ResumePositions): Promise<SubscribeResult[]> {
    return resume && Object.keys(resume).length > 0
      ? this.connection.invoke<SubscribeResult[]>('Subscribe', topics, resume)
      : this.connection.invoke<SubscribeResult[]>('Subscribe', topics);
  }

  invoke<T>(target: string, args: unknown[]): Promise<T> {
    return this.connection.invoke<T>(target, ...args);
  }

  drop(): void {
    // The official client offers no abrupt close; stopping without a Close message is the nearest.
    void this.connection.stop();
  }

  async close(): Promise<void> {
    await this.connection.stop();
  }

  pauseReading(): void {
    throw new Error('--mode official cannot stop reading its socket; slow consumers need --mode raw.');
  }

  resumeReading(): void {}
}
