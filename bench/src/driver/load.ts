/**
 * One load-generator process for one workload (started by bench/src/run.ts under `taskset -c 1`):
 * reads a DriverSpec from argv[2], runs it, prints one JSON line with the measurement and exits.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadReport } from '@tradehub/server/load';
import * as hdr from 'hdr-histogram-js';
import type { ConnectRateMeasurement, FanoutMeasurement, IdleMemoryMeasurement, Measurement, ReconnectStormMeasurement, ShardedLoad } from '../results.js';
import { bytesPerConnection, cpuSecondsPerMillion, perSecond } from '../stats.js';
import { benchSymbols, nowMicros, tickTopic } from '../payload.js';
import { PayloadSampler } from '../frames/payload-sampler.js';
import { probeConnect, probeStepsFor } from './connect-probe.js';
import { RECONNECT_STORM_RATE } from '../plan.js';
import { fetchToken, openPublisher, openSubscriber, type Closable, type Publisher, type SubscriberHooks } from './clients.js';
import { cpuSecondsOf, openFileLimit, rssBytesOf } from './proc-stat.js';
import { sourceAddressFor, topicIndexOf, type DriverSpec } from './spec.js';

const MB = 1024 * 1024;
/** A connect that has not completed by then counts as failed. */
const CONNECT_TIMEOUT_MS = 15_000;
const open: Closable[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function tokensFor(spec: DriverSpec): Promise<{ reader?: string; publisher?: string }> {
  if (!spec.system.startsWith('tradehub-trade')) return {};
  const port = spec.nodes[0]!.port;
  return {
    reader: await fetchToken(port, 'demo-reader', 'demo-reader-secret'),
    publisher: await fetchToken(port, 'demo-publisher', 'demo-publisher-secret'),
  };
}

/**
 * Runs `connect` for connections 0 to count-1 with at most the spec's concurrency in progress,
 * keeps what opened (closed on exit) and counts what failed.
 */
async function connectMany(
  spec: DriverSpec, count: number, connect: (index: number, node: DriverSpec['nodes'][number]) => Promise<Closable>,
): Promise<{ failures: number; firstError?: string }> {
  let next = 0;
  let failures = 0;
  let firstError: string | undefined;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      try {
        open.push(await connect(index, spec.nodes[index % spec.nodes.length]!));
      } catch (error) {
        failures++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.connectConcurrency, count) }, worker));
  return { failures, ...(firstError ? { firstError } : {}) };
}

/** Opens `count` subscribers (spread over the nodes, and over the spec's topics); returns how many failed. */
function openMany(spec: DriverSpec, count: number, token: string | undefined, subscribe: boolean, hooks: SubscriberHooks): Promise<{ failures: number; firstError?: string }> {
  const symbols = benchSymbols(spec.topics ?? 1);
  return connectMany(spec, count, (index, node) => openSubscriber(spec.system, {
    port: node.port, localAddress: sourceAddressFor(index, spec.addressBlock), ...(token ? { token } : {}), subscribe,
    topic: tickTopic(symbols[topicIndexOf(index, spec.nodes.length, symbols.length)]!),
  }, hooks));
}

function hubCpu(spec: DriverSpec): number[] {
  return spec.nodes.map((node) => cpuSecondsOf(node.pid));
}

function serverCpu(spec: DriverSpec): number {
  return hubCpu(spec).reduce((sum, seconds) => sum + seconds, 0);
}

function serverRss(spec: DriverSpec): number {
  return spec.nodes.reduce((sum, node) => sum + rssBytesOf(node.pid), 0);
}

function redisCpu(spec: DriverSpec): number[] {
  return (spec.redisNodes ?? []).map((node) => cpuSecondsOf(node.pid));
}

