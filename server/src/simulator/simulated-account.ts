import {
  TradeRetcode, type Deal, type GetHistoryRequest, type HistoryResult, type Order, type OrderCloseRequest, type OrderModifyRequest,
  type OrderSendRequest, type Position, type TradeEventInput, type TradeResult,
} from '@tradehub/shared';
import { HubError } from '../hub/hub-error.js';
import { askOf, bidOf, priceOf, type SimulatedSymbol } from './simulated-market.js';

interface OpenPosition {
  position: string;
  symbol: SimulatedSymbol;
  direction: 'buy' | 'sell';
  volume: number;
  priceOpen: number;
  sl?: number;
  tp?: number;
}

/** What an order request did: the terminal's result, and the account's events in the order they happened. */
export interface AccountChange<R> {
  result: R;
  events: TradeEventInput[];
}

/** Deals and orders the account remembers for `GetHistory`. */
const HISTORY_KEPT = 1_000;
const MARGIN_PER_POSITION = 250;

/**
 * The demo's one simulated account: positions, pending orders, balance and history. Orders fill
 * at once at the simulated price (buy at the ask, sell at the bid); pending orders stay placed
 * until deleted. Every change comes with its events: order, deal, position, account.
 */
export class SimulatedAccount {
  private nextTicket = 1_000_000;
  private balance = 10_000;
  private readonly positions = new Map<string, OpenPosition>();
  private readonly pending = new Map<string, Order>();
  private readonly deals: Deal[] = [];
  private readonly orders: Order[] = [];
  /** The position the background activity opened, which it closes next time. */
  private autoPosition: string | undefined;

  constructor(
    private readonly platformId: string,
    readonly login: string,
    private readonly market: { find(symbol: string): SimulatedSymbol | undefined; any(): SimulatedSymbol },
  ) {}

  /** Background activity, so that the demo moves on its own: opens a position, and closes it next time. */
  autoTrade(): TradeEventInput[] {
    const open = this.autoPosition !== undefined ? this.positions.get(this.autoPosition) : undefined;
    if (open) {
      this.autoPosition = undefined;
      return this.close(open, open.volume).events;
    }
    const symbol = this.market.any();
    const change = this.fill(symbol, Math.random() < 0.5 ? 'buy' : 'sell', 1_000, {});
    this.autoPosition = change.result.position;
    return change.events;
  }

  orderSend(request: OrderSendRequest): AccountChange<TradeResult> {
    const symbol = this.market.find(request.symbol);
    if (!symbol) throw new HubError(`Unknown symbol '${request.symbol}'.`);
    if (request.type === 'buy' || request.type === 'sell') return this.fill(symbol, request.type, request.volume, request);
    if (request.price === undefined) return { result: { retcode: TradeRetcode.InvalidPrice, description: 'A pending order needs a price.', time: Date.now() }, events: [] };
    const time = Date.now();
    const order: Order = {
      order: this.ticket(), login: this.login, symbol: symbol.symbol, type: request.type, state: 'placed',
      volumeInitial: request.volume, volumeCurrent: request.volume, priceOpen: request.price,
      ...stops(request), timeSetup: time, time,
    };
    this.pending.set(order.order, order);
    this.remember(this.orders, order);
    return { result: { retcode: TradeRetcode.Placed, description: 'Order placed', order: order.order, volume: order.volumeInitial, price: order.priceOpen, time }, events: [this.event('order', order)] };
  }

  orderModify(request: OrderModifyRequest): AccountChange<TradeResult> {
    const time = Date.now();
    const position = this.positions.get(request.ticket);
    if (position) {
      if (request.sl !== undefined) position.sl = request.sl;
      if (request.tp !== undefined) position.tp = request.tp;
      return { result: { retcode: TradeRetcode.Done, description: 'Position modified', position: position.position, time }, events: [this.event('position', this.positionData(position, position.volume)), this.accountEvent()] };
    }
    const order = this.pending.get(request.ticket);
    if (!order) throw new HubError(`No open position or pending order has ticket ${request.ticket}.`);
    const changed: Order = { ...order, ...(request.price !== undefined ? { priceOpen: request.price } : {}), ...stops(request), time };
    this.pending.set(order.order, changed);
    return { result: { retcode: TradeRetcode.Done, description: 'Order modified', order: order.order, time }, events: [this.event('order', changed)] };
  }

  orderClose(request: OrderCloseRequest): AccountChange<TradeResult> {
    const position = this.positions.get(request.ticket);
    if (position) {
      const volume = request.volume ?? position.volume;
      if (volume > position.volume) return { result: { retcode: TradeRetcode.InvalidVolume, description: 'More than the position holds.', time: Date.now() }, events: [] };
      if (this.autoPosition === position.position && volume === position.volume) this.autoPosition = undefined;
      return this.close(position, volume);
    }
    const order = this.pending.get(request.ticket);
    if (!order) throw new HubError(`No open position or pending order has ticket ${request.ticket}.`);
    const time = Date.now();
    const canceled: Order = { ...order, state: 'canceled', timeDone: time, time };
    this.pending.delete(order.order);
    this.remember(this.orders, canceled);
    return { result: { retcode: TradeRetcode.Done, description: 'Order deleted', order: order.order, time }, events: [this.event('order', canceled)] };
  }

