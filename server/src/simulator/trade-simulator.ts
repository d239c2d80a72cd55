import type { TradeEventInput } from '@tradehub/shared';
import type { Logger } from 'pino';
import type { TradeBroker } from '../trade/broker/trade-broker.js';

interface SimulatedSymbol {
  symbol: string;
  digits: number;
  mid: number;
  spread: number;
  /** Typical move per tick, as a fraction of the price. */
  volatility: number;
  currencyBase: string;
  currencyProfit: string;
  contractSize: number;
}

const SYMBOLS: SimulatedSymbol[] = [
  { symbol: 'EURUSD', digits: 5, mid: 1.0842, spread: 0.00012, volatility: 0.00004, currencyBase: 'EUR', currencyProfit: 'USD', contractSize: 100_000 },
  { symbol: 'GBPUSD', digits: 5, mid: 1.2705, spread: 0.00015, volatility: 0.00005, currencyBase: 'GBP', currencyProfit: 'USD', contractSize: 100_000 },
  { symbol: 'USDJPY', digits: 3, mid: 151.42, spread: 0.012, volatility: 0.00004, currencyBase: 'USD', currencyProfit: 'JPY', contractSize: 100_000 },
  { symbol: 'XAUUSD', digits: 2, mid: 2384.5, spread: 0.3, volatility: 0.00008, currencyBase: 'XAU', currencyProfit: 'USD', contractSize: 100 },
];

/** A price with the symbol's digits, as a platform quotes it. */
function priceOf(symbol: SimulatedSymbol, price: number): number {
  return Number(price.toFixed(symbol.digits));
}

export interface TradeSimulatorOptions {
  platformId: string;
  /** The login whose account, positions, orders and deals are simulated. */
  login: string;
  /** Ticks per second for each symbol. */
  ticksPerSecond: number;
}

/**
 * A made-up trade platform for the embedded demo, so that `npm start` shows live data: quotes
 * on a random walk with a small depth book around each, and one account that opens and closes
 * positions now and then. It publishes through the broker like any feed (bars come from its ticks).
 */
export class TradeSimulator {
  private readonly timers: NodeJS.Timeout[] = [];
  private nextTicket = 1_000_000;
  private balance = 10_000;
  private open: { position: string; symbol: SimulatedSymbol; direction: 'buy' | 'sell'; volume: number; priceOpen: number } | undefined;

  constructor(private readonly broker: TradeBroker, private readonly options: TradeSimulatorOptions, private readonly logger: Logger) {}

