/**
 * `npm run bench`: every workload of the plan, one after the other, each with fresh servers (core 0) and a fresh
 * load-generator process (core 1); a workload that fails is reported as failed and the run goes on.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { probeCores } from './core-speed/probe.js';
import { loopbackBlockFor, type DriverSpec } from './driver/spec.js';
import { currentLoadAverage, machineInfo } from './machine.js';
import { BENCH_USAGE, BenchOptionsError, parseBenchOptions, selectedBy } from './options.js';
import { mergePartialRun } from './merge.js';
import { serverCpuShare } from './stats.js';
import { benchPlan, SATURATION_IN_FLIGHT, type WorkloadPlan } from './plan.js';
import { startBenchRedis, type BenchRedis } from './redis/bench-redis.js';
import { handWrittenSections, renderConsoleTable, renderResultsMarkdown } from './report.js';
import type { BenchReport, CoreProbe, Measurement, WorkloadResult } from './results.js';
import { killAllChildren, newClusterSettings, REDIS_URL, startServer, track, type RunningServer } from './servers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONNECT_CONCURRENCY = 200;
/** The whole run stays under 15 minutes: workloads that would start past this are reported as skipped. */
const RUN_BUDGET_SECONDS = 14 * 60;

/** A generous guess of one workload's wall time: servers, connecting, warm-up, window, teardown. */
function estimatedSeconds(plan: WorkloadPlan): number {
  const redisStart = plan.redis?.kind === 'cluster' ? 10 : 0;
  return plan.warmupSeconds + plan.windowSeconds + plan.connections / 1000 + 5 * plan.nodes + redisStart;
}

/** Servers (and the Redis a cluster workload starts) on core 0, load generators on core 1. */
const SERVER_CORE = 0;
const GENERATOR_CORE = 1;

/** Redis key prefixes of the workload in progress: deleted on the way out, also when interrupted. */
const activeKeyPrefixes = new Set<string>();
/** The Redis a cluster workload in progress started: stopped on the way out, also when interrupted. */
let activeRedis: BenchRedis | undefined;
/** Set by SIGINT/SIGTERM: no further workload starts. */
let stopping = false;

process.once('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopping = true;
    console.error(`\n${signal}: stopping every server and load generator, deleting this run's Redis keys.`);
    killAllChildren();
    const cleanup = Promise.allSettled([...[...activeKeyPrefixes].map((prefix) => deleteRedisKeys(prefix)), activeRedis?.dispose()]);
    const bound = new Promise((resolveBound) => setTimeout(resolveBound, 3000).unref());
    void Promise.race([cleanup, bound]).finally(() => process.exit(130));
  });
}

/** Runs one load generator pinned to core 1 and returns its measurement; bounded by `timeoutMs`. */
function runDriver(spec: DriverSpec, timeoutMs: number): Promise<Measurement> {
  return new Promise((resolvePromise, reject) => {
    const child = track(spawn('taskset', ['-c', String(GENERATOR_CORE), process.execPath, join(root, 'bench/dist/driver/load.js'), JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load generator gave no result within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        const answer = JSON.parse(line) as { ok: true; measurement: Measurement } | { ok: false; error: string };
        if (answer.ok) resolvePromise(answer.measurement);
        else reject(new Error(answer.error));
      } catch {
        reject(new Error(`load generator exited with ${code ?? signal}: ${(stderr || stdout).trim().slice(-300)}`));
      }
    });
  });
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await client.del(keys);
    }
  } finally {
    client.destroy();
  }
}

/** Where this run's workloads take their source /24s from: a random start, so that a run right after another meets none of its TIME_WAIT sockets. */
const runBlockBase = randomInt(0, 254 * 256);

async function runWorkload(plan: WorkloadPlan, index: number, runId: string): Promise<WorkloadResult> {
  const started = performance.now();
  const servers: RunningServer[] = [];
  let ownRedis: BenchRedis | undefined;
  // Keys on the machine's Redis are deleted after; a Redis of the workload's own goes away whole.
  let sharedRedisPrefix: string | undefined;
  const base = { id: plan.id, scenario: plan.scenario, system: plan.system, nodes: plan.nodes };
  const before = await probeCores(SERVER_CORE, GENERATOR_CORE);
  let result: Omit<WorkloadResult, 'coreSpeed'>;
  try {
    if (plan.redis) activeRedis = ownRedis = await startBenchRedis(plan.redis, plan.topics ?? 1, SERVER_CORE);
    const settings = newClusterSettings(plan.nodes === 2, runId, index, ownRedis?.endpoint);
    if (settings.redisKeyPrefix && !ownRedis) {
      sharedRedisPrefix = settings.redisKeyPrefix;
      activeKeyPrefixes.add(sharedRedisPrefix);
    }
    for (let node = 0; node < plan.nodes; node++) servers.push(await startServer(plan.system, root, settings));
    const spec: DriverSpec = {
      kind: plan.kind, system: plan.system, nodes: servers.map((server) => ({ port: server.port, pid: server.pid })),
      ...(plan.topics ? { topics: plan.topics } : {}),
      ...(ownRedis ? { redisNodes: ownRedis.nodes } : {}),
      connections: plan.connections, warmupSeconds: plan.warmupSeconds, windowSeconds: plan.windowSeconds,
      ...(plan.offeredDeliveriesPerSecond ? { offeredDeliveriesPerSecond: plan.offeredDeliveriesPerSecond } : {}),
      maxInFlight: SATURATION_IN_FLIGHT, connectConcurrency: CONNECT_CONCURRENCY, addressBlock: loopbackBlockFor(runBlockBase + index),
    };
    // Connecting is bounded by the driver's own per-connection time-out; this covers a stuck generator.
    const timeoutMs = (plan.warmupSeconds + plan.windowSeconds) * 1000 + plan.connections * 5 + 60_000;
    const measurement = await runDriver(spec, timeoutMs);
    result = { ...base, status: 'ok', measurement, durationSeconds: (performance.now() - started) / 1000 };
  } catch (error) {
    result = { ...base, status: 'failed', error: (error as Error).message, durationSeconds: (performance.now() - started) / 1000 };
  } finally {
    await Promise.allSettled(servers.map((server) => server.stop()));
    await ownRedis?.dispose().catch(() => undefined);
    activeRedis = undefined;
    if (sharedRedisPrefix) {
      await deleteRedisKeys(sharedRedisPrefix).catch(() => undefined);
      activeKeyPrefixes.delete(sharedRedisPrefix);
    }
  }
  const after: CoreProbe = stopping ? {} : await probeCores(SERVER_CORE, GENERATOR_CORE);
  return { ...result, coreSpeed: { before, after } };
}

