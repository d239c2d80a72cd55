import { TERMINAL_REPLACED_CLOSE_ERROR } from '@tradehub/shared';
import {
  ConnectionClosedError, ConnectionLostError, HubMethodError, NotSignalRServerError, ServerUnreachableError, TokenRefusedError, TradehubError,
} from '../errors.js';

/** What a failed connection attempt or a lost connection means for the client. */
export type ConnectFailure =
  /** The token was refused or expired: get another one, then retry. */
  | { kind: 'token'; error: TradehubError }
  /** The node is not a tradehub hub (404, not JSON, no WebSockets): retry elsewhere, but a sole such node is a wrong URL. */
  | { kind: 'not-signalr'; error: NotSignalRServerError }
  /** Transient: the node is down or restarting, the network failed. */
  | { kind: 'transient'; error: TradehubError }
  /** Retrying cannot help (credentials refused). */
  | { kind: 'fatal'; error: TradehubError };

const STATUS = /Status code '(\d{3})'/;
/** The server ended a connection because its token ended (the client must not offer that token again). */
export const TOKEN_ENDED = /access token (expired|was revoked|was replaced)/i;
const UNREACHABLE = /fetch failed|Failed to fetch|NetworkError|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|WebSocket failed to connect|socket hang up/i;
/** A connection that ended: the server's Close message, or the socket's close. */
const CLOSED = /^(?:Server returned an error on close: |WebSocket closed with )(.*)$/s;
const NOT_SIGNALR = /not valid JSON|Unexpected token|JSON\.parse|None of the transports supported by the client are supported by the server|Unexpected end of JSON/i;

/**
 * Classifies what the official client reports when a connection cannot start or ends. Its
 * errors carry text only (the negotiate status code is in the message), hence the patterns.
 */
export function classifyConnectError(error: unknown, node: string): ConnectFailure {
  if (error instanceof TradehubError) {
    if (error.code === 'credentials_refused' || error.code === 'configuration') return { kind: 'fatal', error };
    if (error instanceof NotSignalRServerError) return { kind: 'not-signalr', error };
    return { kind: 'transient', error };
  }
  const message = error instanceof Error ? error.message : String(error);
  const status = STATUS.exec(message)?.[1];
  if (status === '401' || TOKEN_ENDED.test(message)) {
    return { kind: 'token', error: new TokenRefusedError(node, TOKEN_ENDED.exec(message)?.[0] ?? 'the server answered 401.') };
  }
  if (status === '403') return { kind: 'fatal', error: new TokenRefusedError(node, 'the server answered 403 (the token does not grant access to the hub).') };
  if (status === '404' || status === '405') {
    return { kind: 'not-signalr', error: new NotSignalRServerError(node, `negotiate answered ${status}: there is no hub at ${node}/hubs/trade.`) };
  }
  if (NOT_SIGNALR.test(message)) {
    return { kind: 'not-signalr', error: new NotSignalRServerError(node, 'its negotiate answer is not a SignalR negotiation.') };
  }
  const closed = CLOSED.exec(message);
  if (closed) {
    const error = new ConnectionClosedError(node, (closed[1] ?? '').trim() || 'without a reason');
    // A newer connection of the same terminal took over: coming back would replace it in turn.
    return { kind: message.includes(TERMINAL_REPLACED_CLOSE_ERROR) ? 'fatal' : 'transient', error };
  }
  if (status !== undefined && status.startsWith('5')) return { kind: 'transient', error: new ServerUnreachableError(node, error) };
  if (UNREACHABLE.test(message)) return { kind: 'transient', error: new ServerUnreachableError(node, error) };
  return { kind: 'transient', error: new ServerUnreachableError(node, error) };
}

const CONNECTION_GONE = /Invocation canceled due to the underlying connection being closed|connection (was |is )?(closed|stopped|lost)|Server returned an error on close|Cannot send data if the connection is not in the 'Connected' State|WebSocket is not in the OPEN state/i;
const HUB_EXCEPTION = /^(An unexpected error occurred invoking|Failed to invoke|An error occurred on the server while streaming)/;
/** Server refusals that mean "not now": the event store is unreachable. Retrying later (with event ids) is safe. */
const RETRYABLE_HUB_ERROR = /event store is unreachable|cannot be read now|try again/i;

/** Classifies an error of a hub invocation or stream. */
export function classifyInvocationError(error: unknown, method: string): TradehubError {
  if (error instanceof TradehubError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (HUB_EXCEPTION.test(message) || /HubException|unauthorized/.test(message)) {
    const serverMessage = message.replace(/^.*HubException: /, '');
    return new HubMethodError(method, serverMessage, RETRYABLE_HUB_ERROR.test(message));
  }
  if (CONNECTION_GONE.test(message)) return new ConnectionLostError(method, error);
  return new ConnectionLostError(method, error);
}
