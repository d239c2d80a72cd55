import * as hdr from 'hdr-histogram-js';

/** Latency figures of a report, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Longest latency recorded exactly: an hour, in microseconds. */
const HIGHEST_MICROS = 3_600_000_000;

/** Publish-to-receive latency, recorded in microseconds into an HDR histogram (3 significant digits). */
export class LatencyRecorder {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_MICROS, numberOfSignificantValueDigits: 3 });

  recordMs(latencyMs: number): void {
    // The clocks of publisher and reader are one, but ms-resolution send times can read as slightly negative.
    this.histogram.recordValue(Math.min(HIGHEST_MICROS, Math.max(1, Math.round(latencyMs * 1000))));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  summary(): LatencySummary {
    const ms = (micros: number) => Math.round(micros) / 1000;
    const h = this.histogram;
    if (h.totalCount === 0) return { count: 0, p50: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    return {
      count: h.totalCount,
      p50: ms(h.getValueAtPercentile(50)),
      p99: ms(h.getValueAtPercentile(99)),
      p999: ms(h.getValueAtPercentile(99.9)),
      max: ms(h.maxValue),
      mean: ms(h.mean),
    };
  }

  reset(): void {
    this.histogram.reset();
  }
}