function progressLine(result: WorkloadResult, position: string): string {
  if (result.status === 'failed') return `${position} ${result.id}: FAILED (${result.error})`;
  const m = result.measurement!;
  let figure: string;
  switch (m.kind) {
    case 'saturation': case 'fixed-rate': case 'cluster':
      figure = `${Math.round(m.deliveriesPerSecond).toLocaleString('en-US')} deliveries/s, p99 ${m.latency.p99Ms.toFixed(1)} ms, closes ${m.subscriberCloses}, `
        + `server CPU ${Math.round(serverCpuShare(m) * 100)} %, `
        + (m.redisCpuSeconds === undefined ? '' : `Redis CPU ${Math.round(m.redisCpuSeconds / m.windowSeconds * 100)} %, `)
        + `driver CPU ${Math.round(m.driverCpuShare * 100)} %`;
      break;
    case 'idle-memory':
      figure = `${Math.round(m.bytesPerConnection).toLocaleString('en-US')} B/connection (${m.connections} connections)`;
      break;
    case 'connect-rate':
      figure = `${Math.round(m.connectsPerSecond).toLocaleString('en-US')} connects/s (${m.failures} failed)`;
      break;
    case 'reconnect-storm':
      figure = `${m.resumed} of ${m.clients} resumed in ${m.secondsUntilAllResumed.toFixed(2)} s, missing ${m.missing}, duplicated ${m.duplicated}, reordered ${m.reordered}`;
      break;
  }
  const probe = result.coreSpeed?.before;
  const speed = probe?.serverMs === undefined || probe.generatorMs === undefined ? '' : `, core probe ${Math.round(probe.serverMs)}/${Math.round(probe.generatorMs)} ms`;
  return `${position} ${result.id}: ${figure} [${result.durationSeconds.toFixed(0)} s${speed}]`;
}

/** Writes RESULTS.md, keeping the hand-written optimisation log and profile findings of the previous one. */
function writeResultsMarkdown(outDir: string, report: BenchReport): void {
  const path = join(outDir, 'RESULTS.md');
  const kept = handWrittenSections(existsSync(path) ? readFileSync(path, 'utf8') : undefined);
  writeFileSync(path, renderResultsMarkdown(report, kept));
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchOptionsError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  if (options.help) {
    console.log(BENCH_USAGE);
    return;
  }
  const outDir = resolve(root, options.outDir);
  if (options.renderOnly) {
    const report = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as BenchReport;
    console.log(renderConsoleTable(report.results));
    writeResultsMarkdown(outDir, report);
    return;
  }
  const plan = benchPlan(options.quick).filter((workload) => selectedBy(options.only, workload.id));
  if (plan.length === 0) {
    console.error(`No workload matches --only ${options.only.join(',')}. Workloads: ${benchPlan(options.quick).map((w) => w.id).join(', ')}`);
    process.exit(2);
  }
  const runId = randomBytes(4).toString('hex');
  const started = performance.now();
  const machine = machineInfo();
  console.log(`tradehub benchmark: ${plan.length} workloads on ${machine.cpuModel} (${machine.cores} cores), Node ${machine.node}, Redis ${machine.redis}`);
  const results: WorkloadResult[] = [];
  for (const [index, workload] of plan.entries()) {
    if (stopping) break;
    const elapsed = (performance.now() - started) / 1000;
    const result: WorkloadResult = elapsed + estimatedSeconds(workload) > RUN_BUDGET_SECONDS
      ? { id: workload.id, scenario: workload.scenario, system: workload.system, nodes: workload.nodes, status: 'failed',
        error: `skipped: the run's ${RUN_BUDGET_SECONDS / 60}-minute budget is spent`, durationSeconds: 0 }
      : await runWorkload(workload, index, runId);
    results.push(result);
    console.log(progressLine(result, `[${index + 1}/${plan.length}]`));
  }
  const thisRun: BenchReport = {
    machine: { ...machine, loadAverageEnd: currentLoadAverage() },
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    quick: options.quick,
    totalSeconds: (performance.now() - started) / 1000,
    results,
  };
  console.log(`\n${renderConsoleTable(results)}`);
  const resultsPath = join(outDir, 'results.json');
  // An --only run refines the last full run's report: every workload it did not measure keeps its row.
  const report = options.only.length > 0 && existsSync(resultsPath)
    ? mergePartialRun(JSON.parse(readFileSync(resultsPath, 'utf8')) as BenchReport, thisRun)
    : thisRun;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`);
  writeResultsMarkdown(outDir, report);
  console.log(`\nWrote ${join(outDir, 'RESULTS.md')} and results.json (${Math.round(thisRun.totalSeconds)} s${report === thisRun ? '' : ', merged into the earlier results'}).`);
}

await main();
