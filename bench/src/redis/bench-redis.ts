import { benchSymbols, storedTopicsOf } from '../payload.js';
import type { RedisNode } from '../driver/spec.js';
import type { RedisLayout } from '../results.js';
import { LocalRedis } from './local-redis.js';
import { OwnRedisCluster } from './own-redis-cluster.js';

/** How hub nodes reach a Redis: a URL, or a cluster's seed nodes. */
export type RedisEndpoint = { url: string } | { clusterNodes: string[] };

/** The Redis of one cluster workload: started for it, pinned with the servers, stopped after. */
export interface BenchRedis {
  endpoint: RedisEndpoint;
  /** The redis-servers whose CPU is sampled (the masters, or the one Redis), with the workload's topics each serves. */
  nodes: RedisNode[];
  dispose(): Promise<void>;
}

/** Starts the `layout` a cluster workload runs on, on `core`; `topics` are the workload's topic count. */
export async function startBenchRedis(layout: RedisLayout, topics: number, core: number): Promise<BenchRedis> {
  if (layout.kind === 'one-redis') {
    const redis = await LocalRedis.start(core);
    const storedTopics = benchSymbols(topics).flatMap(storedTopicsOf).length;
    return { endpoint: { url: redis.url }, nodes: [{ port: redis.port, pid: redis.pid, topics, storedTopics }], dispose: () => redis.dispose() };
  }
  const cluster = await OwnRedisCluster.start({ replicasPerMaster: 0, core });
  try {
    const masters = await cluster.masters();
    if (masters.length !== layout.masters) throw new Error(`the cluster has ${masters.length} masters, not ${layout.masters}`);
    // A topic's keys and channel carry the hash tag {topic}: its slot is the topic's own. The first of each
    // symbol's stored topics is its tick topic.
    const shardsOfSymbols = await Promise.all(benchSymbols(topics).map((symbol) => Promise.all(storedTopicsOf(symbol).map((topic) => cluster.masterOf(topic)))));
    const nodes = masters.map(({ port }) => ({
      port, pid: cluster.pidOf(port)!,
      topics: shardsOfSymbols.filter(([tickShard]) => tickShard === port).length,
      storedTopics: shardsOfSymbols.flat().filter((master) => master === port).length,
    }));
    return { endpoint: { clusterNodes: cluster.seeds }, nodes, dispose: () => cluster.dispose() };
  } catch (error) {
    await cluster.dispose();
    throw error;
  }
}