/** What a cluster workload adds to a fan-out's figures: publishes, each hub node's and each redis-server's CPU. */
function shardedLoad(spec: DriverSpec, window: { seconds: number; published: number; hubCpu: number[]; redisCpu: number[] }): ShardedLoad | undefined {
  if (spec.kind !== 'cluster' || !spec.redisNodes) return undefined;
  const redisNodes = spec.redisNodes;
  return {
    layout: redisNodes.length > 1 ? { kind: 'cluster', masters: redisNodes.length } : { kind: 'one-redis' },
    topics: spec.topics ?? 1,
    publishesPerSecond: perSecond(window.published, window.seconds),
    hubCpuSeconds: window.hubCpu,
    shards: redisNodes.map((node, index) => ({ port: node.port, topics: node.topics, storedTopics: node.storedTopics, cpuSeconds: window.redisCpu[index]! })),
  };
}

async function runFanout(spec: DriverSpec): Promise<FanoutMeasurement> {
  const kind = spec.kind;
  if (kind !== 'saturation' && kind !== 'fixed-rate' && kind !== 'cluster') throw new Error(`${kind} is no fan-out`);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
  let delivered = 0;
  let recording = false;
  let closes = 0;
  const hooks: SubscriberHooks = {
    sampler: new PayloadSampler(),
    onPayloads(count) {
      delivered += count;
    },
    onSendTime(sentMicros) {
      if (recording) histogram.recordValue(Math.max(1, nowMicros() - sentMicros));
    },
    onClosed() {
      closes++;
    },
  };
  const tokens = await tokensFor(spec);
  const { failures, firstError } = await openMany(spec, spec.connections, tokens.reader, true, hooks);
  if (failures === spec.connections) throw new Error(`no subscriber connected: ${firstError}`);
  // One publisher on node 1; a cluster workload has one on every node, each sending to its own share of the
  // topics in turn (a symbol's ticks come from one feed, as in production: two nodes building the same
  // symbol's bars would contend on them).
  const publisherNodes = kind === 'cluster' ? spec.nodes : spec.nodes.slice(0, 1);
  const publishers: Publisher[] = await Promise.all(publisherNodes.map((node) => openPublisher(spec.system, node.port, tokens.publisher)));
  open.push(...publishers);
  const symbols = benchSymbols(spec.topics ?? 1);
  const symbolsOf = publishers.map((_publisher, publisherIndex) => symbols.filter((_symbol, index) => index % publishers.length === publisherIndex));
  const sentBy = publishers.map(() => 0);

  let published = 0;
  let acknowledged = 0;
  const inFlight = publishers.map(() => 0);
  let running = true;
  let publishError: Error | undefined;
  const sendOne = (publisherIndex: number): void => {
    inFlight[publisherIndex]!++;
    const own = symbolsOf[publisherIndex]!;
    const symbol = own[sentBy[publisherIndex]!++ % own.length];
    published++;
    publishers[publisherIndex]!.publish(symbol).then(() => {
      inFlight[publisherIndex]!--;
      acknowledged++;
      if (kind !== 'fixed-rate') pump(publisherIndex);
    }, (error: Error) => {
      inFlight[publisherIndex]!--;
      publishError ??= error;
    });
  };
  const pump = (publisherIndex: number): void => {
    while (running && !publishError && inFlight[publisherIndex]! < spec.maxInFlight) sendOne(publisherIndex);
  };
  let rateTimer: NodeJS.Timeout | undefined;
  if (kind !== 'fixed-rate') {
    publishers.forEach((_publisher, index) => pump(index));
  } else {
    const publishesPerSecond = (spec.offeredDeliveriesPerSecond ?? 50_000) / spec.connections;
    const started = performance.now();
    let sent = 0;
    rateTimer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * publishesPerSecond) - sent;
      // Never more than a bounded backlog in flight: a server that cannot keep up shows as latency, not as driver memory.
      for (let index = 0; index < due && inFlight[0]! < spec.maxInFlight * 64; index++) {
        sent++;
        sendOne(0);
      }
    }, 2);
  }

  await sleep(spec.warmupSeconds * 1000);
  const cpuStart = serverCpu(spec);
  const hubCpuStart = hubCpu(spec);
  const redisCpuStart = redisCpu(spec);
  const driverStart = process.cpuUsage();
  const deliveredStart = delivered;
  const publishedStart = published;
  const acknowledgedStart = acknowledged;
  const windowStart = performance.now();
  recording = true;
  await sleep(spec.windowSeconds * 1000);
  recording = false;
  const windowSeconds = (performance.now() - windowStart) / 1000;
  const deliveredInWindow = delivered - deliveredStart;
  const publishedInWindow = published - publishedStart;
  const cpuSeconds = serverCpu(spec) - cpuStart;
  const hubCpuInWindow = hubCpu(spec).map((seconds, index) => seconds - hubCpuStart[index]!);
  const redisCpuInWindow = redisCpu(spec).map((seconds, index) => seconds - redisCpuStart[index]!);
  const acknowledgedInWindow = acknowledged - acknowledgedStart;
  const driverUsage = process.cpuUsage(driverStart);
  const rss = serverRss(spec);
  running = false;
  if (rateTimer) clearInterval(rateTimer);
  if (publishError) throw publishError;
  const sharded = shardedLoad(spec, { seconds: windowSeconds, published: acknowledgedInWindow, hubCpu: hubCpuInWindow, redisCpu: redisCpuInWindow });

  return {
    kind,
    subscribers: spec.connections - failures,
    windowSeconds,
    published: publishedInWindow,
    delivered: deliveredInWindow,
    deliveriesPerSecond: perSecond(deliveredInWindow, windowSeconds),
    latency: {
      samples: histogram.totalCount,
      p50Ms: histogram.getValueAtPercentile(50) / 1000,
      p99Ms: histogram.getValueAtPercentile(99) / 1000,
      p999Ms: histogram.getValueAtPercentile(99.9) / 1000,
      maxMs: histogram.maxValue / 1000,
    },
    serverCpuSeconds: cpuSeconds,
    serverCpuSecondsPerMillion: cpuSecondsPerMillion(cpuSeconds, deliveredInWindow),
    serverRssMb: rss / MB,
    subscriberCloses: closes,
    connectFailures: failures,
    driverCpuShare: (driverUsage.user + driverUsage.system) / 1e6 / windowSeconds,
    ...(spec.redisNodes ? { redisCpuSeconds: redisCpuInWindow.reduce((sum, seconds) => sum + seconds, 0) } : {}),
    ...(sharded ? { sharded } : {}),
  };
}

