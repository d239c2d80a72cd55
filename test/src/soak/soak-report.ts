import { cpus, release, totalmem } from 'node:os';
import type { DeliveryCounts } from '../faults/support/delivery-ledger.js';
import { mean, round, type MinuteSummary } from './minute-stats.js';
import type { SoakOptions } from './soak-options.js';

export interface RssSample {
  /** Seconds since the soak's start. */
  t: number;
  mib: number;
}

export interface SoakResult {
  startedAt: string;
  finishedAt: string;
  machine: { cpuModel: string; cores: number; node: string; os: string; memoryGiB: number };
  options: SoakOptions;
  totals: DeliveryCounts & { resets: number; readersCut: number; readerReconnects: number; publisherRetries: number; drained: boolean };
  memory: MemoryGrowth;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; count: number };
  minutes: MinuteSummary[];
}

export interface MemoryGrowth {
  /** Mean RSS of the first and of the last window (a minute, or a quarter of a shorter run). */
  firstWindowMiB: number;
  lastWindowMiB: number;
  windowSeconds: number;
  growthMiB: number;
  /** (last - first) / time between the windows' centres. */
  growthMiBPerHour: number;
  maxMiB: number;
}

export function machine(): SoakResult['machine'] {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model.trim() ?? 'unknown', cores: cores.length, node: process.version, os: `${process.platform} ${release()}`,
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
  };
}

/** Memory growth from the first to the last window of RSS samples (the node, sampled every second). */
export function memoryGrowth(samples: readonly RssSample[], runSeconds: number): MemoryGrowth {
  const windowSeconds = Math.min(60, Math.max(5, runSeconds / 4));
  const end = samples.at(-1)?.t ?? 0;
  const first = samples.filter((sample) => sample.t <= windowSeconds).map((sample) => sample.mib);
  const last = samples.filter((sample) => sample.t >= end - windowSeconds).map((sample) => sample.mib);
  const firstWindowMiB = mean(first);
  const lastWindowMiB = mean(last);
  const hours = Math.max(1, end - windowSeconds) / 3_600;
  return {
    firstWindowMiB: round(firstWindowMiB), lastWindowMiB: round(lastWindowMiB), windowSeconds: round(windowSeconds, 0),
    growthMiB: round(lastWindowMiB - firstWindowMiB), growthMiBPerHour: round((lastWindowMiB - firstWindowMiB) / hours, 1),
    maxMiB: round(Math.max(0, ...samples.map((sample) => sample.mib))),
  };
}

export function markdown(result: SoakResult): string {
  const { options: o, totals: t, memory: m, latencyMs: l } = result;
  const first = result.minutes[0];
  const last = result.minutes.at(-1);
  const lines = [
    '# Soak',
    '',
    `Written by \`npm run soak -- --minutes ${o.minutes} --readers ${o.readers} --rate ${o.rate}\` (test/src/soak/soak.ts), ${result.finishedAt}.`,
    '',
    'One tradehub node in a child process (`npm start`\'s program, Redis at 127.0.0.1:6379 under a unique key prefix), '
      + `${o.readers} readers with the typed client (\`@tradehub/client\`) in one process, each following 2 of 20 account topics, `
      + `half of them with SignalR stateful reconnect; every ${o.reconnectEverySeconds} s the TCP connections of ${Math.round(o.reconnectFraction * 100)}% of the readers `
      + `are cut (a loopback proxy), and they reconnect and resume; one publisher at ${o.rate} events/s (batches every 100 ms, ids on every event). `
      + 'Latency is publish-to-receive: from the event\'s source time, set just before publishing, to its handler in the reader (same clock, one process).',
    '',
    '## Machine',
    '',
    `${result.machine.cpuModel}, ${result.machine.cores} cores, ${result.machine.memoryGiB} GiB, Node.js ${result.machine.node}, ${result.machine.os}. `
      + 'The readers, the publisher and the node share these cores.',
    '',
    '## Result',
    '',
    '| | |',
    '|---|---|',
    `| published | ${t.published} events |`,
    `| delivered | ${t.delivered} (replayed after a reconnect: ${t.replayed}) |`,
    `| lost / duplicated / reordered | ${t.lost} / ${t.duplicated} / ${t.reordered} |`,
    `| topics started over (reset) | ${t.resets} |`,
    `| readers cut off / new connections | ${t.readersCut} / ${t.readerReconnects} (a stateful reconnect resumes the same connection and is not counted) |`,
    `| every reader caught up at the end | ${t.drained ? 'yes' : 'no'} |`,
    `| node RSS, first ${m.windowSeconds} s -> last ${m.windowSeconds} s | ${m.firstWindowMiB} -> ${m.lastWindowMiB} MiB (${m.growthMiB >= 0 ? '+' : ''}${m.growthMiB} MiB, ${m.growthMiBPerHour} MiB/h${o.minutes < 4 ? ', too short a run for a rate' : ''}; max ${m.maxMiB} MiB) |`,
    `| latency p50 / p90 / p99 / p99.9 / max | ${l.p50} / ${l.p90} / ${l.p99} / ${l.p999} / ${l.max} ms (${l.count} events) |`,
    `| latency drift, first -> last minute | p50 ${first?.latencyMs.p50 ?? '-'} -> ${last?.latencyMs.p50 ?? '-'} ms, p99 ${first?.latencyMs.p99 ?? '-'} -> ${last?.latencyMs.p99 ?? '-'} ms |`,
    '',
    '## Per minute',
    '',
    '| minute | published | delivered | RSS mean (max) MiB | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|---|',
    ...result.minutes.map((minute) => `| ${minute.minute} | ${minute.published} | ${minute.delivered} | ${minute.rssMiB.mean} (${minute.rssMiB.max}) | `
      + `${minute.latencyMs.p50} | ${minute.latencyMs.p99} | ${minute.latencyMs.max} |`),
    '',
    'The last minute includes the drain after publishing stopped (readers catching up). Memory growth compares the mean RSS of the node '
      + 'in the first and the last window of the run (a minute; a quarter of runs under 4 minutes), so short runs mostly show warm-up noise. '
      + 'Raw numbers: `bench/soak.json`.',
    '',
  ];
  return lines.join('\n');
}
