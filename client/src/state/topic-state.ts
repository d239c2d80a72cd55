import type {
  AccountState, Bar, DepthBook, Order, ParsedTopic, PlatformStatus, Position, SymbolInfo, Tick, TopicSnapshot, TradeEnvelope,
} from '@tradehub/shared';

/** Orders in these states are done: they leave the open orders, as on the server. */
const FINAL_ORDER_STATES: ReadonlySet<Order['state']> = new Set(['filled', 'canceled', 'rejected', 'expired']);

/**
 * The current state of one concrete topic, kept from its snapshot and the events after it with
 * the server's own rules: the latest tick; an account's state, open positions (volume 0 closes
 * one) and active orders (final states remove one); the platform status; the symbols; the last
 * `barHistory` bars (a bar event replaces the bar of its time or adds one); the depth book (each
 * depth event replaces it). Deals and margin events are history, not state.
 */
export class TopicState {
  tick: Tick | undefined;
  account: AccountState | null = null;
  readonly positions = new Map<string, Position>();
  readonly orders = new Map<string, Order>();
  status: PlatformStatus | null = null;
  readonly symbols = new Map<string, SymbolInfo>();
  /** Bars by open time, oldest first. */
  readonly bars = new Map<number, Bar>();
  depth: DepthBook | null = null;
  /** Most bars kept: as many as the server's snapshot held, at least `DEFAULT_BAR_HISTORY`. */
  private barHistory = DEFAULT_BAR_HISTORY;

  constructor(readonly topic: ParsedTopic) {}

  apply(envelope: TradeEnvelope): void {
    switch (envelope.type) {
      case 'tick':
        this.tick = envelope.data;
        break;
      case 'account':
        this.account = envelope.data;
        break;
      case 'position':
        if (envelope.data.volume === 0) this.positions.delete(envelope.data.position);
        else this.positions.set(envelope.data.position, envelope.data);
        break;
      case 'order':
        if (FINAL_ORDER_STATES.has(envelope.data.state)) this.orders.delete(envelope.data.order);
        else this.orders.set(envelope.data.order, envelope.data);
        break;
      case 'platform.status':
        this.status = envelope.data;
        break;
      case 'symbol':
        this.symbols.set(envelope.data.symbol, envelope.data);
        break;
      case 'bar':
        this.addBar(envelope.data);
        break;
      case 'depth':
        this.depth = envelope.data;
        break;
      case 'deal':
      case 'margin':
      case 'terminal.status':
        break;
    }
  }

  /** Replaces everything with a snapshot from the server. */
  replace(snapshot: TopicSnapshot): void {
    this.tick = undefined;
    this.account = null;
    this.positions.clear();
    this.orders.clear();
    this.status = null;
    this.symbols.clear();
    this.bars.clear();
    this.depth = null;
    switch (snapshot.kind) {
      case 'ticks':
        this.tick = snapshot.ticks.at(-1);
        break;
      case 'accounts': {
        const account = snapshot.accounts[0];
        if (!account) break;
        this.account = account.account;
        for (const position of account.positions) this.positions.set(position.position, position);
        for (const order of account.orders) this.orders.set(order.order, order);
        break;
      }
      case 'status':
        this.status = snapshot.status;
        break;
      case 'symbols':
        for (const symbol of snapshot.symbols) this.symbols.set(symbol.symbol, symbol);
        break;
      case 'margin':
        break;
      case 'bars':
        this.barHistory = Math.max(DEFAULT_BAR_HISTORY, snapshot.bars.length);
        for (const bar of snapshot.bars) this.addBar(bar);
        break;
      case 'depth':
        this.depth = snapshot.depth;
        break;
    }
  }

  /** The state as a snapshot of the shared contract: what a new consumer starts from. */
  snapshot(): TopicSnapshot {
    switch (this.topic.kind) {
      case 'ticks':
        return { kind: 'ticks', ticks: this.tick ? [this.tick] : [] };
      case 'accounts':
        return {
          kind: 'accounts',
          accounts: [{ login: this.topic.key ?? '', account: this.account, positions: [...this.positions.values()], orders: [...this.orders.values()] }],
        };
      case 'status':
        return { kind: 'status', status: this.status };
      case 'symbols':
        return { kind: 'symbols', symbols: [...this.symbols.values()] };
      case 'margin':
        return { kind: 'margin' };
      case 'bars':
        return { kind: 'bars', bars: [...this.bars.values()] };
      case 'depth':
        return { kind: 'depth', depth: this.depth };
    }
  }

  /** Bars arrive in time order (the server ignores older ticks), so that the map stays sorted; the oldest goes past the limit. */
  private addBar(bar: Bar): void {
    this.bars.set(bar.time, bar);
    if (this.bars.size <= this.barHistory) return;
    const oldest = this.bars.keys().next();
    if (!oldest.done) this.bars.delete(oldest.value);
  }
}

/** The server's default `trade.barHistory`. */
const DEFAULT_BAR_HISTORY = 500;
