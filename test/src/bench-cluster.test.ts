import assert from 'node:assert/strict';
import { topicIndexOf } from '@tradehub/bench/driver/spec';
import { mergePartialRun } from '@tradehub/bench/merge';
import { selectedBy } from '@tradehub/bench/options';
import { benchSymbols, storedTopicsOf, tickTopic } from '@tradehub/bench/payload';
import { benchPlan, CLUSTER_TOPICS } from '@tradehub/bench/plan';
import { clusterDetails, renderResultsMarkdown } from '@tradehub/bench/report';
import type { BenchReport, FanoutMeasurement, ShardedLoad, WorkloadResult } from '@tradehub/bench/results';
import { symbolName } from '@tradehub/shared';

function clusterResult(id: string, sharded: ShardedLoad): WorkloadResult {
  const measurement: FanoutMeasurement = {
    kind: 'cluster', subscribers: 1000, windowSeconds: 5, published: 5000, delivered: 200_000, deliveriesPerSecond: 40_000,
    latency: { samples: 10, p50Ms: 2.5, p99Ms: 9.5, p999Ms: 12, maxMs: 15 }, serverCpuSeconds: 4, serverCpuSecondsPerMillion: 20,
    serverRssMb: 200, subscriberCloses: 0, connectFailures: 0, driverCpuShare: 0.3, sharded,
  };
  return { id, scenario: id.replace(/-tradehub-trade-json$/, ''), system: 'tradehub-trade-json', nodes: 2, status: 'ok', measurement, durationSeconds: 12 };
}

const threeShards = clusterResult('cluster-2n-1k-24t-3-shards-tradehub-trade-json', {
  layout: { kind: 'cluster', masters: 3 }, topics: 24, publishesPerSecond: 1000, hubCpuSeconds: [2.5, 1.5],
  shards: [{ port: 1, topics: 7, storedTopics: 40, cpuSeconds: 0.5 }, { port: 2, topics: 8, storedTopics: 50, cpuSeconds: 0.25 }, { port: 3, topics: 9, storedTopics: 54, cpuSeconds: 0.25 }],
});
const oneRedisLoad: ShardedLoad = {
  layout: { kind: 'one-redis' }, topics: 24, publishesPerSecond: 1000, hubCpuSeconds: [2, 2], shards: [{ port: 9, topics: 24, storedTopics: 144, cpuSeconds: 1 }],
};
const oneRedis = clusterResult('cluster-2n-1k-24t-one-redis-tradehub-trade-json', oneRedisLoad);

function report(command: string, date: string, results: WorkloadResult[]): BenchReport {
  return {
    machine: { cpuModel: 'Test CPU', cores: 2, ramGb: 4, node: 'v20', redis: '7.0.15', kernel: '6.1', date, loadAverageStart: 0.5, loadAverageEnd: 1.5 },
    command, quick: false, totalSeconds: 60, results,
  };
}

