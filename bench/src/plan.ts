import type { RedisLayout, SystemId, WorkloadKind } from './results.js';

export interface WorkloadPlan {
  id: string;
  scenario: string;
  kind: WorkloadKind;
  system: SystemId;
  nodes: 1 | 2;
  connections: number;
  warmupSeconds: number;
  windowSeconds: number;
  offeredDeliveriesPerSecond?: number;
  /** Cluster workloads: subscribers spread over this many topics. */
  topics?: number;
  /** The Redis the nodes share, started for the workload and pinned to the servers' core. */
  redis?: RedisLayout;
}

const ONE_NODE_SYSTEMS: readonly SystemId[] = ['tradehub-interop-json', 'tradehub-trade-json', 'tradehub-trade-msgpack', 'socketio', 'ws'];
/** The naive ws loop has no second node: two-node cases compare tradehub with Socket.IO's redis adapter. */
const TWO_NODE_SYSTEMS: readonly SystemId[] = ['tradehub-interop-json', 'tradehub-trade-json', 'tradehub-trade-msgpack', 'socketio'];
const MEMORY_SYSTEMS: readonly SystemId[] = ['tradehub-trade-json', 'socketio', 'ws'];
export const FIXED_RATE_TOTAL = 50_000;
/** Events/s on the hot topic during the reconnect storm: 50,000 deliveries/s at 10k subscribers, the latency workload's total. */
export const RECONNECT_STORM_RATE = 5;

/** Connect-rate rounds of a full run (see benchPlan). */
export const CONNECT_RATE_ROUNDS = 3;

/** Topics of the cluster workloads: enough that every one of 3 shards serves several (hash slots are not chosen). */
export const CLUSTER_TOPICS = 24;
export const CLUSTER_MASTERS = 3;
const REDIS_LAYOUTS: ReadonlyArray<{ label: string; layout: RedisLayout }> = [
  { label: 'one-redis', layout: { kind: 'one-redis' } },
  { label: `${CLUSTER_MASTERS}-shards`, layout: { kind: 'cluster', masters: CLUSTER_MASTERS } },
];

export function countLabel(count: number): string {
  return count % 1000 === 0 ? `${count / 1000}k` : String(count);
}

/** Every workload of one run, in order; `--quick` shrinks counts and windows, not the kinds of workload. */
export function benchPlan(quick: boolean): WorkloadPlan[] {
  const saturationCounts = quick ? [1000] : [1000, 5000, 10_000];
  const fixedRateCounts = quick ? [1000] : [1000, 5000];
  const twoNodeCounts = quick ? [1000] : [1000, 5000];
  const clusterCounts = quick ? [1000] : [1000, 5000];
  const idleConnections = quick ? 2000 : 10_000;
  const connectAttempts = quick ? 2000 : 5000;
  const warmupSeconds = quick ? 1 : 2;
  const windowSeconds = quick ? 2 : 5;
  const plan: WorkloadPlan[] = [];
  const add = (kind: WorkloadKind, nodes: 1 | 2, count: number, systems: readonly SystemId[], extra: Partial<WorkloadPlan> = {}, round = 1): void => {
    const scenario = `${kind}-${nodes}n-${countLabel(count)}${round > 1 ? `-r${round}` : ''}`;
    for (const system of systems) {
      plan.push({ id: `${scenario}-${system}`, scenario, kind, system, nodes, connections: count, warmupSeconds, windowSeconds, ...extra });
    }
  };
  for (const count of saturationCounts) add('saturation', 1, count, ONE_NODE_SYSTEMS);
  // Their own Redis, pinned to core 0 with the servers: the machine's Redis, left to the scheduler,
  // ran on either core from one run to the next, and the two-node rows swung with it (tradehub's
  // MessagePack 1k row: 220-224k deliveries/s with Redis on core 0, 303-314k on core 1, anything
  // between when unpinned; Socket.IO 90-95k either way).
  for (const count of twoNodeCounts) add('saturation', 2, count, TWO_NODE_SYSTEMS, { redis: { kind: 'one-redis' } });
  // tradehub only: the same two nodes on one Redis and on a Redis Cluster, side by side.
  for (const count of clusterCounts) {
    for (const { label, layout } of REDIS_LAYOUTS) {
      const scenario = `cluster-2n-${countLabel(count)}-${CLUSTER_TOPICS}t-${label}`;
      plan.push({
        id: `${scenario}-tradehub-trade-json`, scenario, kind: 'cluster', system: 'tradehub-trade-json', nodes: 2, connections: count,
        warmupSeconds, windowSeconds, topics: CLUSTER_TOPICS, redis: layout,
      });
    }
  }
  for (const count of fixedRateCounts) add('fixed-rate', 1, count, ONE_NODE_SYSTEMS, { offeredDeliveriesPerSecond: FIXED_RATE_TOTAL });
  add('idle-memory', 1, idleConnections, MEMORY_SYSTEMS, { warmupSeconds: 0, windowSeconds: quick ? 1 : 3 });
  // Rounds, each system in turn: a connect row lasts 1-2 s, short enough to fall wholly into one of
  // this machine's slow phases (core-speed/probe.ts); the rounds show the spread, each with its ratios.
  for (let round = 1; round <= (quick ? 1 : CONNECT_RATE_ROUNDS); round++) {
    add('connect-rate', 1, connectAttempts, MEMORY_SYSTEMS, { warmupSeconds: 0, windowSeconds: 0 }, round);
  }
  // tradehub only: resuming by (epoch, seq) is what is measured, and the peers have no such thing.
  add('reconnect-storm', 1, quick ? 2000 : 10_000, ['tradehub-trade-json'], { warmupSeconds: 0, windowSeconds: quick ? 2 : 10 });
  return plan;
}

/**
 * Publishes in flight per publisher at saturation, the same for every system. With 16, tradehub's server idled
 * 20–40 % of the time at 10k subscribers (the generator drained one round of deliveries before the next
 * publishes came): the rows measured the round trip, not the server. The peers were at 92–100 % of a core either way.
 */
export const SATURATION_IN_FLIGHT = 64;
