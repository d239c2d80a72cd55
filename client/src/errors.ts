import type { TopicPosition } from '@tradehub/shared';

/**
 * Every error the client throws or reports is a `TradehubError` with a stable `code`, so that
 * callers can branch on `instanceof` or on `code`. Messages never contain a token or a secret.
 */
export class TradehubError extends Error {
  constructor(readonly code: TradehubErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export type TradehubErrorCode =
  | 'configuration'
  | 'protocol_not_supported'
  | 'unreachable'
  | 'credentials_refused'
  | 'token_refused'
  | 'token_unavailable'
  | 'not_signalr'
  | 'timeout'
  | 'connection_lost'
  | 'hub_error'
  | 'subscription_refused'
  | 'invalid_topic'
  | 'invalid_event'
  | 'invalid_request'
  | 'malformed_message'
  | 'consumer_too_slow'
  | 'http_error'
  | 'json_rpc_error'
  | 'handler_error'
  | 'closed';

/** The options given to `connect` cannot work (no credentials, two kinds of credentials, a URL that is not http(s)). */
export class ConfigurationError extends TradehubError {
  constructor(message: string) {
    super('configuration', message);
  }
}

/** A hub protocol the server does not serve (MessagePack, for now). */
export class ProtocolNotSupportedError extends TradehubError {
  constructor(readonly protocol: string) {
    super('protocol_not_supported', `tradehub does not speak the '${protocol}' hub protocol; use 'json' or 'msgpack'.`);
  }
}

/** Nothing answered at the URL (refused connection, unknown host, network down). */
export class ServerUnreachableError extends TradehubError {
  constructor(readonly url: string, cause?: unknown) {
    super('unreachable', `The tradehub server at ${url} cannot be reached.`, { cause });
  }
}

/** `/connect/token` refused the client credentials: `oauthError` is the RFC 6749 error code (`invalid_client`, `invalid_scope`, ...). */
export class CredentialsRefusedError extends TradehubError {
  constructor(readonly status: number, readonly oauthError: string, readonly description: string | undefined) {
    super('credentials_refused', `The token endpoint refused the client credentials (${status} ${oauthError}${description ? `: ${description}` : ''}).`);
  }
}

/** The hub refused the bearer token (401), and the client has no way to get another one (a fixed `token`). */
export class TokenRefusedError extends TradehubError {
  constructor(readonly url: string, detail: string) {
    super('token_refused', `The tradehub server at ${url} refused the access token: ${detail}`);
  }
}

/** A token could not be obtained now (token endpoint failing, token factory throwing); the client retries. */
export class TokenUnavailableError extends TradehubError {
  constructor(message: string, cause?: unknown) {
    super('token_unavailable', message, { cause });
  }
}

/** Something answered at the URL, but it is not a tradehub (SignalR) server. */
export class NotSignalRServerError extends TradehubError {
  constructor(readonly url: string, detail: string) {
    super('not_signalr', `The server at ${url} is not a tradehub SignalR hub: ${detail}`);
  }
}

/** A bounded wait ran out. */
export class TimeoutError extends TradehubError {
  constructor(readonly operation: string, readonly timeoutMs: number) {
    super('timeout', `${operation} did not complete within ${timeoutMs} ms.`);
  }
}

/** The connection closed while a call was waiting for its answer: whether it took effect is unknown. */
export class ConnectionLostError extends TradehubError {
  constructor(readonly operation: string, cause?: unknown) {
    super('connection_lost', `The connection was lost during ${operation}; its outcome is unknown.`, { cause });
  }
}

/** The connection to a node ended: the server closed it (`detail` is its reason) or the socket failed. The client reconnects. */
export class ConnectionClosedError extends TradehubError {
  constructor(readonly url: string, readonly detail: string) {
    super('connection_lost', `The connection to ${url} was closed: ${detail}`);
  }
}

/** A hub method answered with an error (the server's text, which never echoes secrets). */
export class HubMethodError extends TradehubError {
  constructor(readonly method: string, readonly serverMessage: string, readonly retryable: boolean) {
    super('hub_error', `${method} failed: ${serverMessage}`);
  }
}

/** The hub refused a topic (unknown, or not allowed for the token). */
export class SubscriptionRefusedError extends TradehubError {
  constructor(readonly topic: string, readonly reason: string) {
    super('subscription_refused', `The subscription to '${topic}' was refused: ${reason}`);
  }
}

export class InvalidTopicError extends TradehubError {
  constructor(readonly topic: string) {
    super('invalid_topic', `'${printable(topic)}' is not a topic name (see Topics of @tradehub/shared).`);
  }
}

/** Events that the shared schema refuses; nothing of the batch was sent. */
export class InvalidEventError extends TradehubError {
  constructor(readonly issues: readonly string[]) {
    super('invalid_event', `Invalid events: ${issues.slice(0, 5).join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`);
  }
}

/** A terminal request (an order, a history range) that the shared schema refuses; it was not sent. */
export class InvalidRequestError extends TradehubError {
  constructor(readonly method: string, readonly issues: string) {
    super('invalid_request', `Invalid ${method} request: ${issues}`);
  }
}

/** The server sent something that does not fit the shared contract; it was dropped (reported, never thrown). */
export class MalformedServerMessageError extends TradehubError {
  constructor(readonly what: string, readonly issues: string) {
    super('malformed_message', `Dropped a malformed ${what} from the server: ${issues}`);
  }
}

/**
 * An event stream's consumer fell behind by more than its buffer: ticks were conflated, but other
 * events would have had to be dropped, so the stream ended instead. `positions` says where it
 * stopped (the last event delivered per topic); open a new stream to start again from a snapshot.
 */
export class ConsumerTooSlowError extends TradehubError {
  constructor(readonly topic: string, readonly bufferSize: number, readonly positions: Readonly<Record<string, TopicPosition>>) {
    super('consumer_too_slow', `The consumer of '${topic}' fell more than ${bufferSize} items behind; its stream ended so that no event is dropped silently.`);
  }
}

/** A REST route answered with an error status: `error` and `description` are the server's `{error, error_description}`. */
export class HttpApiError extends TradehubError {
  constructor(readonly status: number, readonly error: string, readonly description: string | undefined, readonly retryAfterSeconds?: number) {
    super('http_error', `HTTP ${status} ${error}${description ? `: ${description}` : ''}`);
  }
}

/** A JSON-RPC call answered with an error object; `rpcCode` is one of `JsonRpcErrorCode`. */
export class JsonRpcCallError extends TradehubError {
  constructor(readonly method: string, readonly rpcCode: number, readonly rpcMessage: string, readonly data: unknown) {
    super('json_rpc_error', `JSON-RPC ${method} failed with ${rpcCode}: ${rpcMessage}`);
  }
}

/** The client was closed (by `close()`, or for good after a fatal error, given as `cause`). */
export class ClientClosedError extends TradehubError {
  constructor(cause?: unknown) {
    super('closed', cause instanceof Error ? `The tradehub client is closed: ${cause.message}` : 'The tradehub client is closed.', { cause });
  }
}

/** Text from elsewhere in a message: bounded and printable. */
export function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}...` : clean;
}
