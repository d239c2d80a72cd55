import type { FanoutMeasurement, Measurement, WorkloadResult } from './results.js';

/** tradehub's figure over a peer's; undefined when either is missing or the peer's is zero. */
export function ratio(tradehub: number | undefined, peer: number | undefined): number | undefined {
  if (tradehub === undefined || peer === undefined || !Number.isFinite(tradehub) || !Number.isFinite(peer) || peer === 0) return undefined;
  return tradehub / peer;
}

export function perSecond(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : 0;
}

/** Server CPU seconds spent per million deliveries; null when nothing was delivered. */
export function cpuSecondsPerMillion(cpuSeconds: number, deliveries: number): number | null {
  return deliveries > 0 ? (cpuSeconds / deliveries) * 1_000_000 : null;
}

/** RSS growth per connection; never negative (a GC between the samples can shrink RSS). */
export function bytesPerConnection(rssBeforeBytes: number, rssAfterBytes: number, connections: number): number {
  if (connections <= 0) return 0;
  return Math.max(0, (rssAfterBytes - rssBeforeBytes) / connections);
}

export interface HeadlineMetric {
  name: string;
  unit: string;
  /** Whether a bigger figure is better: decides how a ratio reads. */
  higherIsBetter: boolean;
  value: number;
}

/** The one figure a workload is compared by. */
export function headlineOf(measurement: Measurement): HeadlineMetric {
  switch (measurement.kind) {
    case 'saturation': case 'cluster':
      return { name: 'deliveries/s', unit: '/s', higherIsBetter: true, value: measurement.deliveriesPerSecond };
    case 'fixed-rate':
      return { name: 'p99', unit: 'ms', higherIsBetter: false, value: measurement.latency.p99Ms };
    case 'idle-memory':
      return { name: 'bytes/connection', unit: 'B', higherIsBetter: false, value: measurement.bytesPerConnection };
    case 'connect-rate':
      return { name: 'connects/s', unit: '/s', higherIsBetter: true, value: measurement.connectsPerSecond };
    case 'reconnect-storm':
      return { name: 'seconds until all resumed', unit: 's', higherIsBetter: false, value: measurement.secondsUntilAllResumed };
  }
}

export interface ScenarioComparison {
  scenario: string;
  metric: string;
  higherIsBetter: boolean;
  rows: Array<{
    result: WorkloadResult;
    value: number | undefined;
    vsSocketIo: number | undefined;
    vsWs: number | undefined;
    /** Fan-out only: deliveries per server CPU-second over the peer's; the figure a busy shared machine distorts least. */
    cpuEfficiencyVsSocketIo: number | undefined;
    cpuEfficiencyVsWs: number | undefined;
  }>;
}

/** Groups results by scenario and puts each figure beside the peers' of the same scenario. */
export function compareScenarios(results: readonly WorkloadResult[]): ScenarioComparison[] {
  const scenarios = [...new Set(results.map((result) => result.scenario))];
  return scenarios.map((scenario) => {
    const members = results.filter((result) => result.scenario === scenario);
    const valueOf = (result: WorkloadResult | undefined): number | undefined =>
      result?.status === 'ok' && result.measurement ? headlineOf(result.measurement).value : undefined;
    const socketIoResult = members.find((result) => result.system === 'socketio');
    const wsResult = members.find((result) => result.system === 'ws');
    const socketIo = valueOf(socketIoResult);
    const ws = valueOf(wsResult);
    const sample = members.find((result) => result.measurement)?.measurement;
    const headline = sample ? headlineOf(sample) : undefined;
    return {
      scenario,
      metric: headline?.name ?? 'n/a',
      higherIsBetter: headline?.higherIsBetter ?? true,
      rows: members.map((result) => {
        const value = valueOf(result);
        const isTradehub = result.system.startsWith('tradehub');
        return {
          result,
          value,
          vsSocketIo: isTradehub ? ratio(value, socketIo) : undefined,
          vsWs: isTradehub ? ratio(value, ws) : undefined,
          cpuEfficiencyVsSocketIo: isTradehub ? ratio(deliveriesPerCpuSecond(result), deliveriesPerCpuSecond(socketIoResult)) : undefined,
          cpuEfficiencyVsWs: isTradehub ? ratio(deliveriesPerCpuSecond(result), deliveriesPerCpuSecond(wsResult)) : undefined,
        };
      }),
    };
  });
}

export function isFanout(measurement: Measurement | undefined): measurement is FanoutMeasurement {
  return measurement?.kind === 'saturation' || measurement?.kind === 'fixed-rate' || measurement?.kind === 'cluster';
}

/** Deliveries per second of server CPU in a fan-out window; undefined for other kinds or failed workloads. */
export function deliveriesPerCpuSecond(result: WorkloadResult | undefined): number | undefined {
  if (result?.status !== 'ok' || !isFanout(result.measurement)) return undefined;
  const perMillion = result.measurement.serverCpuSecondsPerMillion;
  return perMillion === null || perMillion <= 0 ? undefined : 1_000_000 / perMillion;
}

/** The share of one core the server processes used in the window (summed over nodes). */
export function serverCpuShare(measurement: FanoutMeasurement): number {
  return measurement.windowSeconds > 0 ? measurement.serverCpuSeconds / measurement.windowSeconds : 0;
}
