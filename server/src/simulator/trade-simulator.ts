import type { TradeEventInput } from '@tradehub/shared';
import type { Logger } from 'pino';
import { SimulatedAccount } from './simulated-account.js';
import { askOf, bidOf, priceOf, simulatedSymbols, type SimulatedSymbol } from './simulated-market.js';

/** Where simulated events go: the broker in the embedded demo, a remote hub's Publish for `tradehub simulate`. */
export type SimulatedEventSink = (events: TradeEventInput[]) => Promise<unknown>;

export interface TradeSimulatorOptions {
  platformId: string;
  /** The login whose account, positions, orders and deals are simulated. */
  login: string;
  /** Ticks per second for each symbol. */
  ticksPerSecond: number;
}

/**
 * A made-up trade platform for the embedded demo, so that `npm start` shows live data: quotes
 * on a random walk with a small depth book around each (bars come from its ticks), and one
 * account (also reachable as a terminal, see simulated-terminal.ts) that opens and closes a
 * position now and then. It only makes events and sends them, in order,
 * to its sink: the broker in the embedded demo, a remote hub's Publish for `tradehub simulate`.
 */
export class TradeSimulator {
  readonly account: SimulatedAccount;
  private readonly symbols = simulatedSymbols();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Publishes one after the other, so that events reach their topics in the order they happened. */
  private publishing: Promise<void> = Promise.resolve();

  constructor(private readonly sink: SimulatedEventSink, private readonly options: TradeSimulatorOptions, private readonly logger: Logger) {
    this.account = new SimulatedAccount(options.platformId, options.login, {
      find: (symbol) => this.symbols.find((candidate) => candidate.symbol === symbol),
      any: () => this.symbols[Math.floor(Math.random() * this.symbols.length)] as SimulatedSymbol,
    });
  }

  get platformId(): string {
    return this.options.platformId;
  }

  /** Sends the initial events (rejects when the sink refuses them), then keeps sending until stop(). */
  async start(): Promise<void> {
    const now = Date.now();
    await this.publish([
      { type: 'platform.status', platformId: this.options.platformId, data: { state: 'connected', serverTimeOffsetMs: 0, time: now } },
      ...this.symbols.map((s): TradeEventInput => ({
        type: 'symbol', platformId: this.options.platformId,
        data: {
          symbol: s.symbol, digits: s.digits, description: `${s.currencyBase} against ${s.currencyProfit} (simulated)`,
          currencyBase: s.currencyBase, currencyProfit: s.currencyProfit, contractSize: s.contractSize,
          volumeMin: 100, volumeMax: 1_000_000, volumeStep: 100, time: now,
        },
      })),
      this.account.accountEvent(),
      ...this.symbols.flatMap((symbol) => this.quote(symbol)),
    ]);
    this.every(1000 / this.options.ticksPerSecond, () => this.publishLogged(this.symbols.flatMap((symbol) => this.quote(symbol))));
    this.every(4_000, () => this.publishLogged(this.account.autoTrade()));
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  /** Sends events after every earlier batch; rejects when the sink cannot take them. */
  publish(events: TradeEventInput[]): Promise<void> {
    const published = this.publishing.then(async () => {
      await this.sink(events);
    });
    this.publishing = published.catch(() => undefined);
    return published;
  }

  private every(ms: number, work: () => Promise<void>): void {
    const timer = setInterval(() => void work(), ms);
    timer.unref();
    this.timers.push(timer);
  }

  private async publishLogged(events: TradeEventInput[]): Promise<void> {
    try {
      await this.publish(events);
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
    return {
      type: 'tick', platformId: this.options.platformId,
      data: { symbol: symbol.symbol, bid: bidOf(symbol), ask: askOf(symbol), time: Date.now() },
    };
  }
}