  async start(): Promise<void> {
    const now = Date.now();
    await this.publish([
      { type: 'platform.status', platformId: this.options.platformId, data: { state: 'connected', serverTimeOffsetMs: 0, time: now } },
      ...SYMBOLS.map((s): TradeEventInput => ({
        type: 'symbol', platformId: this.options.platformId,
        data: {
          symbol: s.symbol, digits: s.digits, description: `${s.currencyBase} against ${s.currencyProfit} (simulated)`,
          currencyBase: s.currencyBase, currencyProfit: s.currencyProfit, contractSize: s.contractSize,
          volumeMin: 100, volumeMax: 1_000_000, volumeStep: 100, time: now,
        },
      })),
      this.accountEvent(0),
      ...SYMBOLS.flatMap((symbol) => this.quote(symbol)),
    ]);
    this.every(1000 / this.options.ticksPerSecond, () => this.publish(SYMBOLS.flatMap((symbol) => this.quote(symbol))));
    this.every(4_000, () => this.publish(this.tradeEvents()));
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  private every(ms: number, work: () => Promise<void>): void {
    const timer = setInterval(() => void work(), ms);
    timer.unref();
    this.timers.push(timer);
  }

  private async publish(events: TradeEventInput[]): Promise<void> {
    try {
      await this.broker.publish(events);
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message }, 'simulator could not publish');
    }
  }

  /** A new tick of the symbol and the depth book around it. */
  private quote(symbol: SimulatedSymbol): TradeEventInput[] {
    const tick = this.tick(symbol);
    return [tick, this.depth(symbol, tick.data.time)];
  }

  /** Five levels a side, a spread apart, the volume growing away from the price. */
  private depth(symbol: SimulatedSymbol, time: number): Extract<TradeEventInput, { type: 'depth' }> {
    const levels = [1, 2, 3, 4, 5];
    const volumeAt = (level: number): number => level * 10_000 + Math.floor(Math.random() * 10) * 1_000;
    return {
      type: 'depth', platformId: this.options.platformId,
      data: {
        symbol: symbol.symbol, time,
        bids: levels.map((level) => ({ price: priceOf(symbol, symbol.mid - symbol.spread * (level - 0.5)), volume: volumeAt(level) })),
        asks: levels.map((level) => ({ price: priceOf(symbol, symbol.mid + symbol.spread * (level - 0.5)), volume: volumeAt(level) })),
      },
    };
  }

  private tick(symbol: SimulatedSymbol): Extract<TradeEventInput, { type: 'tick' }> {
    symbol.mid *= 1 + (Math.random() - 0.5) * 2 * symbol.volatility;
    const round = (price: number): number => priceOf(symbol, price);
    return {
      type: 'tick', platformId: this.options.platformId,
      data: { symbol: symbol.symbol, bid: round(symbol.mid - symbol.spread / 2), ask: round(symbol.mid + symbol.spread / 2), time: Date.now() },
    };
  }

  /** Opens a position when none is open, closes it otherwise: a deal, the position, and the account each time. */
  private tradeEvents(): TradeEventInput[] {
    const { platformId, login } = this.options;
    const time = Date.now();
    const ticket = (): string => String(this.nextTicket++);
    if (!this.open) {
      const symbol = SYMBOLS[Math.floor(Math.random() * SYMBOLS.length)] as SimulatedSymbol;
      const direction = Math.random() < 0.5 ? 'buy' : 'sell';
      const opened = { position: ticket(), symbol, direction, volume: 1_000, priceOpen: priceOf(symbol, symbol.mid) } as const;
      this.open = { ...opened };
      return [
        { type: 'deal', platformId, data: { deal: ticket(), order: ticket(), position: opened.position, login, symbol: symbol.symbol, action: direction, entry: 'in', volume: opened.volume, price: opened.priceOpen, profit: 0, commission: -0.7, swap: 0, time } },
        { type: 'position', platformId, data: this.positionData(opened.volume, time) },
        this.accountEvent(this.floatingProfit()),
      ];
    }
    const profit = this.floatingProfit();
    const closing = this.open;
    this.balance += profit;
    const events: TradeEventInput[] = [
      { type: 'deal', platformId, data: { deal: ticket(), order: ticket(), position: closing.position, login, symbol: closing.symbol.symbol, action: closing.direction === 'buy' ? 'sell' : 'buy', entry: 'out', volume: closing.volume, price: priceOf(closing.symbol, closing.symbol.mid), profit, commission: -0.7, swap: 0, time } },
      { type: 'position', platformId, data: this.positionData(0, time) },
    ];
    this.open = undefined;
    events.push(this.accountEvent(0));
    return events;
  }

  private positionData(volume: number, time: number): Extract<TradeEventInput, { type: 'position' }>['data'] {
    const open = this.open as NonNullable<TradeSimulator['open']>;
    return {
      position: open.position, login: this.options.login, symbol: open.symbol.symbol, direction: open.direction, volume,
      priceOpen: open.priceOpen, priceCurrent: priceOf(open.symbol, open.symbol.mid), profit: this.floatingProfit(), swap: 0, time,
    };
  }

  private floatingProfit(): number {
    if (!this.open) return 0;
    const { symbol, direction, volume, priceOpen } = this.open;
    const lots = volume / 10_000;
    const move = (symbol.mid - priceOpen) * (direction === 'buy' ? 1 : -1);
    return Number((move * lots * symbol.contractSize / (symbol.currencyProfit === 'JPY' ? symbol.mid : 1)).toFixed(2));
  }

  private accountEvent(floating: number): TradeEventInput {
    const margin = this.open ? 250 : 0;
    const equity = Number((this.balance + floating).toFixed(2));
    return {
      type: 'account', platformId: this.options.platformId,
      data: {
        login: this.options.login, balance: Number(this.balance.toFixed(2)), credit: 0, equity, margin,
        marginFree: Number((equity - margin).toFixed(2)), marginLevel: margin > 0 ? Number((equity / margin * 100).toFixed(2)) : null,
        currency: 'USD', leverage: 100, time: Date.now(),
      },
    };
  }
}
