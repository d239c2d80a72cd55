import { TIMEFRAMES } from '@tradehub/shared';
import { SYSTEM_LABELS, type BenchReport, type CoreProbe, type PartialRun, type ShardedLoad, type WorkloadResult } from './results.js';
import { compareScenarios, isFanout, serverCpuShare, type ScenarioComparison } from './stats.js';
import { PAYLOAD_SAMPLE_EVERY } from './frames/payload-sampler.js';
import { CLUSTER_MASTERS, CLUSTER_TOPICS, RECONNECT_STORM_RATE, SATURATION_IN_FLIGHT } from './plan.js';
import { TRADEHUB_PARALLEL_INVOCATIONS } from './servers.js';

export function formatNumber(value: number | undefined | null, digits = 0): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatRatio(value: number | undefined): string {
  return value === undefined ? '–' : `${value.toFixed(2)}×`;
}

function headlineCell(row: ScenarioComparison['rows'][number], comparison: ScenarioComparison): string {
  if (row.result.status === 'failed') return `FAILED: ${row.result.error ?? 'unknown error'}`;
  const digits = comparison.metric === 'p99' ? 1 : 0;
  return `${formatNumber(row.value, digits)} ${comparison.metric}`;
}

/** The console table: every scenario, each system's headline figure and tradehub's ratios to the peers. */
export function renderConsoleTable(results: readonly WorkloadResult[]): string {
  const lines: string[] = [];
  const header = ['scenario', 'system', 'figure', '÷ Socket.IO', '÷ ws', 'per CPU ÷ Socket.IO', 'per CPU ÷ ws'];
  const rows: string[][] = [];
  for (const comparison of compareScenarios(results)) {
    for (const row of comparison.rows) {
      rows.push([
        comparison.scenario, row.result.system, headlineCell(row, comparison), formatRatio(row.vsSocketIo), formatRatio(row.vsWs),
        formatRatio(row.cpuEfficiencyVsSocketIo), formatRatio(row.cpuEfficiencyVsWs),
      ]);
    }
  }
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  lines.push(line(header), widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) lines.push(line(row));
  lines.push('', 'Ratios are tradehub ÷ peer: above 1 is better for deliveries/s and connects/s, below 1 for p99 and bytes/connection.',
    '"per CPU" compares deliveries per server CPU-second (fan-out only): above 1 means tradehub does more with the same CPU.',
    'A load generator near 100 % CPU (RESULTS.md) means it, not the server, capped that saturation figure.');
  return lines.join('\n');
}

