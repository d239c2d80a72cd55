import * as z from 'zod';
import { AccessDenial } from '../access-admin.js';
import { dealSchema, orderSchema } from './payloads.js';
import { finiteNumber, mtId, platformId, price, symbolName, utcMillis, volume } from './primitives.js';

/**
 * The terminal gateway: a trading terminal (its Expert Advisor, or any program holding a
 * terminal token) connects to the terminal hub and is then online; requests that only the
 * terminal can answer (`order_send`, ...) are forwarded to it through tradehub.
 */
export const TERMINAL_HUB_PATH = '/hubs/terminal';

/**
 * The Close error of a terminal connection that a newer connection of its account replaced (one
 * terminal per account): it must not reconnect, or the two would keep replacing each other.
 */
export const TERMINAL_REPLACED_CLOSE_ERROR = 'Another connection of this terminal replaced this one (one terminal per account); not reconnecting.';

/** Hub methods of the terminal hub. */
export const TerminalHubMethod = {
  /** `Publish(events)`: the terminal's account events, as the trade hub's `Publish` (its own platform and login only). */
  Publish: 'Publish',
} as const;

/**
 * Client methods a terminal must handle on the terminal hub: each is invoked with one request
 * argument and must return the matching result (SignalR client results). A thrown error
 * reaches the caller as the terminal's refusal.
 */
export const TerminalClientMethod = {
  OrderSend: 'OrderSend',
  OrderModify: 'OrderModify',
  OrderClose: 'OrderClose',
  GetHistory: 'GetHistory',
} as const;

export type TerminalClientMethod = (typeof TerminalClientMethod)[keyof typeof TerminalClientMethod];

/** `OrderSend(request)`: a market order (no price) or a pending order (with price). */
export const orderSendRequestSchema = z.strictObject({
  symbol: symbolName,
  type: z.enum(['buy', 'sell', 'buy_limit', 'sell_limit', 'buy_stop', 'sell_stop']),
  /** In 1/10,000 lot, like every volume. */
  volume: volume.positive(),
  price: price.positive().optional(),
  sl: price.positive().optional(),
  tp: price.positive().optional(),
  /** Largest accepted slippage from the requested price, in points. */
  deviation: z.number().int().nonnegative().max(1_000_000).optional(),
  comment: z.string().max(31).optional(),
});

/** `OrderModify(request)`: new stops of an open position, or new price and stops of a pending order. */
export const orderModifyRequestSchema = z.strictObject({
  ticket: mtId,
  price: price.positive().optional(),
  sl: price.nonnegative().optional(),
  tp: price.nonnegative().optional(),
});

/** `OrderClose(request)`: closes a position (all of it without volume), or deletes a pending order. */
export const orderCloseRequestSchema = z.strictObject({
  ticket: mtId,
  volume: volume.positive().optional(),
  deviation: z.number().int().nonnegative().max(1_000_000).optional(),
});

/** Longest time range one `GetHistory` may ask for. */
export const MAX_HISTORY_RANGE_MS = 366 * 86_400_000;

/** `GetHistory(request)`: deals and orders of the account between `from` and `to` (UTC ms, inclusive). */
export const getHistoryRequestSchema = z.strictObject({
  from: utcMillis,
  to: utcMillis,
}).refine((range) => range.from <= range.to, { message: 'from must not be after to', path: ['from'] })
  .refine((range) => range.to - range.from <= MAX_HISTORY_RANGE_MS, { message: 'the range may span at most 366 days', path: ['to'] });

/**
 * What a terminal answers to an order request. `retcode` is the platform's trade return code
 * (MT5: 10009 done, 10008 placed); a refused order is a result with another code, not an error.
 */
export const tradeResultSchema = z.strictObject({
  retcode: z.number().int(),
  /** The platform's description of `retcode`. */
  description: z.string().max(200).optional(),
  order: mtId.optional(),
  deal: mtId.optional(),
  position: mtId.optional(),
  volume: volume.optional(),
  price: finiteNumber.optional(),
  time: utcMillis,
});

/** Most deals and most orders one `GetHistory` answer may carry (ask for shorter ranges for more). */
export const MAX_HISTORY_ITEMS = 5_000;

