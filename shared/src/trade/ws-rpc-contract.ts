import type { ResumePositions, ResyncNotice, SubscribeResult } from './hub-contract.js';
import type { TradeEnvelope } from './events.js';
import type { SubscribeOptions } from './market-data.js';

/** Where the JSON-RPC 2.0 WebSocket is mapped: one JSON-RPC message or batch per text frame. */
export const WS_RPC_PATH = '/ws';

/** Methods only `/ws` has (beside every method of `TradeRpcMethods`): subscriptions need a connection to deliver their events on. */
export interface WsOnlyRpcMethods {
  /**
   * Like the trade hub's Subscribe: a snapshot, or the missed events after `resume`, per topic;
   * live events follow as notifications. `maxRatePerSecond` is the trade hub's Subscribe option
   * (at most that many tick events per second on each ticks topic of the call, the newest last).
   */
  subscribe: { params: { topics: string[]; resume?: ResumePositions } & SubscribeOptions; result: SubscribeResult[] };
  unsubscribe: { params: { topics: string[] }; result: null };
}

/** The notifications (JSON-RPC requests without an id) the server sends on `/ws`, by method name. */
export interface WsRpcNotifications {
  /** The next event of a subscribed topic, in seq order per topic. */
  event: TradeEnvelope;
  /** A topic cannot go on without a gap: subscribe to it again (without resume) for a fresh snapshot. */
  resync: ResyncNotice;
}

export const WsRpcNotification = { Event: 'event', Resync: 'resync' } as const satisfies Record<string, keyof WsRpcNotifications>;

/**
 * Close codes of `/ws` beside the standard ones (1000 normal, 1001 server going away, 1009 a
 * frame over the size limit). The close reason says the same in words.
 */
export const WsCloseCode = {
  /** The server shuts down: reconnect, to another node when there is one. */
  GoingAway: 1001,
  /** A binary frame: `/ws` reads text frames only. */
  UnsupportedData: 1003,
  /** A frame larger than the limit. */
  MessageTooBig: 1009,
  /** The access token expired: reconnect with a fresh one. */
  TokenExpired: 4001,
  /**
   * The socket lost its access: its token was revoked or replaced, its device revoked, or its
   * account or organization disabled or expired (the close reason says which).
   */
  TokenRevoked: 4003,
  /** The client did not read its messages fast enough (its outbound buffer was full). */
  TooSlow: 4008,
  /** The client sent more requests than it waited answers for (see the README's limits). */
  TooManyRequests: 4029,
} as const;

export type WsCloseCode = (typeof WsCloseCode)[keyof typeof WsCloseCode];
