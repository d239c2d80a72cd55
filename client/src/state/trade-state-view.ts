import {
  Topics, type AccountState, type Bar, type DepthBook, type Order, type PlatformStatus, type Position, type SymbolInfo, type Tick, type Timeframe,
  type TopicPosition,
} from '@tradehub/shared';
import type { TopicTracker } from '../subscriptions/topic-tracker.js';

/** An account as the client knows it: state, open positions, active orders, and the topic position they reflect. */
export interface LocalAccountView {
  platform: string;
  login: string;
  /** Null before any account event. */
  account: AccountState | null;
  positions: Position[];
  orders: Order[];
  epoch: string;
  seq: number;
}

/**
 * The client's local view of the trade state (`client.state`), kept consistent from each
 * subscribed topic's snapshot and the events after it, in seq order: latest tick per symbol,
 * each account's state, open positions and active orders, each platform's status and symbols,
 * the bars and depth book of subscribed symbols.
 * Only subscribed topics are known; a topic is forgotten when its last subscription ends.
 * Read it from a handler, a loop or the client's `change` event.
 */
export class TradeStateView {
  constructor(private readonly trackers: () => ReadonlyMap<string, TopicTracker>) {}

  /** The latest tick of a symbol; undefined before any (or when its topic is not subscribed). */
  tick(platform: string, symbol: string): Tick | undefined {
    return this.known(Topics.ticks(platform, symbol))?.state.tick;
  }

  /** The latest tick of every subscribed symbol of a platform. */
  ticks(platform: string): Tick[] {
    const prefix = `${Topics.allTicks(platform).slice(0, -1)}`;
    const ticks: Tick[] = [];
    for (const tracker of this.trackers().values()) {
      if (tracker.position && tracker.topic.startsWith(prefix) && tracker.state.tick) ticks.push(tracker.state.tick);
    }
    return ticks;
  }

  account(platform: string, login: string): LocalAccountView | undefined {
    const tracker = this.known(Topics.account(platform, login));
    if (!tracker?.position) return undefined;
    return {
      platform,
      login,
      account: tracker.state.account,
      positions: [...tracker.state.positions.values()],
      orders: [...tracker.state.orders.values()],
      epoch: tracker.position.epoch,
      seq: tracker.position.seq,
    };
  }

  /** Every known account of a platform (subscribed one by one or with `accounts/*`). */
  accounts(platform: string): LocalAccountView[] {
    const prefix = Topics.allAccounts(platform).slice(0, -1);
    const views: LocalAccountView[] = [];
    for (const tracker of this.trackers().values()) {
      if (!tracker.topic.startsWith(prefix)) continue;
      const view = this.account(platform, tracker.topic.slice(prefix.length));
      if (view) views.push(view);
    }
    return views;
  }

  /** The platform's status: null before any status event, undefined when its topic is not subscribed. */
  platformStatus(platform: string): PlatformStatus | null | undefined {
    const tracker = this.known(Topics.status(platform));
    return tracker ? tracker.state.status : undefined;
  }

  symbols(platform: string): SymbolInfo[] {
    return [...(this.known(Topics.symbols(platform))?.state.symbols.values() ?? [])];
  }

  /** The last bars of a symbol and timeframe, oldest first (the last is the current bar); empty when its topic is not subscribed. */
  bars(platform: string, symbol: string, timeframe: Timeframe): Bar[] {
    return [...(this.known(Topics.bars(platform, symbol, timeframe))?.state.bars.values() ?? [])];
  }

  /** The order book of a symbol: null before any depth event, undefined when its topic is not subscribed. */
  depth(platform: string, symbol: string): DepthBook | null | undefined {
    const tracker = this.known(Topics.depth(platform, symbol));
    return tracker ? tracker.state.depth : undefined;
  }

  /** The position (epoch, seq) of the last event applied to a concrete topic. */
  position(topic: string): TopicPosition | undefined {
    const position = this.trackers().get(topic)?.position;
    return position ? { ...position } : undefined;
  }

  /** The concrete topics known now. */
  topics(): string[] {
    return [...this.trackers().values()].filter((tracker) => tracker.position).map((tracker) => tracker.topic);
  }

  private known(topic: string): TopicTracker | undefined {
    const tracker = this.trackers().get(topic);
    return tracker?.position ? tracker : undefined;
  }
}
