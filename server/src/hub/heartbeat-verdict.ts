/** What one heartbeat decides for one connection. */
export type HeartbeatVerdict = 'handshake-timed-out' | 'token-expired' | 'client-timed-out' | 'ping' | 'nothing';

export interface HeartbeatLimits {
  keepAliveIntervalMs: number;
  clientTimeoutMs: number;
  handshakeTimeoutMs: number;
}

/** The moments (ms since the epoch) the timing rules of one connection look at. */
export interface ConnectionTimes {
  /** True until the handshake is done. */
  handshaking: boolean;
  openedAt: number;
  lastReceivedAt: number;
  lastSentAt: number;
  /** When the connection's access token ends; undefined when it does not. */
  tokenExpiresAt: number | undefined;
  /**
   * The transport shows by itself that the client is there (long polling): as in ASP.NET, it is
   * neither pinged nor timed out for silence (a client that stops polling is ended by the transport).
   */
  inherentKeepAlive?: boolean;
}

/**
 * The timing rules of a hub connection, apart from any timer so that a test can check them at
 * any moment: a handshake not done within its time-out is refused; a connection whose token
 * expired is closed (first, because its client may reconnect with a fresh token); so is one
 * whose client sent nothing for the client time-out; a server that sent nothing for the
 * keep-alive interval sends a Ping. The last two do not apply to a transport with an inherent
 * keep-alive.
 */
export function heartbeatVerdict(times: ConnectionTimes, now: number, limits: HeartbeatLimits): HeartbeatVerdict {
  if (times.handshaking) return now - times.openedAt >= limits.handshakeTimeoutMs ? 'handshake-timed-out' : 'nothing';
  if (times.tokenExpiresAt !== undefined && now >= times.tokenExpiresAt) return 'token-expired';
  if (times.inherentKeepAlive) return 'nothing';
  if (now - times.lastReceivedAt >= limits.clientTimeoutMs) return 'client-timed-out';
  if (now - times.lastSentAt >= limits.keepAliveIntervalMs) return 'ping';
  return 'nothing';
}