function markdownTable(header: string[], rows: string[][]): string {
  const escape = (cell: string): string => cell.replaceAll('|', '\\|').replaceAll('\n', ' ');
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

function ratioSummary(results: readonly WorkloadResult[]): string {
  const rows: string[][] = [];
  for (const comparison of compareScenarios(results)) {
    for (const row of comparison.rows) {
      rows.push([
        comparison.scenario, SYSTEM_LABELS[row.result.system], headlineCell(row, comparison),
        formatRatio(row.vsSocketIo), formatRatio(row.vsWs), formatRatio(row.cpuEfficiencyVsSocketIo), formatRatio(row.cpuEfficiencyVsWs),
      ]);
    }
  }
  return markdownTable(['scenario', 'system', 'figure', 'tradehub ÷ Socket.IO', 'tradehub ÷ ws', 'per server CPU-second ÷ Socket.IO', 'per server CPU-second ÷ ws'], rows);
}

function fanoutDetails(results: readonly WorkloadResult[]): string {
  const rows = results.filter((result) => isFanout(result.measurement)).map((result) => {
    const m = result.measurement!;
    if (!isFanout(m)) return [];
    return [
      result.id, formatNumber(m.subscribers), formatNumber(m.windowSeconds, 1), formatNumber(m.published), formatNumber(m.delivered),
      formatNumber(m.deliveriesPerSecond), formatNumber(m.latency.p50Ms, 1), formatNumber(m.latency.p99Ms, 1),
      formatNumber(m.latency.p999Ms, 1), formatNumber(m.latency.maxMs, 1), formatNumber(m.serverCpuSecondsPerMillion, 2),
      sharePercent(serverCpuShare(m)), formatNumber(m.serverRssMb), formatNumber(m.subscriberCloses), formatNumber(m.connectFailures), sharePercent(m.driverCpuShare),
    ];
  });
  return markdownTable([
    'workload', 'subscribers', 'window s', 'published', 'delivered', 'deliveries/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms',
    'server CPU s / M deliveries', 'server CPU (of one core)', 'server RSS MB', 'closed by server', 'connect failures', 'load generator CPU',
  ], rows);
}

function percentOfCore(cpuSeconds: number, windowSeconds: number): string {
  return `${formatNumber(windowSeconds > 0 ? (cpuSeconds / windowSeconds) * 100 : undefined)} %`;
}

/** A share of one core as a percentage; n/a for results recorded before it was measured. */
function sharePercent(share: number | undefined): string {
  return share === undefined ? 'n/a' : `${formatNumber(share * 100)} %`;
}

function layoutLabel(sharded: ShardedLoad): string {
  return sharded.layout.kind === 'cluster' ? `cluster, ${sharded.layout.masters} masters` : 'one Redis';
}

/** Cluster workloads: the same two nodes on one Redis and on a Redis Cluster, with each hub node's and each redis-server's CPU. */
export function clusterDetails(results: readonly WorkloadResult[]): string {
  const rows = results.flatMap((result) => {
    const m = result.measurement;
    if (!isFanout(m) || !m.sharded) return [];
    const { sharded } = m;
    const redisCpuSeconds = sharded.shards.reduce((sum, shard) => sum + shard.cpuSeconds, 0);
    const publishes = sharded.publishesPerSecond * m.windowSeconds;
    const perPublishMicros = (cpuSeconds: number): string => formatNumber(publishes > 0 ? (cpuSeconds / publishes) * 1_000_000 : undefined);
    return [[
      result.id, layoutLabel(sharded), sharded.shards.map((shard) => `${shard.topics} (${shard.storedTopics})`).join(' / '), formatNumber(m.subscribers),
      formatNumber(sharded.publishesPerSecond), formatNumber(m.deliveriesPerSecond), formatNumber(m.latency.p50Ms, 1), formatNumber(m.latency.p99Ms, 1),
      sharded.hubCpuSeconds.map((seconds) => percentOfCore(seconds, m.windowSeconds)).join(' / '),
      sharded.shards.map((shard) => percentOfCore(shard.cpuSeconds, m.windowSeconds)).join(' / '),
      formatNumber(m.serverCpuSecondsPerMillion, 2), perPublishMicros(m.serverCpuSeconds), perPublishMicros(redisCpuSeconds),
    ]];
  });
  return markdownTable([
    'workload', 'Redis', 'tick topics (with bars topics) per shard', 'subscribers', 'publishes/s', 'deliveries/s', 'p50 ms', 'p99 ms',
    'hub CPU per node (of one core)', 'redis-server CPU per shard (of one core)', 'hub CPU s / M deliveries', 'hub CPU µs / publish (both nodes)', 'Redis CPU µs / publish (all shards)',
  ], rows);
}

function coreProbeCell(result: WorkloadResult, core: keyof CoreProbe): string {
  const speed = result.coreSpeed;
  if (!speed) return 'n/a';
  return `${formatNumber(speed.before[core])} / ${formatNumber(speed.after[core])}`;
}

/**
 * A probe this much slower than the run's median on the same core counts as a slow phase. The
 * probe itself varies by ~15 % from one run of it to the next; the slow phases are ~1.5x.
 */
export const SLOW_PHASE_FACTOR = 1.3;

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The run's median probe of each core, and the workloads measured with a core in a slow phase. */
export function coreSpeedSummary(results: readonly WorkloadResult[]): string {
  const probes = (core: keyof CoreProbe): number[] => results.flatMap((result) => [result.coreSpeed?.before[core], result.coreSpeed?.after[core]])
    .filter((ms): ms is number => ms !== undefined);
  const typical = { serverMs: median(probes('serverMs')), generatorMs: median(probes('generatorMs')) };
  if (!Number.isFinite(typical.serverMs) && !Number.isFinite(typical.generatorMs)) return 'Not probed in this run.';
  const slowness = (probe: CoreProbe | undefined, core: keyof CoreProbe): number | undefined => {
    const ms = probe?.[core];
    return ms === undefined || !Number.isFinite(typical[core]) ? undefined : ms / typical[core];
  };
  const rows = results.flatMap((result) => {
    const factors = (['serverMs', 'generatorMs'] as const).map((core) => Math.max(
      slowness(result.coreSpeed?.before, core) ?? 0, slowness(result.coreSpeed?.after, core) ?? 0,
    ));
    if (factors.every((factor) => factor < SLOW_PHASE_FACTOR)) return [];
    return [[result.id, coreProbeCell(result, 'serverMs'), coreProbeCell(result, 'generatorMs'), factors.map((factor) => formatRatio(factor)).join(' / ')]];
  });
  const summary = `Median probe of the run: core 0 (servers) ${formatNumber(typical.serverMs)} ms, core 1 (load generator) ${formatNumber(typical.generatorMs)} ms. `
    + `Workloads with a probe before or after them at least ${SLOW_PHASE_FACTOR}× the median on a core (a slow phase): ${rows.length} of ${results.length}.`;
  if (rows.length === 0) return summary;
  return `${summary}\n\n${markdownTable(['workload', 'core 0 probe ms before / after', 'core 1 probe ms before / after', 'slowest ÷ median (core 0 / core 1)'], rows)}`;
}

function otherDetails(results: readonly WorkloadResult[]): string {
  const memory = results.flatMap((result) => result.measurement?.kind === 'idle-memory' ? [[
    result.id, formatNumber(result.measurement.connections), formatNumber(result.measurement.connectFailures),
    formatNumber(result.measurement.rssBeforeMb, 1), formatNumber(result.measurement.rssAfterMb, 1), formatNumber(result.measurement.bytesPerConnection),
  ]] : []);
  const connects = results.flatMap((result) => result.measurement?.kind === 'connect-rate' ? [[
    result.id, formatNumber(result.measurement.connects), formatNumber(result.measurement.failures),
    formatNumber(result.measurement.seconds, 2), formatNumber(result.measurement.connectsPerSecond),
    formatNumber(result.measurement.serverCpuMicrosPerConnect), sharePercent(result.measurement.serverCpuShare),
    sharePercent(result.measurement.driverCpuShare), coreProbeCell(result, 'serverMs'), coreProbeCell(result, 'generatorMs'),
  ]] : []);
  const storms = results.flatMap((result) => result.measurement?.kind === 'reconnect-storm' ? [[
    result.id, formatNumber(result.measurement.clients), formatNumber(result.measurement.resumed), formatNumber(result.measurement.failed),
    formatNumber(result.measurement.secondsUntilAllResumed, 2), formatNumber(result.measurement.replayedEvents),
    `${result.measurement.missing} / ${result.measurement.duplicated} / ${result.measurement.reordered}`, formatNumber(result.measurement.serverCpuSeconds, 1),
  ]] : []);
  return [
    '### Memory per idle connection', '',
    markdownTable(['workload', 'connections', 'failures', 'RSS before MB', 'RSS after MB', 'bytes / connection'], memory), '',
    '### Connects per second', '',
    markdownTable(['workload', 'connected', 'failures', 'seconds', 'connects/s', 'server CPU µs / connect', 'server CPU (of one core)', 'load generator CPU',
      'core 0 probe ms before / after', 'core 1 probe ms before / after'], connects), '',
    'The rounds run each system in turn (r2, r3: the same workload again). The probe columns are the core-speed probe',
    '(Method): the same work takes longer on a core in a slow phase, and so does every connect.', '',
    '### Reconnect storm (`tradehub-load reconnect-storm`)', '',
    `Every subscriber follows one tick topic published at ${RECONNECT_STORM_RATE} events/s; halfway through, every socket is dropped at once and`,
    'each reconnects (200 at a time) and subscribes again from its last (epoch, seq); the tool counts every event by seq.', '',
    markdownTable(['workload', 'clients', 'resumed', 'failed', 'seconds until all resumed', 'events replayed', 'missing / duplicated / reordered', 'server CPU s'], storms),
  ].join('\n');
}

/** The `--only` runs merged into this report after the run above, if any. */
function partialRunRows(runs: readonly PartialRun[] | undefined): string {
  return (runs ?? []).map((run) => `\n| later \`--only\` run (its rows replace the earlier ones) | \`${run.command}\` on ${run.date}, load average ${formatNumber(run.loadAverageStart, 2)} / ${formatNumber(run.loadAverageEnd, 2)}, ${formatNumber(run.totalSeconds)} s: ${run.workloads.map((id) => `\`${id}\``).join(', ')} |`).join('');
}

function failures(results: readonly WorkloadResult[]): string {
  const failed = results.filter((result) => result.status === 'failed');
  if (failed.length === 0) return 'None.';
  return failed.map((result) => `- \`${result.id}\`: ${result.error ?? 'unknown error'}`).join('\n');
}

