import type { TradeEnvelope } from './events.js';

/** Hub methods of the trade hub (`/hubs/trade`), by the name clients invoke. */
export const TradeHubMethod = {
  GetServerInfo: 'GetServerInfo',
  GetMyAccess: 'GetMyAccess',
  GetPlatforms: 'GetPlatforms',
  Subscribe: 'Subscribe',
  Unsubscribe: 'Unsubscribe',
  Publish: 'Publish',
  /**
   * Streaming: `StreamTopic(topic, resume?)` streams one concrete topic: first its `TopicResult`
   * (a snapshot, or the events since `resume`), then each live `TradeEnvelope` in seq order.
   * Needs `trade.read`.
   */
  StreamTopic: 'StreamTopic',
  /**
   * `PublishStream(events)`: publishes a client stream of events in order and returns how many
   * were taken. Needs `trade.publish`.
   */
  PublishStream: 'PublishStream',
  /**
   * Terminal gateway: `OrderSend(platform, login, request)`, `OrderModify(...)`, `OrderClose(...)`
   * and `GetHistory(...)` are forwarded to the account's terminal and answer with its result. Only
   * a terminal token of that platform and login may call them (see `terminal.ts`).
   */
  OrderSend: 'OrderSend',
  OrderModify: 'OrderModify',
  OrderClose: 'OrderClose',
  GetHistory: 'GetHistory',
  /**
   * `RenewToken(accessToken)`: moves the live connection to a fresh token of the same subject and
   * organization, without a reconnect. Scopes, platforms and logins may narrow, never widen; the
   * connection then expires with the new token, is revoked with it (no longer with the old one),
   * and loses the subscriptions the new token does not allow. Answers a `TokenRenewal`.
   */
  RenewToken: 'RenewToken',
} as const;

/** Client handlers the trade hub invokes. */
export const TradeClientMethod = {
  /** `OnEvent(envelope)`: one live event of a subscribed topic. */
  OnEvent: 'OnEvent',
  /** `OnConnectionStatus(status)`: sent once, right after connecting. */
  OnConnectionStatus: 'OnConnectionStatus',
  /** `OnResync(notice)`: a topic must be resubscribed to get a fresh snapshot. */
  OnResync: 'OnResync',
} as const;

/** An item of `StreamTopic`: the topic's `TopicResult` first, then its live events. */
export type TopicStreamItem = TopicResult | TradeEnvelope;

/** `Subscribe(topics, resume?, options?)`: `resume` maps concrete topics to the position the client reached. */
export type ResumePositions = Record<string, TopicPosition>;

/** Where a consumer stands in a topic: the last `seq` it has seen in `epoch`. */
export interface TopicPosition {
  epoch: string;
  seq: number;
}

/** Current state of a topic, consistent with `(epoch, seq)`: every event up to `seq` is in it. */
export type TopicSnapshot =
  | { kind: 'ticks'; ticks: Array<Extract<TradeEnvelope, { type: 'tick' }>['data']> }
  | { kind: 'accounts'; accounts: AccountSnapshot[] }
  | { kind: 'status'; status: Extract<TradeEnvelope, { type: 'platform.status' }>['data'] | null }
  | { kind: 'symbols'; symbols: Array<Extract<TradeEnvelope, { type: 'symbol' }>['data']> }
  | { kind: 'margin' }
  /** The last bars (at most `trade.barHistory`), oldest first; the last one is the current bar. */
  | { kind: 'bars'; bars: Array<Extract<TradeEnvelope, { type: 'bar' }>['data']> }
  | { kind: 'depth'; depth: Extract<TradeEnvelope, { type: 'depth' }>['data'] | null };

export interface AccountSnapshot {
  login: string;
  account: Extract<TradeEnvelope, { type: 'account' }>['data'] | null;
  positions: Array<Extract<TradeEnvelope, { type: 'position' }>['data']>;
  orders: Array<Extract<TradeEnvelope, { type: 'order' }>['data']>;
}

/**
 * The answer for one topic of `Subscribe`:
 * - `snapshot`: start from this state at `(epoch, seq)`; live events follow from `seq + 1`.
 * - `resumed`: the missed events since the given position, in order; live events follow.
 * - `error`: the topic was refused (unknown, not allowed), or, with `retryable`, cannot be read
 *   now (the event store is unreachable): subscribe again later. Other topics are unaffected.
 * `resetReason` says why a resume fell back to a snapshot.
 */
export type TopicResult =
  | { topic: string; status: 'snapshot'; epoch: string; seq: number; snapshot: TopicSnapshot; resetReason?: ResetReason }
  | { topic: string; status: 'resumed'; epoch: string; seq: number; events: TradeEnvelope[] };

/** Why a topic's history could not be replayed, so that a fresh snapshot is sent instead. */
export type ResetReason = 'epoch_changed' | 'history_gone' | 'ahead_of_server';

/**
 * A wildcard answers with one result per concrete topic it covers now; topics that appear later
 * arrive as live events starting at seq 1.
 */
export type SubscribeResult =
  | TopicResult
  | { topic: string; status: 'wildcard'; topics: TopicResult[] }
  | { topic: string; status: 'error'; error: string; retryable?: boolean };

/**
 * `OnResync(notice)`: the hub could not deliver a topic without a gap (its history was reset or
 * no longer reaches back). Subscribe to the topic again to get a fresh snapshot.
 */
export interface ResyncNotice {
  /** The concrete topic, or the wildcard subscription when the topics under it could not be caught up. */
  topic: string;
  reason: ResetReason;
}

export interface ConnectionStatus {
  connectionId: string;
  nodeId: string;
  serverTime: number;
  subject: string;
  organization: string;
  scopes: string[];
  platforms: string[];
}

export interface PublishResult {
  /** Per event, in input order: its topic and seq, or `duplicate` when its id was already stored. */
  results: Array<{ topic: string; seq: number; duplicate: boolean }>;
}

/** What `RenewToken(accessToken)` answers: what the connection's new token grants from now on. */
export interface TokenRenewal {
  /** When the connection now expires (UTC ms, the new token's expiry); null for tokens that never expire. */
  expiresAt: number | null;
  scopes: string[];
  platforms: string[];
  /** The logins the new token is restricted to; null for every login of its platforms. */
  logins: string[] | null;
  /** Subscriptions the new token no longer allows, dropped by the renewal (no more events of them arrive). */
  droppedTopics: string[];
}
