import type { TradeEventInput } from '@tradehub/shared';
import type { Logger } from 'pino';
import { SimulatedPlatform, type SimulatedPlatformOptions } from './simulated-platform.js';

export interface TradeSimulatorOptions extends SimulatedPlatformOptions {
  /** Ticks per second for each symbol. */
  ticksPerSecond: number;
}

/** Where simulated events go: the broker in the embedded demo, a remote hub's Publish for `tradehub simulate`. */
export type SimulatedEventSink = (events: TradeEventInput[]) => Promise<unknown>;

const TRADE_EVERY_MS = 4_000;

/**
 * Runs a SimulatedPlatform on timers, so that `npm start` shows live data: ticks at the given
 * rate, a trade every few seconds. A batch that cannot be published is logged and skipped.
 */
export class TradeSimulator {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly platform: SimulatedPlatform;

  constructor(private readonly sink: SimulatedEventSink, private readonly options: TradeSimulatorOptions, private readonly logger: Logger) {
    this.platform = new SimulatedPlatform(options);
  }

  /** Publishes the initial events (rejects when they cannot be), then keeps publishing until stop(). */
  async start(): Promise<void> {
    await this.sink(this.platform.initialEvents());
    this.every(1000 / this.options.ticksPerSecond, () => this.publish(this.platform.tickEvents()));
    this.every(TRADE_EVERY_MS, () => this.publish(this.platform.tradeEvents()));
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
      await this.sink(events);
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message }, 'simulator could not publish');
    }
  }
}