/** Hooks of connections that only sit there (idle memory, connect rate). */
const IDLE_HOOKS: SubscriberHooks = { sampler: new PayloadSampler(), onPayloads() {}, onSendTime() {}, onClosed() {} };

async function runIdleMemory(spec: DriverSpec): Promise<IdleMemoryMeasurement> {
  const tokens = await tokensFor(spec);
  await sleep(500);
  const before = serverRss(spec);
  const { failures, firstError } = await openMany(spec, spec.connections, tokens.reader, false, IDLE_HOOKS);
  if (failures === spec.connections) throw new Error(`no connection opened: ${firstError}`);
  // Let the server settle (handshake buffers released, a scavenge or two) before reading RSS.
  await sleep(spec.windowSeconds * 1000);
  const after = serverRss(spec);
  const connected = spec.connections - failures;
  return {
    kind: 'idle-memory', connections: connected, connectFailures: failures,
    rssBeforeMb: before / MB, rssAfterMb: after / MB, bytesPerConnection: bytesPerConnection(before, after, connected),
  };
}

/**
 * Connects made before the connect-rate window, for every system alike: a server that just
 * started runs its connect path unoptimised at first (V8 compiles hot code after a while), which
 * is not what a running deployment's connects cost. They stay open, as the measured ones do.
 */
const CONNECT_RATE_WARMUP = 500;

