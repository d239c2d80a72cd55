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
import type { ConnectRateMeasurement, FanoutMeasurement, IdleMemoryMeasurement, Measurement, ReconnectStormMeasurement } from '../results.js';
import { bytesPerConnection, cpuSecondsPerMillion, perSecond } from '../stats.js';
import { nowMicros } from '../payload.js';
import { PayloadSampler } from '../frames/payload-sampler.js';
import { probeConnect, probeStepsFor } from './connect-probe.js';
import { RECONNECT_STORM_RATE } from '../plan.js';
import { fetchToken, openPublisher, openSubscriber, type Closable, type Publisher, type SubscriberHooks } from './clients.js';
import { cpuSecondsOf, openFileLimit, rssBytesOf } from './proc-stat.js';
import { sourceAddressFor, type DriverSpec } from './spec.js';

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

/** Opens `count` subscribers (spread over the nodes); returns how many failed. */
function openMany(spec: DriverSpec, count: number, token: string | undefined, subscribe: boolean, hooks: SubscriberHooks): Promise<{ failures: number; firstError?: string }> {
  return connectMany(spec, count, (index, node) => openSubscriber(spec.system, {
    port: node.port, localAddress: sourceAddressFor(index, spec.addressBlock), ...(token ? { token } : {}), subscribe,
  }, hooks));
}

function serverCpu(spec: DriverSpec): number {
  return spec.nodes.reduce((sum, node) => sum + cpuSecondsOf(node.pid), 0);
}

function serverRss(spec: DriverSpec): number {
  return spec.nodes.reduce((sum, node) => sum + rssBytesOf(node.pid), 0);
}

async function runFanout(spec: DriverSpec): Promise<FanoutMeasurement> {
  const kind = spec.kind === 'fixed-rate' ? 'fixed-rate' : 'saturation';
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
  const publisher: Publisher = await openPublisher(spec.system, spec.nodes[0]!.port, tokens.publisher);
  open.push(publisher);

  let published = 0;
  let inFlight = 0;
  let running = true;
  let publishError: Error | undefined;
  const sendOne = (): void => {
    inFlight++;
    published++;
    publisher.publish().then(() => {
      inFlight--;
      if (kind === 'saturation') pump();
    }, (error: Error) => {
      inFlight--;
      publishError ??= error;
    });
  };
  const pump = (): void => {
    while (running && !publishError && inFlight < spec.maxInFlight) sendOne();
  };
  let rateTimer: NodeJS.Timeout | undefined;
  if (kind === 'saturation') {
    pump();
  } else {
    const publishesPerSecond = (spec.offeredDeliveriesPerSecond ?? 50_000) / spec.connections;
    const started = performance.now();
    let sent = 0;
    rateTimer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * publishesPerSecond) - sent;
      // Never more than a bounded backlog in flight: a server that cannot keep up shows as latency, not as driver memory.
      for (let index = 0; index < due && inFlight < spec.maxInFlight * 64; index++) {
        sent++;
        sendOne();
      }
    }, 2);
  }

  await sleep(spec.warmupSeconds * 1000);
  const cpuStart = serverCpu(spec);
  const driverStart = process.cpuUsage();
  const deliveredStart = delivered;
  const publishedStart = published;
  const windowStart = performance.now();
  recording = true;
  await sleep(spec.windowSeconds * 1000);
  recording = false;
  const windowSeconds = (performance.now() - windowStart) / 1000;
  const deliveredInWindow = delivered - deliveredStart;
  const publishedInWindow = published - publishedStart;
  const cpuSeconds = serverCpu(spec) - cpuStart;
  const driverUsage = process.cpuUsage(driverStart);
  const rss = serverRss(spec);
  running = false;
  if (rateTimer) clearInterval(rateTimer);
  if (publishError) throw publishError;

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

async function runConnectRate(spec: DriverSpec): Promise<ConnectRateMeasurement> {
  const tokens = await tokensFor(spec);
  const { path, steps } = probeStepsFor(spec.system, tokens.reader);
  const started = performance.now();
  const { failures, firstError } = await connectMany(spec, spec.connections, async (index, node) => {
    const socket = await probeConnect({ port: node.port, path, steps, localAddress: sourceAddressFor(index, spec.addressBlock), timeoutMs: CONNECT_TIMEOUT_MS });
    return { close: () => socket.destroy() };
  });
  const seconds = (performance.now() - started) / 1000;
  const connects = spec.connections - failures;
  if (connects === 0) throw new Error(`no connection opened: ${firstError}`);
  return { kind: 'connect-rate', connects, failures, seconds, connectsPerSecond: perSecond(connects, seconds) };
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
    case 'saturation': case 'fixed-rate': measurement = await runFanout(spec); break;
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
