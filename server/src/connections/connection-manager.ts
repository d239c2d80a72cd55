import type { Principal } from '../auth/principal.js';
import { randomText } from '../random-text.js';
import { HttpConnection, type StatefulReconnect } from './http-connection.js';

export interface ConnectionManagerOptions {
  /** How long a negotiated connection may wait for its transport before it is dropped. */
  negotiatedConnectionTimeoutMs: number;
}

const ID_BYTES = 16;

/** 16 random bytes as URL-safe base64: the same length as ASP.NET's ids, and unguessable. */
function newId(): string {
  return randomText(ID_BYTES);
}

/**
 * Owns every connection of one endpoint: creates them on negotiate (or on a WebSocket that
 * skipped negotiate), finds them by token, and drops the ones no transport ever claimed.
 */
export class ConnectionManager {
  private readonly byToken = new Map<string, HttpConnection>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: ConnectionManagerOptions) {
    const period = Math.max(50, Math.min(1000, options.negotiatedConnectionTimeoutMs / 2));
    this.sweeper = setInterval(() => this.dropUnclaimed(), period);
    this.sweeper.unref();
  }

  /** Negotiate version 0 addresses the connection by its id; version 1 by a separate secret token. */
  create(
    negotiateVersion: number,
    user: Principal | undefined,
    statefulReconnect?: StatefulReconnect,
  ): HttpConnection {
    const connectionId = newId();
    const connectionToken = negotiateVersion >= 1 ? newId() : connectionId;
    const connection = new HttpConnection(connectionId, connectionToken, user, statefulReconnect);
    this.byToken.set(connectionToken, connection);
    connection.onClose(() => this.byToken.delete(connectionToken));
    return connection;
  }

  get(connectionToken: string): HttpConnection | undefined {
    return this.byToken.get(connectionToken);
  }

  get size(): number {
    return this.byToken.size;
  }

  all(): IterableIterator<HttpConnection> {
    return this.byToken.values();
  }

  dispose(): void {
    clearInterval(this.sweeper);
    for (const connection of [...this.byToken.values()]) connection.close();
  }

  private dropUnclaimed(): void {
    const deadline = Date.now() - this.options.negotiatedConnectionTimeoutMs;
    for (const connection of this.byToken.values()) {
      if (connection.state === 'negotiated' && connection.createdAt < deadline) connection.close();
    }
  }
}