async function runConnectRate(spec: DriverSpec): Promise<ConnectRateMeasurement> {
  const tokens = await tokensFor(spec);
  const { path, steps } = probeStepsFor(spec.system, tokens.reader);
  const probe = (index: number, node: DriverSpec['nodes'][number]): Promise<Closable> => probeConnect({
    port: node.port, path, steps, localAddress: sourceAddressFor(index, spec.addressBlock), timeoutMs: CONNECT_TIMEOUT_MS,
  }).then((socket) => ({ close: () => socket.destroy() }));
  const warmup = await connectMany(spec, CONNECT_RATE_WARMUP, probe);
  if (warmup.failures > 0) throw new Error(`warm-up connects failed: ${warmup.firstError}`);
  const cpuStart = serverCpu(spec);
  const driverStart = process.cpuUsage();
  const started = performance.now();
  // Indices after the warm-up's: each connection keeps its own source port.
  const { failures, firstError } = await connectMany(spec, spec.connections, (index, node) => probe(CONNECT_RATE_WARMUP + index, node));
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = serverCpu(spec) - cpuStart;
  const driverUsage = process.cpuUsage(driverStart);
  const connects = spec.connections - failures;
  if (connects === 0) throw new Error(`no connection opened: ${firstError}`);
  return {
    kind: 'connect-rate', connects, failures, seconds, connectsPerSecond: perSecond(connects, seconds),
    serverCpuMicrosPerConnect: cpuSeconds / connects * 1e6,
    serverCpuShare: cpuSeconds / seconds,
    driverCpuShare: (driverUsage.user + driverUsage.system) / 1e6 / seconds,
  };
}

const LOAD_CLI = fileURLToPath(new URL('../../../server/dist/load/cli.js', import.meta.url));

/**
 * The project's own load tool, `tradehub-load reconnect-storm`, run from this (pinned) process:
 * subscribers connect and receive, then every socket drops at once halfway through publishing, and
 * each reconnects and resumes from its last (epoch, seq); the tool counts every event by seq.
 */
async function runReconnectStorm(spec: DriverSpec): Promise<ReconnectStormMeasurement> {
  const node = spec.nodes[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'bench-storm-'));
  const reportPath = join(dir, 'report.json');
  try {
    const args = [
      LOAD_CLI, 'reconnect-storm', '--url', `http://127.0.0.1:${node.port}`, '--connections', String(spec.connections),
      '--concurrency', String(spec.connectConcurrency), '--source-addresses', `${spec.addressBlock}.2-${spec.addressBlock}.${1 + Math.ceil(spec.connections / 1000)}`,
      '--rate', String(RECONNECT_STORM_RATE), '--duration', String(spec.windowSeconds), '--warmup', '1', '--drain', '20',
      '--server-pid', String(node.pid), '--json', reportPath, '--no-progress',
    ];
    await new Promise<void>((resolve, reject) => {
      // Exit code 1 is a run with problems (reported in the JSON); anything else without a report is a failure.
      execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
        if (error && error.code !== 1) reject(new Error(`tradehub-load failed: ${stderr.trim().slice(-300) || error.message}`));
        else resolve();
      });
    });
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as LoadReport;
    const { reconnect, delivery } = report;
    if (!reconnect || !delivery) throw new Error(`tradehub-load reported no reconnect figures: ${report.problems.join('; ')}`);
    return {
      kind: 'reconnect-storm', clients: reconnect.dropped, resumed: reconnect.resumed, failed: reconnect.failed,
      secondsUntilAllResumed: reconnect.secondsUntilAllResumed, replayedEvents: reconnect.resumedEvents,
      missing: delivery.missing + delivery.undelivered, duplicated: delivery.duplicated, reordered: delivery.reordered,
      serverCpuSeconds: report.server?.cpuSeconds ?? 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as DriverSpec;
  const limit = openFileLimit();
  if (spec.connections + 200 > limit) {
    throw new Error(`${spec.connections} connections need more open files than RLIMIT_NOFILE allows (${limit}): raise ulimit -n`);
  }
  let measurement: Measurement;
  switch (spec.kind) {
    case 'saturation': case 'fixed-rate': case 'cluster': measurement = await runFanout(spec); break;
    case 'idle-memory': measurement = await runIdleMemory(spec); break;
    case 'connect-rate': measurement = await runConnectRate(spec); break;
    case 'reconnect-storm': measurement = await runReconnectStorm(spec); break;
  }
  process.stdout.write(`${JSON.stringify({ ok: true, measurement })}\n`);
}

try {
  await main();
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: (error as Error).message })}\n`);
  process.exitCode = 1;
} finally {
  for (const connection of open) connection.close();
  // Sockets are terminated above; do not wait for their close handshakes.
  setTimeout(() => process.exit(), 200).unref();
}
