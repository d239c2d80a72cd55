import { build, type Histogram } from 'hdr-histogram-js';

/** One minute of the soak: the node's memory and the latency of events received in it. */
export interface MinuteSummary {
  minute: number;
  rssMiB: { mean: number; max: number };
  /** Publish-to-receive latency, milliseconds. */
  latencyMs: { p50: number; p99: number; max: number; count: number };
  published: number;
  delivered: number;
}

function latencyHistogram(): Histogram {
  // Microseconds, from 1 µs to a minute, 3 significant digits.
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

/** Collects samples minute by minute (from the soak's start) and a histogram over the whole run. */
export class MinuteStats {
  readonly total = latencyHistogram();
  private readonly minutes: Array<{ histogram: Histogram; rss: number[]; published: number; delivered: number }> = [];

  /** Samples after the last minute of the run (the drain) count in the last minute. */
  constructor(private readonly startedAt: number, private readonly minuteCount: number) {}

  private current(now = Date.now()): { histogram: Histogram; rss: number[]; published: number; delivered: number } {
    const index = Math.min(this.minuteCount - 1, Math.max(0, Math.floor((now - this.startedAt) / 60_000)));
    while (this.minutes.length <= index) this.minutes.push({ histogram: latencyHistogram(), rss: [], published: 0, delivered: 0 });
    return this.minutes[index] as { histogram: Histogram; rss: number[]; published: number; delivered: number };
  }

  latency(ms: number): void {
    const micros = Math.min(60_000_000, Math.max(1, Math.round(ms * 1000)));
    const minute = this.current();
    minute.histogram.recordValue(micros);
    minute.delivered++;
    this.total.recordValue(micros);
  }

  published(count: number): void {
    this.current().published += count;
  }

  rss(mib: number): void {
    this.current().rss.push(mib);
  }

  /** RSS samples of the whole run, in order. */
  allRss(): number[] {
    return this.minutes.flatMap((minute) => minute.rss);
  }

  summaries(): MinuteSummary[] {
    return this.minutes.map((minute, index) => ({
      minute: index + 1,
      rssMiB: { mean: round(mean(minute.rss)), max: round(Math.max(0, ...minute.rss)) },
      latencyMs: {
        p50: round(minute.histogram.getValueAtPercentile(50) / 1000),
        p99: round(minute.histogram.getValueAtPercentile(99) / 1000),
        max: round(minute.histogram.maxValue / 1000),
        count: minute.histogram.totalCount,
      },
      published: minute.published,
      delivered: minute.delivered,
    }));
  }
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