const OPTIMISATIONS_HEADING = '## Optimisations';

/**
 * The hand-written part of an existing RESULTS.md (from "## Optimisations" to the end: the optimisation log and the
 * profile findings), kept when a new run rewrites the figures; undefined when there is none.
 */
export function handWrittenSections(existing: string | undefined): string | undefined {
  const start = existing?.indexOf(`\n${OPTIMISATIONS_HEADING}\n`) ?? -1;
  return start === -1 ? undefined : existing!.slice(start + 1);
}

const PLACEHOLDER_SECTIONS = `${OPTIMISATIONS_HEADING}

Filled in by the work on the hot path: what each change gained, measured with \`npm run bench\` before and after.
This section and the next are kept as they are when \`npm run bench\` rewrites this file.

| optimisation | workload | before | after | gain |
|---|---|---|---|---|
| _(placeholder)_ | | | | |

## Profile findings

_(placeholder: \`node --cpu-prof server/dist/cli/main.js\` under \`npm run bench -- --only saturation-1n-1k-tradehub\`;
what the profiles show and what stands in the way of each target.)_
`;

/** bench/RESULTS.md: the machine, the command, every figure, the ratios and the optimisation log. */
export function renderResultsMarkdown(report: BenchReport, keptSections?: string): string {
  const { machine } = report;
  return `# Benchmark results

Written by \`npm run bench\` (bench/src/run.ts); the raw figures are in \`bench/results.json\`.
Measurements on a shared 2-core machine are noisy: compare the ratios within one run.

## Machine and run

| | |
|---|---|
| CPU | ${machine.cpuModel} |
| cores | ${machine.cores} |
| RAM | ${formatNumber(machine.ramGb, 1)} GB |
| Node | ${machine.node} |
| Redis | ${machine.redis} |
| kernel | ${machine.kernel} |
| date | ${machine.date} |
| load average (1 min) at start / end | ${formatNumber(machine.loadAverageStart, 2)} / ${formatNumber(machine.loadAverageEnd, 2)} (near or above the core count: other work shared the machine) |
| command | \`${report.command}\`${report.quick ? ' (quick: smaller N, shorter windows)' : ''} |
| duration | ${formatNumber(report.totalSeconds)} s |${partialRunRows(report.partialRuns)}

## Method

- Every server is its own process pinned to core 0 (\`taskset -c 0\`); the load generator (one process per workload:
  subscribers and the publisher) is pinned to core 1 (\`taskset -c 1\`). Two-node cases start two servers, both on
  core 0, joined by a \`redis-server\` the workload starts for itself, also pinned to core 0 and without persistence;
  subscribers are split over the nodes and the publisher is on node 1. (The machine's own Redis, left to the
  scheduler, ran on either core from one run to the next and the two-node rows swung with it: tradehub's MessagePack
  1k row 220–224k deliveries/s with Redis on core 0, 303–314k with it on core 1.)
- tradehub: \`node server/dist/cli/main.js\` with \`TRADEHUB_SIMULATOR=off TRADEHUB_INTEROP_HUB=on LOG_LEVEL=warn\`,
  a temporary \`TRADEHUB_DATA_DIR\`, a configuration file that is the demo one plus
  \`limits.parallelInvocationsPerConnection: ${TRADEHUB_PARALLEL_INVOCATIONS}\`, as many as the publisher keeps in flight (its calls
  overlap, as a Socket.IO server runs each event's handler as it arrives; ASP.NET's default is 1, which makes a
  publisher wait one Redis round trip per publish; with 16, two nodes through Redis were bound by the publisher's
  waiting calls, not by CPU), and for Redis \`REDIS_URL\` of the workload's own \`redis-server\` with a unique \`REDIS_KEY_PREFIX\`. Subscribers are raw WebSockets speaking the SignalR protocol (handshake, nothing else);
  their frames are read with the server's own \`JsonHubProtocol\` / \`MessagePackHubProtocol\`.
  - interop: every connection on \`/testhub\`; the publisher calls \`SendToAll(text)\`, subscribers get \`Message(text)\`.
  - trade: subscribers hold a \`demo-reader\` token (\`access_token\` query) and \`Subscribe(['platforms/demo/ticks/EURUSD'])\`;
    the publisher (\`demo-publisher\`) calls \`Publish([tick])\`, subscribers get \`OnEvent(envelope)\`. The tick's \`flags\`
    carries the send time in microseconds (the schema's \`time\` is whole milliseconds).
- Socket.IO 4.8 (bench/src/peers/socketio-server.ts): \`io.emit('message', payload)\` for every publisher event; the
  two-node case uses \`@socket.io/redis-adapter\`. Subscribers are raw WebSockets read with \`engine.io-parser\` and
  \`socket.io-parser\` (they answer pings); the publisher is \`socket.io-client\`.
- naive ws (bench/src/peers/ws-server.ts): \`for (const c of wss.clients) c.send(data)\` for every publisher message.
- Every publish is acknowledged by the server once its broadcast call returned (a SignalR completion, a Socket.IO ack,
  an \`ack\` frame); **saturation** keeps ${SATURATION_IN_FLIGHT} publishes in flight per publisher (with 16, tradehub's server idled 20–40 % of the time at 10k subscribers while the generator drained the last round) and measures what the subscribers
  receive in a steady window after a warm-up; **fixed rate** offers a total of deliveries/s (rate per publish =
  total ÷ subscribers) for latency. Latency is publish-to-receive, one clock (same process), HDR histogram.
- Subscribers of every system count each payload by its first bytes (\`{"type":1,"target":"OnEvent",...\`, MessagePack's
  \`[1, {}, nil, "OnEvent", ...]\`, \`42["message",\`, \`{"symbol":\`) and parse one in \`${PAYLOAD_SAMPLE_EVERY}\` in full for its
  send time (latency is a uniform sample); anything else (completions, pings, Close) is parsed in full. Parsing every
  message made the one-core load generator, not the servers, the limit of the fastest rows.
- Cluster (\`cluster-2n-…\`, tradehub only): two trade-hub nodes (JSON) on a Redis the workload starts itself, pinned to
  core 0 with the nodes and without persistence: one stand-alone \`redis-server\` (\`one-redis\`), or a Redis Cluster of
  ${CLUSTER_MASTERS} masters without replicas (\`${CLUSTER_MASTERS}-shards\`, \`redis-server --cluster-enabled yes\` joined by
  \`redis-cli --cluster create\`, the nodes given \`REDIS_CLUSTER_NODES\`). Subscribers follow ${CLUSTER_TOPICS} tick topics
  (\`platforms/demo/ticks/BENCH01\` …), every node has subscribers of every topic; one publisher per node sends, at
  saturation, one tick per \`Publish\` to its half of the topics in turn. Each stored tick also stores a bar event of each
  of its ${TIMEFRAMES.length} timeframes (\`platforms/demo/bars/BENCH01/M1\` …), each topic with its own hash tag \`{topic}\`, whose
  slot decides its shard: "topics per shard" is what the hash gave. The CPU of each hub node and of each redis-server is read from
  \`/proc/<pid>/stat\` over the window.
- Server CPU (utime+stime) and RSS from \`/proc/<pid>/stat\` and \`/proc/<pid>/status\`, summed over the nodes.
  On a machine shared with other work a server may get well under a core: "server CPU (of one core)" shows what
  each got, and the "per server CPU-second" ratios compare deliveries per CPU-second, which that share distorts least.
- Idle memory: RSS of the server before and after opening the connections (authenticated trade-hub connections
  for tradehub), divided by the connections. Connect rate: 200 connects in flight, each by a lean probe
  (bench/src/driver/connect-probe.ts: a TCP connect, the upgrade request, then the protocol's first exchange in frames
  built by ws's own Sender) because ws's client costs the one-core generator as much CPU per connect as the servers
  spend: tradehub authenticated (token in the query, SignalR handshake answered), Socket.IO until its namespace is
  joined (\`40\` answered), the naive ws server at the upgrade.
- Core speed: before each workload's servers start and after they stop, a fixed piece of JavaScript work
  (bench/src/core-speed/work.ts) is timed on core 0 and on core 1. On this virtual machine the same work takes up to
  ~1.6× as long in some phases lasting seconds to minutes (the guest sees no steal time), and every server's CPU per
  connect or per delivery moves with it; "Core speed during the run" lists the rows measured with a core in such a phase.

## Ratios

${ratioSummary(report.results)}

## Every figure

${fanoutDetails(report.results)}

### One Redis vs a Redis Cluster

${clusterDetails(report.results)}

${otherDetails(report.results)}

## Failed workloads

${failures(report.results)}

## Core speed during the run

${coreSpeedSummary(report.results)}

${keptSections ?? PLACEHOLDER_SECTIONS}`;
}
