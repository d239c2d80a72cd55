import type { AccountSnapshot } from './hub-contract.js';
import type { AccountState, Order, PlatformStatus, Position, SymbolInfo } from './payloads.js';
import type { TradeEventInput } from './events.js';
import type {
  GetHistoryRequest, HistoryResult, OrderCloseRequest, OrderModifyRequest, OrderSendRequest, TerminalPresenceView, TradeResult,
} from './terminal.js';

/** `POST /connect/token` (client credentials): the answer. */
export interface OAuthTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  /** Seconds the token stays valid. */
  expires_in: number;
  scope: string;
}

/**
 * `GET /v1/init?server=&login=&password=[&timeout=]`, the manager login as the MT5 manager SDK
 * sends it: `timeout` is how long, in milliseconds, the caller lets the login wait for the
 * platform; it has no bearing on how long the session's token lives (configuration decides).
 */
export const MANAGER_CONNECT_TIMEOUT_MS = {
  min: 1_000,
  max: 120_000,
  /** When the caller sends no `timeout`. */
  default: 5_000,
} as const;

/** `GET /v1/init`: the answer. */
export interface ManagerInitResponse {
  token: string;
  token_type: 'Bearer';
  /** Seconds the token stays valid (the configured session lifetime). */
  expires_in: number;
  platform: string;
}

/** `GET /v1/ping` with a manager (or any) token: the session is alive. */
export interface ManagerPingResponse {
  /** What the manager SDK reads: a short text saying the session is alive. */
  message: string;
  status: 'alive';
  subject: string;
  platforms: string[];
  /** When the token stops being valid (UTC ms); null for tokens that never expire. */
  expiresAt: number | null;
  serverTime: number;
}

/** Error body of every HTTP route: RFC 6749 section 5.2 for /connect/token, the same shape elsewhere. */
export interface HttpErrorBody {
  error: string;
  error_description?: string;
}

/** `GET /api/organizations`: the caller's organization. */
export interface OrganizationInfo {
  id: string;
  name: string;
}

/** `GET /api/platforms`: the platforms the caller's token reaches. */
export interface PlatformListing {
  id: string;
  name: string;
  kind: 'mt4' | 'mt5';
  organization: string;
}

/** `POST /api/platforms/{id}/events` takes events whose platformId may be left out: the URL names it. */
export type PlatformEventInput = TradeEventInput extends infer E ? E extends TradeEventInput ? Omit<E, 'platformId'> & { platformId?: string } : never : never;

/** `GET /api/platforms/{id}/ping`. */
export interface PlatformPing {
  platform: string;
  /** The latest `platform.status` payload, or null before any. */
  status: PlatformStatus | null;
  serverTime: number;
}

/** `GET /api/platforms/{id}/accounts/{login}`: an account's state and the topic position it reflects. */
export interface AccountView extends AccountSnapshot {
  platform: string;
  epoch: string;
  seq: number;
}

/** `POST /rpc` JSON-RPC 2.0 methods: params by name, and result. */
export interface TradeRpcMethods {
  get_account_info: { params: { platform: string; login: string }; result: AccountState | null };
  get_positions: { params: { platform: string; login: string }; result: Position[] };
  get_orders: { params: { platform: string; login: string }; result: Order[] };
  get_symbols: { params: { platform: string }; result: SymbolInfo[] };
  ping: {
    params: { platform?: string };
    result: { pong: true; serverTime: number; platform?: string; status?: PlatformStatus | null };
  };
  /** Terminal gateway: forwarded to the account's terminal (terminal tokens of that account only). */
  order_send: { params: AccountParams & OrderSendRequest; result: TradeResult };
  order_modify: { params: AccountParams & OrderModifyRequest; result: TradeResult };
  order_close: { params: AccountParams & OrderCloseRequest; result: TradeResult };
  get_history: { params: AccountParams & GetHistoryRequest; result: HistoryResult };
  /** Whether the account's terminal is online (any token that may read the account). */
  get_terminal_status: { params: AccountParams; result: TerminalPresenceView };
}

/** The account a JSON-RPC method is about. */
interface AccountParams {
  platform: string;
  login: string;
}

export type TradeRpcMethodName = keyof TradeRpcMethods;

/**
 * JSON-RPC 2.0 error codes (https://www.jsonrpc.org/specification#error_object). The codes from
 * -32000 to -32099 are left to servers; tradehub's are defined here and nowhere else, and
 * listed in the README ("HTTP API").
 */
export const JsonRpcErrorCode = {
  /** The body is not valid JSON. */
  ParseError: -32700,
  /** The JSON is not a valid request object (or is an empty or oversized batch). */
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  /** The params do not fit the method; `data` lists each problem by param name. */
  InvalidParams: -32602,
  /** Anything unexpected; details go to the log, not to the caller. */
  InternalError: -32603,
  /** Server-defined: the token lacks the scope, or does not reach the platform or login. */
  Forbidden: -32001,
  /** Server-defined: the platform does not exist, or belongs to another organization. */
  NotFound: -32004,
  /** Server-defined: the event store cannot be reached now; `data.retryAfterSeconds` says when to retry. */
  Unavailable: -32005,
  /** Terminal gateway: the account's terminal is not connected to tradehub now (answered at once). */
  TerminalOffline: -32010,
  /** Terminal gateway: the terminal did not answer within the time-out (`trade.terminalRequestTimeoutMs`). */
  TerminalTimeout: -32011,
  /** Terminal gateway: the terminal answered something that is not a valid result; `data.problems` says why. */
  TerminalBadAnswer: -32012,
  /** Terminal gateway: the terminal refused or failed the request; the message is the terminal's. */
  TerminalRefused: -32013,
  /** Terminal gateway: too many requests are waiting for this terminal; retry when some were answered. */
  TerminalBusy: -32014,
} as const;

export type JsonRpcErrorCode = (typeof JsonRpcErrorCode)[keyof typeof JsonRpcErrorCode];
