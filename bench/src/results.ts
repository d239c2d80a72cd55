/** What one benchmark run measures: the shapes results.json holds and the report reads. */

export type SystemId =
  | 'tradehub-interop-json'
  | 'tradehub-trade-json'
  | 'tradehub-trade-msgpack'
  | 'socketio'
  | 'ws';

export const TRADEHUB_SYSTEMS: readonly SystemId[] = ['tradehub-interop-json', 'tradehub-trade-json', 'tradehub-trade-msgpack'];
export const PEER_SYSTEMS: readonly SystemId[] = ['socketio', 'ws'];

export const SYSTEM_LABELS: Record<SystemId, string> = {
  'tradehub-interop-json': 'tradehub /testhub SendToAll (JSON)',
  'tradehub-trade-json': 'tradehub trade topic (JSON)',
  'tradehub-trade-msgpack': 'tradehub trade topic (MessagePack)',
  'socketio': 'Socket.IO 4.8',
  'ws': 'naive ws loop',
};

/** `cluster`: saturation of two nodes over many topics, on one Redis or a 3-master Redis Cluster (see ShardedLoad). */
export type WorkloadKind = 'saturation' | 'fixed-rate' | 'cluster' | 'idle-memory' | 'connect-rate' | 'reconnect-storm';

/** What a cluster workload runs on: one stand-alone Redis, or a Redis Cluster of that many masters. */
export type RedisLayout = { kind: 'one-redis' } | { kind: 'cluster'; masters: number };

/** One redis-server of a cluster workload (a cluster master, or the one Redis): its topics and CPU in the window. */
export interface RedisShardLoad {
  port: number;
  /** The benchmark's tick topics whose hash slot this shard serves. */
  topics: number;
  /** Tick and bars topics (each stored tick stores a bar event per timeframe too) whose hash slot it serves. */
  storedTopics: number;
  cpuSeconds: number;
}

/** The cluster workload's figures beyond a fan-out's: where the topics and the CPU went. */
export interface ShardedLoad {
  layout: RedisLayout;
  topics: number;
  /** Publishes/s acknowledged in the window (all publishers). */
  publishesPerSecond: number;
  /** CPU seconds of each hub node in the window, in node order. */
  hubCpuSeconds: number[];
  shards: RedisShardLoad[];
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface FanoutMeasurement {
  kind: 'saturation' | 'fixed-rate' | 'cluster';
  subscribers: number;
  windowSeconds: number;
  /** Messages the publisher sent during the window. */
  published: number;
  /** Messages counted at all subscribers during the window. */
  delivered: number;
  deliveriesPerSecond: number;
  latency: LatencySummary;
  serverCpuSeconds: number;
  serverCpuSecondsPerMillion: number | null;
  serverRssMb: number;
  /** Subscribers the server closed during the run (slow consumers past the outbound budget, errors). */
  subscriberCloses: number;
  connectFailures: number;
  /** Share of one core the load generator used in the window: near 1 means it, not the server, may be the limit. */
  driverCpuShare: number;
  /** Workloads with a Redis of their own: its CPU in the window (all redis-servers), seconds. */
  redisCpuSeconds?: number;
  /** Cluster workloads only. */
  sharded?: ShardedLoad;
}

export interface IdleMemoryMeasurement {
  kind: 'idle-memory';
  connections: number;
  connectFailures: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  bytesPerConnection: number;
}

export interface ConnectRateMeasurement {
  kind: 'connect-rate';
  connects: number;
  failures: number;
  seconds: number;
  connectsPerSecond: number;
  /** Server CPU time per connect (all nodes), µs: what a connect costs, steadier than the rate on a shared machine. */
  serverCpuMicrosPerConnect?: number;
  /** Server CPU over the run, of one core: near 1 means the server was the limit. */
  serverCpuShare?: number;
  /** Load generator CPU over the run, of one core: near 1 means the generator was the limit. */
  driverCpuShare?: number;
}

/** `tradehub-load reconnect-storm`: every subscriber drops at once while events flow, then resumes by (epoch, seq). */
export interface ReconnectStormMeasurement {
  kind: 'reconnect-storm';
  clients: number;
  resumed: number;
  failed: number;
  /** From the drop until the last client had resumed (reconnected and re-subscribed with its positions). */
  secondsUntilAllResumed: number;
  /** Events the resumes replayed from history. */
  replayedEvents: number;
  /** Counted by seq at every subscriber over the whole run: all must be 0. */
  missing: number;
  duplicated: number;
  reordered: number;
  serverCpuSeconds: number;
}

export type Measurement = FanoutMeasurement | IdleMemoryMeasurement | ConnectRateMeasurement | ReconnectStormMeasurement;

/** The core-speed probe's milliseconds on each core (core-speed/probe.ts): less is a faster core. */
export interface CoreProbe {
  serverMs?: number;
  generatorMs?: number;
}

/** The probe before the workload's servers started and after they stopped. */
export interface CoreSpeed {
  before: CoreProbe;
  after: CoreProbe;
}

export interface WorkloadResult {
  /** e.g. `saturation-1n-1k-socketio`: what `--only` matches. */
  id: string;
  /** Workloads of one scenario are compared with each other, e.g. `saturation-1n-1k`. */
  scenario: string;
  system: SystemId;
  nodes: 1 | 2;
  status: 'ok' | 'failed';
  error?: string;
  measurement?: Measurement;
  durationSeconds: number;
  /** How fast the cores ran around the workload; absent in runs before the probe existed. */
  coreSpeed?: CoreSpeed;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGb: number;
  node: string;
  redis: string;
  kernel: string;
  date: string;
  /** 1-minute load averages at the start and the end of the run: how much else the machine was doing. */
  loadAverageStart?: number;
  loadAverageEnd?: number;
}

/** A later `--only` run merged into an earlier report: its rows replaced or joined the earlier ones. */
export interface PartialRun {
  command: string;
  date: string;
  loadAverageStart?: number;
  loadAverageEnd?: number;
  totalSeconds: number;
  /** Ids of the workloads it measured. */
  workloads: string[];
}

export interface BenchReport {
  machine: MachineInfo;
  command: string;
  quick: boolean;
  totalSeconds: number;
  results: WorkloadResult[];
  /** `--only` runs merged in after the run described by machine and command, oldest first. */
  partialRuns?: PartialRun[];
}
