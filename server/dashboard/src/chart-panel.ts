import {
  CandlestickSeries, ColorType, CrosshairMode, createChart, type CandlestickData, type IChartApi, type ISeriesApi, type UTCTimestamp,
} from 'lightweight-charts';
import { Topics, type Bar, type Subscription, type Tick, type Timeframe, type TradehubClient } from '@tradehub/client';
import { byId } from './dom.js';
import { TickBars } from './tick-bars.js';

/** Bars the chart keeps (the hub's snapshot holds up to `trade.barHistory`, 500 by default). */
const MAX_BARS = 1_000;

/**
 * The candlestick chart of one symbol and timeframe: from the hub's bars topic (snapshot, then
 * one `bar` event per tick), or, when the hub has none or refuses it, built here from the ticks.
 * The chart element carries `data-bars`, `data-ticks` and `data-source` for a look from tests.
 */
export class ChartPanel {
  private readonly chart: IChartApi;
  private readonly series: ISeriesApi<'Candlestick'>;
  /** Tick volume by bar open time (ms), oldest first: what the chart shows. */
  private readonly bars = new Map<number, number>();
  private subscription: Subscription | undefined;
  private fromTicks: TickBars | undefined;
  /** Bumped by each `show`, so that a late answer for an earlier choice is ignored. */
  private generation = 0;
  private digits: number | undefined;
  private lastTime: number | undefined;

  constructor(private readonly element: HTMLElement) {
    this.chart = createChart(element, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: '#0f141b' }, textColor: '#8b97a6', fontSize: 11, attributionLogo: false },
      grid: { vertLines: { color: '#1b232e' }, horzLines: { color: '#1b232e' } },
      crosshair: { mode: CrosshairMode.Normal },
      rightPriceScale: { borderColor: '#263140' },
      timeScale: { borderColor: '#263140', timeVisible: true, secondsVisible: false, barSpacing: 9, rightOffset: 4 },
    });
    this.series = this.chart.addSeries(CandlestickSeries, {
      upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350',
    });
  }

  /** Shows a symbol: subscribes to its bars topic, or falls back to its ticks when that is refused. */
  async show(client: TradehubClient, platform: string, symbol: string, timeframe: Timeframe, digits: number | undefined): Promise<void> {
    const generation = ++this.generation;
    this.stop();
    this.digits = digits;
    this.applyDigits();
    byId('chart-title').textContent = `${symbol} · ${timeframe}`;
    try {
      const subscription = await client.subscribe(Topics.bars(platform, symbol, timeframe), (item) => {
        // Items may come before the subscription resolves: those of an earlier choice are dropped.
        if (generation !== this.generation) return;
        if (item.kind === 'snapshot' && item.snapshot.kind === 'bars') this.replace(item.snapshot.bars);
        else if (item.kind === 'event' && item.event.type === 'bar') this.update(item.event.data);
      });
      if (generation !== this.generation) subscription.unsubscribe();
      else this.subscription = subscription;
      this.setSource('bars');
    } catch {
      if (generation !== this.generation) return;
      // A hub without bars topics (or a token without them): build candles from the ticks from now on.
      this.replace([]);
      this.fromTicks = new TickBars(symbol, timeframe);
      this.setSource('ticks');
    }
  }

  /** Every tick of the platform; used only while candles are built here. */
  onTick(tick: Tick): void {
    const bar = this.fromTicks?.add(tick);
    if (bar) this.update(bar);
  }

  /** The symbol's digits became known (its symbols topic may come after the first bars). */
  setDigits(digits: number | undefined): void {
    if (digits === this.digits) return;
    this.digits = digits;
    this.applyDigits();
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.fromTicks = undefined;
  }

  /** Unsubscribes and takes the chart off the page. */
  remove(): void {
    this.stop();
    this.chart.remove();
  }

  private replace(bars: readonly Bar[]): void {
    this.bars.clear();
    this.lastTime = bars.at(-1)?.time;
    const recent = bars.slice(-MAX_BARS);
    for (const bar of recent) this.bars.set(bar.time, bar.tickVolume);
    this.series.setData(recent.map(candle));
    this.chart.timeScale().scrollToRealTime();
    this.publishCounts();
  }

  private update(bar: Bar): void {
    // The chart only takes the current bar or a newer one.
    if (this.lastTime !== undefined && bar.time < this.lastTime) return;
    this.lastTime = bar.time;
    this.bars.set(bar.time, bar.tickVolume);
    if (this.bars.size > MAX_BARS) this.bars.delete(this.bars.keys().next().value as number);
    this.series.update(candle(bar));
    this.publishCounts();
  }

  private applyDigits(): void {
    if (this.digits === undefined) return;
    this.series.applyOptions({ priceFormat: { type: 'price', precision: this.digits, minMove: 10 ** -this.digits } });
  }

  private setSource(source: 'bars' | 'ticks'): void {
    this.element.dataset.source = source;
    byId('chart-source').textContent = source === 'bars' ? 'hub bars' : 'built from ticks';
  }

  private publishCounts(): void {
    let ticks = 0;
    for (const volume of this.bars.values()) ticks += volume;
    this.element.dataset.bars = String(this.bars.size);
    this.element.dataset.ticks = String(ticks);
  }
}

function candle(bar: Bar): CandlestickData<UTCTimestamp> {
  return { time: (bar.time / 1000) as UTCTimestamp, open: bar.open, high: bar.high, low: bar.low, close: bar.close };
}
