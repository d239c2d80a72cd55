import type { ResumePositions, SubscribeResult, TradeEnvelope } from '@tradehub/shared';

/** How a connection ended, as the load tool saw it. */
export interface ClientClosure {
  /** The error of the hub's Close message, when one arrived. */
  closeError?: string;
  allowReconnect?: boolean;
  /** WebSocket close code, when the socket closed. */
  code?: number;
}

/** One trade-hub connection of the load, whatever client drives it. */
export interface LoadClient {
  readonly index: number;
  /** Called for every OnEvent, with the time (ms, `performance.timeOrigin` based) it was read. */
  onEvent: (envelope: TradeEnvelope, receivedAt: number) => void;
  /** Called once when the connection ends (the hub closed it, or the socket dropped). */
  onClosed: (closure: ClientClosure) => void;
  /** Resolves once the handshake is done and the hub's greeting (OnConnectionStatus) arrived. */
  connect(): Promise<void>;
  subscribe(topics: readonly string[], resume?: ResumePositions): Promise<SubscribeResult[]>;
  invoke<T>(target: string, args: unknown[]): Promise<T>;
  /** Ends the connection abruptly (no Close message): what a network drop looks like. */
  drop(): void;
  close(): Promise<void>;
  /** Stops reading the socket, so that the hub's bytes pile up (raw mode only). */
  pauseReading(): void;
  resumeReading(): void;
}

/** Now, in milliseconds on the same clock as `Date.now()`, with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