  history(request: GetHistoryRequest): HistoryResult {
    const within = (item: { time: number }): boolean => item.time >= request.from && item.time <= request.to;
    return { deals: this.deals.filter(within), orders: this.orders.filter(within) };
  }

  accountEvent(): TradeEventInput {
    const floating = [...this.positions.values()].reduce((sum, position) => sum + profitOf(position), 0);
    const margin = this.positions.size * MARGIN_PER_POSITION;
    const equity = Number((this.balance + floating).toFixed(2));
    return this.event('account', {
      login: this.login, balance: Number(this.balance.toFixed(2)), credit: 0, equity, margin,
      marginFree: Number((equity - margin).toFixed(2)), marginLevel: margin > 0 ? Number((equity / margin * 100).toFixed(2)) : null,
      currency: 'USD', leverage: 100, time: Date.now(),
    });
  }

  /** A market order: filled at once; its order, deal, position and account events, in that order. */
  private fill(symbol: SimulatedSymbol, direction: 'buy' | 'sell', volume: number, request: Partial<Pick<OrderSendRequest, 'sl' | 'tp'>>): AccountChange<TradeResult> & { result: { position: string } } {
    const time = Date.now();
    const price = direction === 'buy' ? askOf(symbol) : bidOf(symbol);
    const order: Order = {
      order: this.ticket(), login: this.login, symbol: symbol.symbol, type: direction, state: 'filled',
      volumeInitial: volume, volumeCurrent: 0, priceOpen: price, ...stops(request), timeSetup: time, timeDone: time, time,
    };
    const position: OpenPosition = { position: order.order, symbol, direction, volume, priceOpen: price, ...stops(request) };
    this.positions.set(position.position, position);
    const deal: Deal = {
      deal: this.ticket(), order: order.order, position: position.position, login: this.login, symbol: symbol.symbol, action: direction,
      entry: 'in', volume, price, profit: 0, commission: -0.7, swap: 0, time,
    };
    this.balance += deal.commission;
    this.remember(this.orders, order);
    this.remember(this.deals, deal);
    return {
      result: { retcode: TradeRetcode.Done, description: 'Request executed', order: order.order, deal: deal.deal, position: position.position, volume, price, time },
      events: [this.event('order', order), this.event('deal', deal), this.event('position', this.positionData(position, volume)), this.accountEvent()],
    };
  }

  /** Closes `volume` of a position with an opposite market order. */
  private close(position: OpenPosition, volume: number): AccountChange<TradeResult> {
    const time = Date.now();
    const direction = position.direction === 'buy' ? 'sell' : 'buy';
    const price = direction === 'buy' ? askOf(position.symbol) : bidOf(position.symbol);
    const profit = Number((profitOf(position) * volume / position.volume).toFixed(2));
    const order: Order = {
      order: this.ticket(), login: this.login, symbol: position.symbol.symbol, type: direction, state: 'filled',
      volumeInitial: volume, volumeCurrent: 0, priceOpen: price, timeSetup: time, timeDone: time, time,
    };
    const deal: Deal = {
      deal: this.ticket(), order: order.order, position: position.position, login: this.login, symbol: position.symbol.symbol, action: direction,
      entry: 'out', volume, price, profit, commission: -0.7, swap: 0, time,
    };
    this.balance += profit + deal.commission;
    position.volume -= volume;
    const positionData = this.positionData(position, position.volume);
    if (position.volume === 0) this.positions.delete(position.position);
    this.remember(this.orders, order);
    this.remember(this.deals, deal);
    return {
      result: { retcode: TradeRetcode.Done, description: 'Request executed', order: order.order, deal: deal.deal, position: position.position, volume, price, time },
      events: [this.event('order', order), this.event('deal', deal), this.event('position', positionData), this.accountEvent()],
    };
  }

  private positionData(position: OpenPosition, volume: number): Position {
    return {
      position: position.position, login: this.login, symbol: position.symbol.symbol, direction: position.direction, volume,
      priceOpen: position.priceOpen, priceCurrent: priceOf(position.symbol, position.symbol.mid), ...stops(position),
      profit: profitOf(position), swap: 0, time: Date.now(),
    };
  }

  private event<T extends 'order' | 'deal' | 'position' | 'account'>(type: T, data: Extract<TradeEventInput, { type: T }>['data']): TradeEventInput {
    return { type, platformId: this.platformId, data } as TradeEventInput;
  }

  private ticket(): string {
    return String(this.nextTicket++);
  }

  private remember<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > HISTORY_KEPT) list.shift();
  }
}

function stops(source: { sl?: number | undefined; tp?: number | undefined }): { sl?: number; tp?: number } {
  return { ...(source.sl !== undefined ? { sl: source.sl } : {}), ...(source.tp !== undefined ? { tp: source.tp } : {}) };
}

function profitOf(position: OpenPosition): number {
  const { symbol, direction, volume, priceOpen } = position;
  const lots = volume / 10_000;
  const move = (symbol.mid - priceOpen) * (direction === 'buy' ? 1 : -1);
  return Number((move * lots * symbol.contractSize / (symbol.currencyProfit === 'JPY' ? symbol.mid : 1)).toFixed(2));
}
