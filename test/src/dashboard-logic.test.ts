import assert from 'node:assert/strict';
import type { Position, SymbolInfo, Tick } from '@tradehub/client';
import { liveProfit } from '../../server/dashboard/dist/js/live-profit.js';
import { operatorReadings } from '../../server/dashboard/dist/js/operator-readings.js';
import { parsePrometheusText, total } from '../../server/dashboard/dist/js/prometheus-text.js';
import { TickBars } from '../../server/dashboard/dist/js/tick-bars.js';

const tick = (bid: number, time: number, symbol = 'EURUSD'): Tick => ({ symbol, bid, ask: bid + 0.0002, time });

describe('dashboard: what the page computes', () => {
  describe('reading /metrics', () => {
    it('reads samples with labels, escapes and exponents, and skips what it does not understand', () => {
      const samples = parsePrometheusText([
        '# HELP signalr_server_active_connections Open connections',
        '# TYPE signalr_server_active_connections gauge',
        'signalr_server_active_connections{hub="trade",transport="websockets",protocol="json"} 3',
        'signalr_server_active_connections{hub="terminal",transport="websockets",protocol="json"} 2',
        'tradehub_errors_total{reason="say \\"no\\", twice"} 1.5e1',
        'process_resident_memory_bytes 52428800 1795443306329',
        'broken{label="unterminated} 4',
        'not a sample',
        'nan_gauge NaN',
      ].join('\n'));
      assert.equal(total(samples, 'signalr_server_active_connections'), 5);
      assert.equal(total(samples, 'signalr_server_active_connections', (labels) => labels.hub === 'trade'), 3);
      assert.deepEqual(samples.find((sample) => sample.name === 'tradehub_errors_total')?.labels, { reason: 'say "no", twice' });
      assert.equal(total(samples, 'tradehub_errors_total'), 15);
      assert.equal(total(samples, 'process_resident_memory_bytes'), 52_428_800);
      assert.equal(total(samples, 'broken'), undefined);
      assert.equal(total(samples, 'nan_gauge'), undefined);
    });

    it('turns two scrapes into rates and mean latencies (the node\'s metric names), and leaves what the node does not expose undefined', () => {
      const scrape = (at: number, text: string) => ({ at, samples: parsePrometheusText(text) });
      const first = scrape(10_000, [
        'process_cpu_seconds_total 1', 'tradehub_hub_messages_total{hub="trade",direction="in"} 100', 'tradehub_hub_messages_total{hub="trade",direction="out"} 1000',
        'tradehub_redis_command_duration_seconds_sum 0.5', 'tradehub_redis_command_duration_seconds_count 100',
        'tradehub_events_delivered_total{kind="ticks"} 50', 'tradehub_fanout_latency_seconds_sum 0.1', 'tradehub_fanout_latency_seconds_count 10',
      ].join('\n'));
      const second = scrape(12_000, [
        'process_cpu_seconds_total 1.5', 'tradehub_hub_messages_total{hub="trade",direction="in"} 120', 'tradehub_hub_messages_total{hub="trade",direction="out"} 3000',
        'tradehub_redis_command_duration_seconds_sum 0.7', 'tradehub_redis_command_duration_seconds_count 200',
        'tradehub_events_delivered_total{kind="ticks"} 90', 'tradehub_events_delivered_total{kind="accounts"} 4',
        'tradehub_fanout_latency_seconds_sum 0.1', 'tradehub_fanout_latency_seconds_count 10', 'tradehub_terminals_online 1',
      ].join('\n'));
      const readings = operatorReadings(first, second);
      assert.equal(readings.cpuPercent, 25);
      assert.equal(readings.messagesInPerSecond, 10);
      assert.equal(readings.messagesOutPerSecond, 1000);
      assert.ok(Math.abs((readings.redisLagMs ?? 0) - 2) < 1e-9);
      assert.equal(readings.eventsDeliveredPerSecond, 22);
      // No fan-out in the interval: no mean to show.
      assert.equal(readings.fanoutLatencyMs, undefined);
      assert.equal(readings.terminalsOnline, 1);
      assert.equal(readings.connections, undefined);
      assert.equal(readings.residentBytes, undefined);
      assert.deepEqual(readings.series.map((series) => series.name), [
        'tradehub_events_delivered_total', 'tradehub_fanout_latency_seconds_count', 'tradehub_fanout_latency_seconds_sum', 'tradehub_hub_messages_total',
        'tradehub_redis_command_duration_seconds_count', 'tradehub_redis_command_duration_seconds_sum', 'tradehub_terminals_online',
      ]);
      assert.equal(readings.series.find((series) => series.name === 'tradehub_hub_messages_total')?.perSecond, 1010);
      // One scrape has no rates yet.
      assert.equal(operatorReadings(undefined, second).cpuPercent, undefined);
    });
  });

  describe('candles from ticks (for hubs without bars topics)', () => {
    it('builds M1 bars from bids, opens a new bar on the next minute, and ignores other symbols and older ticks', () => {
      const bars = new TickBars('EURUSD', 'M1');
      const minute = 1_795_443_300_000;
      assert.deepEqual(bars.add(tick(1.1, minute + 1_000)), { symbol: 'EURUSD', timeframe: 'M1', time: minute, open: 1.1, high: 1.1, low: 1.1, close: 1.1, tickVolume: 1 });
      bars.add(tick(1.3, minute + 2_000));
      assert.deepEqual(bars.add(tick(1.05, minute + 59_999)), { symbol: 'EURUSD', timeframe: 'M1', time: minute, open: 1.1, high: 1.3, low: 1.05, close: 1.05, tickVolume: 3 });
      assert.equal(bars.add(tick(2, minute + 3_000, 'GBPUSD')), undefined);
      assert.deepEqual(bars.add(tick(1.2, minute + 60_000)), { symbol: 'EURUSD', timeframe: 'M1', time: minute + 60_000, open: 1.2, high: 1.2, low: 1.2, close: 1.2, tickVolume: 1 });
      assert.equal(bars.add(tick(1.0, minute + 30_000)), undefined);
    });
  });

  describe('live profit of a position', () => {
    const position: Position = {
      position: '1', login: '5001', symbol: 'EURUSD', direction: 'buy', volume: 5_000, priceOpen: 1.1, priceCurrent: 1.1, profit: 7, swap: 0, time: 0,
    };
    const eurusd: SymbolInfo = {
      symbol: 'EURUSD', digits: 5, currencyBase: 'EUR', currencyProfit: 'USD', contractSize: 100_000, volumeMin: 100, volumeMax: 1_000_000, volumeStep: 100, time: 0,
    };

    it('prices a buy at the bid and a sell at the ask, in the account currency', () => {
      assert.deepEqual(liveProfit(position, tick(1.1012, 0), eurusd, 'USD'), { profit: 60, live: true });
      assert.deepEqual(liveProfit({ ...position, direction: 'sell' }, tick(1.0990, 0), eurusd, 'USD'), { profit: 40, live: true });
    });

    it('keeps the platform\'s profit when it cannot convert or has no quote', () => {
      assert.deepEqual(liveProfit(position, tick(1.2, 0), eurusd, 'EUR'), { profit: 7, live: false });
      assert.deepEqual(liveProfit(position, undefined, eurusd, 'USD'), { profit: 7, live: false });
      assert.deepEqual(liveProfit(position, tick(1.2, 0), undefined, 'USD'), { profit: 7, live: false });
    });
  });
});
