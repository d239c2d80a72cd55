import { total, type Sample } from './prometheus-text.js';

/** One scrape of `/metrics`, with when it was taken (ms). */
export interface Scrape {
  at: number;
  samples: readonly Sample[];
}

/** What the operator tab shows; undefined where the node does not expose the series (shown as "–"). */
export interface OperatorReadings {
  connections: number | undefined;
  messagesInPerSecond: number | undefined;
  messagesOutPerSecond: number | undefined;
  /** Mean backplane (Redis) command latency over the last interval, or its lag gauge. */
  redisLagMs: number | undefined;
  eventsDeliveredPerSecond: number | undefined;
  /** Mean time from the hub accepting an event to this node writing it out, over the last interval. */
  fanoutLatencyMs: number | undefined;
  terminalsOnline: number | undefined;
  cpuPercent: number | undefined;
  residentBytes: number | undefined;
  eventLoopLagMs: number | undefined;
  uptimeSeconds: number | undefined;
  /** Every tradehub_ and signalr_ series, summed over labels, with a per-second rate for counters. */
  series: Array<{ name: string; value: number; perSecond: number | undefined }>;
}

const INBOUND = /messages_(in|received)|^in$|^received$|^inbound$/;
const OUTBOUND = /messages_(out|sent)|^out$|^sent$|^outbound$/;
const MESSAGE_COUNTER = /^(tradehub|signalr)_\w*messages\w*_total$/;
const REDIS_LATENCY = /^tradehub_\w*(redis|backplane)\w*_seconds$/;
const REDIS_LAG_GAUGE = /^tradehub_\w*(redis|backplane)\w*lag\w*_seconds$/;

/**
 * Reads the node's metrics tolerantly: names follow the list (ASP.NET Core's SignalR
 * meter names where they overlap), and anything missing stays undefined rather than failing.
 */
export function operatorReadings(previous: Scrape | undefined, current: Scrape): OperatorReadings {
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  const rate = (of: (samples: readonly Sample[]) => number | undefined): number | undefined => {
    if (!previous || seconds <= 0) return undefined;
    const now = of(current.samples);
    const before = of(previous.samples);
    return now === undefined || before === undefined ? undefined : Math.max(0, now - before) / seconds;
  };
  const messages = (direction: RegExp) => (samples: readonly Sample[]): number | undefined => sumWhere(samples, (sample) =>
    MESSAGE_COUNTER.test(sample.name) && (direction.test(sample.name) || direction.test(sample.labels.direction ?? '')));
  const cpu = rate((samples) => total(samples, 'process_cpu_seconds_total'));
  const start = total(current.samples, 'process_start_time_seconds');
  const loopLag = total(current.samples, 'nodejs_eventloop_lag_p99_seconds') ?? total(current.samples, 'nodejs_eventloop_lag_seconds');
  return {
    connections: total(current.samples, 'signalr_server_active_connections'),
    messagesInPerSecond: rate(messages(INBOUND)),
    messagesOutPerSecond: rate(messages(OUTBOUND)),
    redisLagMs: redisLag(previous, current),
    eventsDeliveredPerSecond: rate((samples) => total(samples, 'tradehub_events_delivered_total')),
    fanoutLatencyMs: histogramMeanMs(previous, current, (name) => name === 'tradehub_fanout_latency_seconds'),
    terminalsOnline: total(current.samples, 'tradehub_terminals_online'),
    cpuPercent: cpu === undefined ? undefined : cpu * 100,
    residentBytes: total(current.samples, 'process_resident_memory_bytes'),
    eventLoopLagMs: loopLag === undefined ? undefined : loopLag * 1000,
    uptimeSeconds: start === undefined ? undefined : Math.max(0, current.at / 1000 - start),
    series: ownSeries(previous, current, seconds),
  };
}

function sumWhere(samples: readonly Sample[], where: (sample: Sample) => boolean): number | undefined {
  let sum: number | undefined;
  for (const sample of samples) if (where(sample)) sum = (sum ?? 0) + sample.value;
  return sum;
}

/** A lag gauge when there is one; otherwise the mean of a latency histogram over the interval. */
function redisLag(previous: Scrape | undefined, current: Scrape): number | undefined {
  const gauge = sumWhere(current.samples, (sample) => REDIS_LAG_GAUGE.test(sample.name));
  return gauge !== undefined ? gauge * 1000 : histogramMeanMs(previous, current, (name) => REDIS_LATENCY.test(name));
}

/** The mean observation (seconds, shown in ms) of histograms over the interval; undefined without observations in it. */
function histogramMeanMs(previous: Scrape | undefined, current: Scrape, matches: (name: string) => boolean): number | undefined {
  if (!previous) return undefined;
  const part = (samples: readonly Sample[], suffix: '_sum' | '_count'): number | undefined =>
    sumWhere(samples, (sample) => sample.name.endsWith(suffix) && matches(sample.name.slice(0, -suffix.length)));
  const [sumNow, sumBefore, countNow, countBefore] = [part(current.samples, '_sum'), part(previous.samples, '_sum'), part(current.samples, '_count'), part(previous.samples, '_count')];
  if (sumNow === undefined || sumBefore === undefined || countNow === undefined || countBefore === undefined || countNow <= countBefore) return undefined;
  return ((sumNow - sumBefore) / (countNow - countBefore)) * 1000;
}

function ownSeries(previous: Scrape | undefined, current: Scrape, seconds: number): OperatorReadings['series'] {
  const sums = (samples: readonly Sample[]): Map<string, number> => {
    const byName = new Map<string, number>();
    for (const sample of samples) {
      if (!/^(tradehub|signalr)_/.test(sample.name) || sample.name.endsWith('_bucket')) continue;
      byName.set(sample.name, (byName.get(sample.name) ?? 0) + sample.value);
    }
    return byName;
  };
  const now = sums(current.samples);
  const before = previous ? sums(previous.samples) : new Map<string, number>();
  return [...now].sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => {
    const earlier = before.get(name);
    const counter = name.endsWith('_total') || name.endsWith('_count');
    return { name, value, perSecond: counter && earlier !== undefined && seconds > 0 ? Math.max(0, value - earlier) / seconds : undefined };
  });
}