/**
 * Largest message a terminal may send on the terminal hub: room for a `GetHistory` answer of
 * `MAX_HISTORY_ITEMS` deals and orders (other hubs keep `limits.messageSizeBytes`).
 */
export const TERMINAL_HUB_MESSAGE_BYTES = 4 * 1024 * 1024;

export const historyResultSchema = z.strictObject({
  deals: z.array(dealSchema).max(MAX_HISTORY_ITEMS),
  orders: z.array(orderSchema).max(MAX_HISTORY_ITEMS),
});

export type OrderSendRequest = z.output<typeof orderSendRequestSchema>;
export type OrderModifyRequest = z.output<typeof orderModifyRequestSchema>;
export type OrderCloseRequest = z.output<typeof orderCloseRequestSchema>;
export type GetHistoryRequest = z.output<typeof getHistoryRequestSchema>;
export type TradeResult = z.output<typeof tradeResultSchema>;
export type HistoryResult = z.output<typeof historyResultSchema>;

/** MT5's trade return codes the embedded simulator answers with. */
export const TradeRetcode = {
  Placed: 10008,
  Done: 10009,
  InvalidVolume: 10014,
  InvalidPrice: 10015,
  InvalidStops: 10016,
  NoMoney: 10019,
  PositionClosed: 10036,
} as const;

/** Each request the gateway forwards: the client method, its request schema and its result schema. */
export const terminalRequests = {
  order_send: { method: TerminalClientMethod.OrderSend, request: orderSendRequestSchema, result: tradeResultSchema },
  order_modify: { method: TerminalClientMethod.OrderModify, request: orderModifyRequestSchema, result: tradeResultSchema },
  order_close: { method: TerminalClientMethod.OrderClose, request: orderCloseRequestSchema, result: tradeResultSchema },
  get_history: { method: TerminalClientMethod.GetHistory, request: getHistoryRequestSchema, result: historyResultSchema },
} as const;

export type TerminalRequestName = keyof typeof terminalRequests;
export type TerminalRequestOf<N extends TerminalRequestName> = z.output<(typeof terminalRequests)[N]['request']>;
export type TerminalResultOf<N extends TerminalRequestName> = z.output<(typeof terminalRequests)[N]['result']>;

/**
 * Why a terminal went offline (`terminal.status` `reason`): its connection ended, its token was
 * revoked, replaced by a new secret or expired, its device was revoked, its account or
 * organization disabled or expired, or (for the demo's in-process terminal) the simulator stopped.
 */
export const TerminalOfflineReason = {
  Disconnected: 'disconnected',
  TokenExpired: 'token expired',
  Revoked: 'revoked',
  Replaced: 'replaced',
  ...AccessDenial,
  SimulatorStopped: 'simulator stopped',
} as const;

export type TerminalOfflineReason = (typeof TerminalOfflineReason)[keyof typeof TerminalOfflineReason];

export const terminalOfflineReasonSchema = z.enum(Object.values(TerminalOfflineReason) as [TerminalOfflineReason, ...TerminalOfflineReason[]]);

/**
 * `terminal.status` on `platforms/{p}/status`: a terminal came online or went offline. Only
 * tradehub's terminal hub publishes it; publishers are refused.
 */
export const terminalStatusSchema = z.strictObject({
  state: z.enum(['online', 'offline']),
  platform: platformId,
  login: mtId,
  /** The terminal token's name (`Simulated terminal` for the demo's in-process one). */
  name: z.string().max(200),
  /** The terminal token's id (never its secret); null for an in-process terminal. */
  tokenId: z.string().max(64).nullable(),
  /** The tradehub node holding (or that held) the terminal's connection. */
  node: z.string().max(200),
  /** Why it went offline (offline events only). */
  reason: terminalOfflineReasonSchema.optional(),
  time: utcMillis,
});

export type TerminalStatus = z.output<typeof terminalStatusSchema>;

/** `get_terminal_status`: whether the account's terminal is online now, and where. */
export interface TerminalPresenceView {
  online: boolean;
  /** The terminal token's name; null while offline. */
  name: string | null;
  /** The node holding its connection; null while offline. */
  node: string | null;
  /** When it came online (UTC ms); null while offline. */
  since: number | null;
}
