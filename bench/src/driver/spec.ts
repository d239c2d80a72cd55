import type { SystemId, WorkloadKind } from '../results.js';

export interface ServerNode {
  port: number;
  pid: number;
}

/** A redis-server whose CPU a cluster workload samples: a cluster master or the one Redis, with the topics it serves. */
export interface RedisNode {
  port: number;
  pid: number;
  /** The workload's tick topics (what subscribers follow) whose hash slot this node serves. */
  topics: number;
  /** Tick and bars topics (a stored tick also stores one bar event per timeframe) whose hash slot it serves. */
  storedTopics: number;
}

/** What the orchestrator asks one load-generator process to do (passed as JSON in argv). */
export interface DriverSpec {
  kind: WorkloadKind;
  system: SystemId;
  nodes: ServerNode[];
  /** Subscribers (fan-out), connections (idle memory) or the most connects to open (connect rate). */
  connections: number;
  warmupSeconds: number;
  windowSeconds: number;
  /** Fixed rate: total deliveries/s offered (publishes/s = this ÷ subscribers). */
  offeredDeliveriesPerSecond?: number;
  /**
   * Cluster: subscriber i follows topic floor(i / nodes) mod topics (every node has every topic),
   * one publisher per node sends to the topics in turn, and the CPU of these redis-servers is sampled.
   */
  topics?: number;
  redisNodes?: RedisNode[];
  /** Saturation: publishes awaiting their acknowledgement at most. */
  maxInFlight: number;
  /** Connects in progress at most. */
  connectConcurrency: number;
  /**
   * The /24 the workload's source addresses come from (`127.A.B`, see loopbackBlockFor): a fresh
   * one per workload, so no workload connects from an address crowded with the last one's
   * sockets in TIME_WAIT (the kernel's search for a free port then costs the driver ~3 ms per connect).
   */
  addressBlock: string;
}

export const CONNECTIONS_PER_SOURCE_ADDRESS = 1000;

/** The n-th /24 outside 127.0.0.0/16 (where the servers listen): 127.1.0, 127.1.1, ... 127.254.255, then again. */
export function loopbackBlockFor(n: number): string {
  const block = ((n % (254 * 256)) + 254 * 256) % (254 * 256);
  return `127.${1 + Math.floor(block / 256)}.${block % 256}`;
}

/** The source address of the index-th connection: .2 and up in the workload's /24, a thousand connections each. */
export function sourceAddressFor(index: number, addressBlock: string): string {
  return `${addressBlock}.${2 + (Math.floor(index / CONNECTIONS_PER_SOURCE_ADDRESS) % 250)}`;
}

/** The topic subscriber `index` follows: the nodes take turns (index mod nodes), so every node has subscribers of every topic. */
export function topicIndexOf(index: number, nodes: number, topics: number): number {
  return Math.floor(index / nodes) % topics;
}
