import type { LatencySummary } from './latency.js';
import type { LoadOptions } from './options.js';
import type { ProcSummary } from './proc-sampler.js';
import type { SeqCounts } from './seq-ledger.js';

export interface ConnectFigures {
  target: number;
  opened: number;
  failed: number;
  failures: Record<string, number>;
  seconds: number;
  connectsPerSecond: number;
  /** Per connection: socket, handshake, greeting (and Subscribe when the scenario subscribes). */
  connectTime: LatencySummary;
}

export interface PublishFigures {
  via: string;
  targetRate: number;
  published: number;
  failedEvents: number;
  errors: Record<string, number>;
  seconds: number;
  achievedRate: number;
}

export interface DeliveryFigures extends SeqCounts {
  subscribers: number;
  topics: number;
  /** Events the subscribers should have received in all (per subscriber: topic heads minus start). */
  expected: number;
  /** Over the steady window (publishing minus warm-up), summed over all subscribers. */
  steadySeconds: number;
  steadyDelivered: number;
  deliveredPerSecond: number;
  /** Whether every honest subscriber reached every head within the drain time. */
  drained: boolean;
  /** Honest subscribers whose connection the hub (or the network) ended during the run, by reason. */
  closedByHub: number;
  closeReasons: Record<string, number>;
}

export interface ReconnectFigures {
  dropped: number;
  resumed: number;
  failed: number;
  failures: Record<string, number>;
  /** From dropping every socket to the last Subscribe with resume answered. */
  secondsUntilAllResumed: number;
  /** Events that came back through the resume answers. */
  resumedEvents: number;
}

export interface SlowConsumerFigures {
  slowSubscribers: number;
  /** Slow subscribers the hub closed, by Close error text. */
  closeErrors: Record<string, number>;
  closed: number;
  stillOpen: number;
  /** Honest subscribers' latency before and while the slow ones stop reading. */
  honestBaseline: LatencySummary;
  honestWithSlow: LatencySummary;
}

export interface SoakMinute {
  minute: number;
  delivered: number;
  latency: LatencySummary;
  rssBytes?: number;
  cpuSeconds?: number;
}

export interface SoakFigures {
  minutes: SoakMinute[];
  reconnectRounds: number;
  /** Least-squares slope of the server's RSS over the minutes (needs --server-pid). */
  rssDriftBytesPerMinute?: number;
  /** Change of p99 per minute, least squares. */
  p99DriftMsPerMinute: number;
}

export interface LoadReport {
  tool: 'tradehub-load';
  scenario: string;
  startedAt: string;
  durationSeconds: number;
  settings: Record<string, string | number | boolean>;
  connect: ConnectFigures;
  publish?: PublishFigures;
  delivery?: DeliveryFigures;
  latency?: LatencySummary;
  reconnect?: ReconnectFigures;
  slow?: SlowConsumerFigures;
  soak?: SoakFigures;
  server?: ProcSummary & { rssPerConnectionBytes?: number };
  /** Why the run failed, if it did (counts that must be zero, a time cap hit, ...). */
  problems: string[];
  ok: boolean;
}

/** What every scenario's report starts with: the tool, the scenario, when it ran, for how long, and with which settings. */
export function reportHeader(options: LoadOptions, startedAt: number): Pick<LoadReport, 'tool' | 'scenario' | 'startedAt' | 'durationSeconds' | 'settings'> {
  return {
    tool: 'tradehub-load',
    scenario: options.scenario,
    startedAt: new Date(startedAt).toISOString(),
    durationSeconds: (Date.now() - startedAt) / 1000,
    settings: reportSettings(options),
  };
}

/** The options worth keeping in a report: never secrets or tokens. */
export function reportSettings(options: LoadOptions): Record<string, string | number | boolean> {
  return {
    url: options.url.origin,
    connections: options.connections,
    ramp: options.ramp,
    concurrency: options.concurrency,
    sourceAddresses: options.sourceAddresses.length === 1 ? options.sourceAddresses[0] as string : `${options.sourceAddresses[0]}..${options.sourceAddresses.at(-1)} (${options.sourceAddresses.length})`,
    mode: options.mode,
    protocol: options.protocol,
    clientId: options.clientId,
    publisherId: options.publisherId,
    tokenPerConnection: options.tokenPerConnection,
    topics: options.topics,
    topicCount: options.topicCount,
    topicsPerConnection: options.topicsPerConnection,
    publishVia: options.publishVia,
    rate: options.rate,
    batch: options.batch,
    duration: options.duration,
    warmup: options.warmup,
  };
}

export function mapToRecord(map: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries(map);
}

/** Least-squares slope of `values` per step. */
export function slope(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((sum, value) => sum + value, 0) / n;
  let numerator = 0;
  let denominator = 0;
  values.forEach((value, x) => {
    numerator += (x - meanX) * (value - meanY);
    denominator += (x - meanX) ** 2;
  });
  return numerator / denominator;
}