describe('bench: cluster workloads', () => {
  it('the plan puts two nodes on one Redis and on a 3-master cluster side by side, and --only cluster selects just them', () => {
    for (const quick of [false, true]) {
      const plan = benchPlan(quick);
      const selected = plan.filter((workload) => selectedBy(['cluster'], workload.id));
      assert.ok(selected.length >= 2 && selected.length % 2 === 0);
      assert.ok(selected.every((workload) => workload.kind === 'cluster' && workload.nodes === 2 && workload.system === 'tradehub-trade-json'
        && workload.topics === CLUSTER_TOPICS));
      assert.deepEqual(selected.slice(0, 2).map((workload) => workload.redis), [{ kind: 'one-redis' }, { kind: 'cluster', masters: 3 }]);
      assert.deepEqual(selected.slice(0, 2).map((workload) => workload.id),
        ['cluster-2n-1k-24t-one-redis-tradehub-trade-json', 'cluster-2n-1k-24t-3-shards-tradehub-trade-json']);
      const others = plan.filter((workload) => workload.kind !== 'cluster');
      assert.ok(others.every((workload) => workload.topics === undefined));
      // Every two-node workload runs on a Redis of its own (pinned with the servers); one node needs none.
      assert.ok(others.some((workload) => workload.nodes === 2));
      assert.ok(others.every((workload) => (workload.nodes === 2 ? workload.redis?.kind === 'one-redis' : workload.redis === undefined)));
    }
  });

  it('every node gets subscribers of every topic, evenly', () => {
    const perNodeTopic = new Map<string, number>();
    for (let index = 0; index < 4800; index++) {
      const key = `${index % 2}:${topicIndexOf(index, 2, 24)}`;
      perNodeTopic.set(key, (perNodeTopic.get(key) ?? 0) + 1);
    }
    assert.equal(perNodeTopic.size, 48);
    assert.deepEqual([...new Set(perNodeTopic.values())], [100]);
  });

  it('its symbols are valid symbol names with distinct tick topics; one topic is the EURUSD of the other workloads', () => {
    const symbols = benchSymbols(CLUSTER_TOPICS);
    assert.equal(new Set(symbols.map(tickTopic)).size, CLUSTER_TOPICS);
    for (const symbol of symbols) assert.ok(symbolName.safeParse(symbol).success, symbol);
    assert.deepEqual(benchSymbols(1), ['EURUSD']);
    assert.equal(tickTopic('BENCH01'), 'platforms/demo/ticks/BENCH01');
    assert.deepEqual(storedTopicsOf('BENCH01'), ['platforms/demo/ticks/BENCH01', ...['M1', 'M5', 'M15', 'H1', 'D1'].map((timeframe) => `platforms/demo/bars/BENCH01/${timeframe}`)]);
  });

  it('RESULTS.md shows each hub node\'s and each shard\'s CPU, and the CPU per publish', () => {
    const table = clusterDetails([oneRedis, threeShards]);
    assert.ok(table.includes('| cluster-2n-1k-24t-3-shards-tradehub-trade-json | cluster, 3 masters | 7 (40) / 8 (50) / 9 (54) | 1,000 | 1,000 | 40,000 | 2.5 | 9.5 | 50 % / 30 % | 10 % / 5 % / 5 % | 20.00 | 800 | 200 |'), table);
    assert.ok(table.includes('| cluster-2n-1k-24t-one-redis-tradehub-trade-json | one Redis | 24 (144) | 1,000 | 1,000 | 40,000 | 2.5 | 9.5 | 40 % / 40 % | 20 % | 20.00 | 800 | 200 |'), table);
    assert.ok(renderResultsMarkdown(report('npm run bench', 'd', [oneRedis, threeShards])).includes('### One Redis vs a Redis Cluster'));
  });
});

describe('bench: an --only run merges into the earlier results', () => {
  const full = report('npm run bench', '2026-12-01', [
    clusterResult('saturation-1n-1k-a', oneRedisLoad),
    clusterResult('cluster-2n-1k-24t-one-redis-tradehub-trade-json', { ...oneRedisLoad, publishesPerSecond: 1 }),
    clusterResult('saturation-1n-5k-b', oneRedisLoad),
  ]);

  it('replaces the rows it measured in place, keeps every other row and adds new ones at the end', () => {
    const merged = mergePartialRun(full, report('npm run bench -- --only cluster', '2026-12-03', [oneRedis, threeShards]));
    assert.deepEqual(merged.results.map((result) => result.id), [
      'saturation-1n-1k-a', 'cluster-2n-1k-24t-one-redis-tradehub-trade-json', 'saturation-1n-5k-b', 'cluster-2n-1k-24t-3-shards-tradehub-trade-json',
    ]);
    assert.equal(merged.results[1], oneRedis);
    assert.equal(merged.command, 'npm run bench');
    assert.equal(merged.machine.date, '2026-12-01');
    assert.deepEqual(merged.partialRuns, [{
      command: 'npm run bench -- --only cluster', date: '2026-12-03', totalSeconds: 60, loadAverageStart: 0.5, loadAverageEnd: 1.5,
      workloads: [oneRedis.id, threeShards.id],
    }]);
    const markdown = renderResultsMarkdown(merged);
    assert.ok(markdown.includes('| command | `npm run bench` |'));
    assert.ok(markdown.includes('`npm run bench -- --only cluster` on 2026-12-03, load average 0.50 / 1.50, 60 s: `cluster-2n-1k-24t-one-redis-tradehub-trade-json`'), markdown);
  });

  it('a later partial run supersedes the workloads an earlier one measured again', () => {
    const once = mergePartialRun(full, report('first', 'd1', [oneRedis, threeShards]));
    const twice = mergePartialRun(once, report('second', 'd2', [threeShards]));
    assert.deepEqual(twice.partialRuns?.map((run) => [run.command, run.workloads]), [['first', [oneRedis.id]], ['second', [threeShards.id]]]);
    const thrice = mergePartialRun(twice, report('third', 'd3', [oneRedis]));
    assert.deepEqual(thrice.partialRuns?.map((run) => run.command), ['second', 'third']);
    assert.equal(thrice.results.length, 4);
  });
});
