import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfig } from '@tradehub/server';
import { SATURATION_IN_FLIGHT } from './plan.js';
import type { RedisEndpoint } from './redis/bench-redis.js';
import type { SystemId } from './results.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
const READY_TIMEOUT_MS = 20_000;

/**
 * tradehub's `limits.parallelInvocationsPerConnection` in the benchmark: as many as the publisher
 * keeps in flight, so that no publish waits for an earlier one to finish, as with the peers
 * (Socket.IO runs every event's handler as it arrives). ASP.NET's default is 1. With 16, two
 * nodes through Redis were bound by the publisher's calls, not by CPU: 16 publishes waiting on
 * Redis round trips let ~250 publishes/s through, each node flushed 5-6 messages per frame, and
 * the MessagePack 1k row gave 150k-250k deliveries/s; with 64, 14-21 messages per frame and
 * 283k-373k deliveries/s.
 */
export const TRADEHUB_PARALLEL_INVOCATIONS = SATURATION_IN_FLIGHT;

/** The demo configuration (its credentials are what the driver logs in with) plus the benchmark's settings. */
function writeTradehubConfig(dataDir: string): string {
  const config = demoConfig(dataDir);
  const path = join(dataDir, 'bench-config.json');
  writeFileSync(path, JSON.stringify({ ...config, limits: { ...config.limits, parallelInvocationsPerConnection: TRADEHUB_PARALLEL_INVOCATIONS } }));
  return path;
}

/** Every child this process started, killed on exit whatever the way out. */
const children = new Set<ChildProcess>();

export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

export interface ClusterSettings {
  /** Shared by the nodes of one workload: tradehub's key prefix, Socket.IO's adapter channel prefix. */
  redisKeyPrefix?: string;
  /** The Redis the nodes share when there is a key prefix: the machine's own (REDIS_URL) when absent. */
  redis?: RedisEndpoint;
  jwtSecret: string;
}

export function newClusterSettings(redis: boolean, runId: string, index: number, endpoint?: RedisEndpoint): ClusterSettings {
  return {
    jwtSecret: randomBytes(32).toString('hex'),
    ...(redis ? { redisKeyPrefix: `bench-${runId}-${index}:` } : {}),
    ...(endpoint ? { redis: endpoint } : {}),
  };
}

function redisEnvironment(endpoint: RedisEndpoint): NodeJS.ProcessEnv {
  return 'url' in endpoint ? { REDIS_URL: endpoint.url } : { REDIS_CLUSTER_NODES: endpoint.clusterNodes.join(',') };
}

function commandFor(system: SystemId, root: string): string {
  if (system === 'socketio') return join(root, 'bench/dist/peers/socketio-server.js');
  if (system === 'ws') return join(root, 'bench/dist/peers/ws-server.js');
  return join(root, 'server/dist/cli/main.js');
}

/**
 * Node flags for every server the benchmark starts, from SERVER_NODE_OPTIONS (as the profile
 * scripts take them): e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a workload's servers.
 */
function serverNodeFlags(): string[] {
  return (process.env.SERVER_NODE_OPTIONS ?? '').split(' ').filter((flag) => flag !== '');
}

/** Starts one server of `system` pinned to core 0; resolves once it says it listens. */
export async function startServer(system: SystemId, root: string, settings: ClusterSettings): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = system.startsWith('tradehub') ? mkdtempSync(join(tmpdir(), 'tradehub-bench-')) : undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), NODE_ENV: 'development' };
  if (dataDir) {
    Object.assign(env, {
      TRADEHUB_SIMULATOR: 'off', TRADEHUB_INTEROP_HUB: 'on', LOG_LEVEL: 'warn', TRADEHUB_DATA_DIR: dataDir, TRADEHUB_JWT_SECRET: settings.jwtSecret,
      TRADEHUB_CONFIG: writeTradehubConfig(dataDir),
    });
  }
  if (settings.redisKeyPrefix) {
    Object.assign(env, redisEnvironment(settings.redis ?? { url: REDIS_URL }), { REDIS_KEY_PREFIX: settings.redisKeyPrefix, SOCKET_IO_KEY: settings.redisKeyPrefix });
  }
  const child = track(spawn('taskset', ['-c', '0', process.execPath, ...serverNodeFlags(), commandFor(system, root)], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const cleanUp = (): void => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${system} did not listen within ${READY_TIMEOUT_MS} ms: ${output.slice(-500)}`)), READY_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (/listening/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${system} exited with ${code} before listening: ${output.slice(-500)}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    cleanUp();
    throw error;
  }
  // Keep draining its output so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    pid: child.pid!,
    port,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        cleanUp();
        resolve();
        return;
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(timer);
        cleanUp();
        resolve();
      });
      child.kill('SIGTERM');
    }),
  };
}
