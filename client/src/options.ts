import { HttpTransportType } from '@microsoft/signalr';
import { MAX_DEVICE_ID_LENGTH } from '@tradehub/shared';
import type { ClientCredentials } from './auth/client-credentials-token-source.js';
import type { ReconnectOptions } from './connection/backoff.js';
import { ConfigurationError, ProtocolNotSupportedError } from './errors.js';
import type { Logger } from './logger.js';

export type TransportName = 'webSockets' | 'serverSentEvents' | 'longPolling';

/** What `connect` takes. Exactly one of `credentials`, `token` and `tokenFactory` is required. */
export interface ConnectOptions {
  /** A node's base URL (`http://127.0.0.1:5000`), or several nodes of one deployment, tried in turn for failover. */
  url: string | readonly string[];
  /** OAuth client credentials: tokens are fetched from `{node}/connect/token` and renewed before they expire. */
  credentials?: ClientCredentials;
  /** A fixed token (e.g. a terminal token): when the server refuses it, the client ends with `TokenRefusedError`. */
  token?: string;
  /**
   * Your own source of tokens (a browser dashboard asking its backend): called at every
   * (re)connect, and told the last token the server refused so that a cache can drop it.
   */
  tokenFactory?: (context: { refused: string | undefined }) => string | Promise<string>;
  /** Hub protocol: 'json' (default) or 'msgpack' (smaller frames; WebSockets or long polling). */
  protocol?: 'json' | 'msgpack';
  /** Transports to allow (default WebSockets: one connection end to end, and stateful reconnect). */
  transport?: TransportName | readonly TransportName[];
  /** Receives the client's log, redacted (tokens and secrets never reach it). `console` fits. */
  logger?: Logger;
  timeouts?: {
    /** One connection attempt (negotiate, transport, handshake), in ms. Default 15,000. */
    connectMs?: number;
    /** One hub call or HTTP request, and a subscription's start, in ms. Default 30,000. */
    requestMs?: number;
  };
  reconnect?: ReconnectOptions;
  /** Ask for SignalR stateful reconnect: a dropped WebSocket resumes the same connection, losing nothing. Default true. */
  statefulReconnect?: boolean;
  /**
   * The device a terminal token is bound to: sent as `?device_id=` on the hub connection (browsers
   * cannot set WebSocket headers) and as `X-Device-Id` on REST and JSON-RPC calls.
   */
  deviceId?: string;
}

export interface ResolvedOptions {
  protocol: 'json' | 'msgpack';
  transport: HttpTransportType;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  statefulReconnect: boolean;
  deviceId: string | undefined;
}

const TRANSPORTS: Record<TransportName, HttpTransportType> = {
  webSockets: HttpTransportType.WebSockets,
  serverSentEvents: HttpTransportType.ServerSentEvents,
  longPolling: HttpTransportType.LongPolling,
};

/**
 * Checks the options that do not need the network.
 * @throws ConfigurationError, ProtocolNotSupportedError (a protocol other than 'json' and 'msgpack')
 */
export function resolveOptions(options: ConnectOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigurationError('connect() needs an options object.');
  const protocol = options.protocol ?? 'json';
  if (protocol !== 'json' && protocol !== 'msgpack') throw new ProtocolNotSupportedError(String(protocol));
  const given = [options.credentials, options.token, options.tokenFactory].filter((value) => value !== undefined).length;
  if (given !== 1) {
    throw new ConfigurationError(given === 0
      ? 'Give one of `credentials` ({clientId, clientSecret}), `token` or `tokenFactory`.'
      : 'Give only one of `credentials`, `token` and `tokenFactory`.');
  }
  if (options.credentials && (!options.credentials.clientId || !options.credentials.clientSecret)) {
    throw new ConfigurationError('`credentials` needs a clientId and a clientSecret.');
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '')) {
    throw new ConfigurationError('`token` must be a non-empty string.');
  }
  if (options.deviceId !== undefined && (typeof options.deviceId !== 'string' || options.deviceId === '' || options.deviceId.length > MAX_DEVICE_ID_LENGTH)) {
    throw new ConfigurationError(`\`deviceId\` must be a non-empty string of at most ${MAX_DEVICE_ID_LENGTH} characters.`);
  }
  const names = typeof options.transport === 'string' ? [options.transport] : [...(options.transport ?? ['webSockets'])];
  let transport = HttpTransportType.None;
  for (const name of names) {
    const flag = TRANSPORTS[name];
    if (flag === undefined) throw new ConfigurationError(`Unknown transport '${String(name)}'; use ${Object.keys(TRANSPORTS).join(', ')}.`);
    transport |= flag;
  }
  if (transport === HttpTransportType.None) throw new ConfigurationError('Allow at least one transport.');
  if (protocol === 'msgpack' && transport === HttpTransportType.ServerSentEvents) {
    throw new ConfigurationError("MessagePack needs binary frames: allow 'webSockets' or 'longPolling', not only 'serverSentEvents'.");
  }
  return {
    protocol,
    transport,
    connectTimeoutMs: positive(options.timeouts?.connectMs, 15_000, 'timeouts.connectMs'),
    requestTimeoutMs: positive(options.timeouts?.requestMs, 30_000, 'timeouts.requestMs'),
    statefulReconnect: options.statefulReconnect ?? true,
    deviceId: options.deviceId,
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw new ConfigurationError(`\`${name}\` must be a positive number of ms.`);
  return value;
}
