import assert from 'node:assert/strict';
import { bytesPerConnection, compareScenarios, cpuSecondsPerMillion, headlineOf, perSecond, ratio } from '@tradehub/bench/stats';
import type { FanoutMeasurement, SystemId, WorkloadResult } from '@tradehub/bench/results';
import { benchPlan } from '@tradehub/bench/plan';
import { parseCpuSeconds, parseRssBytes } from '@tradehub/bench/driver/proc-stat';
import { loopbackBlockFor, sourceAddressFor } from '@tradehub/bench/driver/spec';

function saturation(system: SystemId, deliveriesPerSecond: number, status: 'ok' | 'failed' = 'ok'): WorkloadResult {
  const measurement: FanoutMeasurement = {
    kind: 'saturation', subscribers: 1000, windowSeconds: 5, published: 100, delivered: deliveriesPerSecond * 5, deliveriesPerSecond,
    latency: { samples: 1, p50Ms: 1, p99Ms: 2, p999Ms: 3, maxMs: 4 }, serverCpuSeconds: 5, serverCpuSecondsPerMillion: 10,
    serverRssMb: 100, subscriberCloses: 0, connectFailures: 0, driverCpuShare: 0.5,
  };
  return {
    id: `saturation-1n-1k-${system}`, scenario: 'saturation-1n-1k', system, nodes: 1, status, durationSeconds: 10,
    ...(status === 'ok' ? { measurement } : { error: 'server did not listen' }),
  };
}

describe('bench: stats', () => {
  it('a ratio is tradehub over the peer, and undefined without both figures or with a zero peer', () => {
    assert.equal(ratio(200, 100), 2);
    assert.equal(ratio(50, 100), 0.5);
    assert.equal(ratio(undefined, 100), undefined);
    assert.equal(ratio(100, undefined), undefined);
    assert.equal(ratio(100, 0), undefined);
    assert.equal(ratio(Number.NaN, 1), undefined);
  });

  it('derives rates, CPU per million deliveries and memory per connection', () => {
    assert.equal(perSecond(500, 2), 250);
    assert.equal(perSecond(500, 0), 0);
    assert.equal(cpuSecondsPerMillion(3, 1_500_000), 2);
    assert.equal(cpuSecondsPerMillion(3, 0), null);
    assert.equal(bytesPerConnection(100 * 1024 * 1024, 200 * 1024 * 1024, 10_000), 10485.76);
    assert.equal(bytesPerConnection(200, 100, 10), 0, 'RSS that shrank (a GC) is no negative cost');
    assert.equal(bytesPerConnection(100, 200, 0), 0);
  });

  it('compares each tradehub figure with the peers of the same scenario only', () => {
    const results = [
      saturation('tradehub-interop-json', 150_000), saturation('tradehub-trade-json', 60_000),
      saturation('socketio', 75_000), saturation('ws', 100_000),
      { ...saturation('ws', 1), scenario: 'saturation-1n-5k', id: 'saturation-1n-5k-ws' },
    ];
    const [oneK, fiveK] = compareScenarios(results);
    assert.equal(oneK?.scenario, 'saturation-1n-1k');
    assert.equal(oneK?.metric, 'deliveries/s');
    const interop = oneK?.rows.find((row) => row.result.system === 'tradehub-interop-json');
    assert.equal(interop?.vsSocketIo, 2);
    assert.equal(interop?.vsWs, 1.5);
    assert.equal(oneK?.rows.find((row) => row.result.system === 'tradehub-trade-json')?.vsSocketIo, 0.8);
    assert.equal(oneK?.rows.find((row) => row.result.system === 'socketio')?.vsWs, undefined, 'peers get no ratio');
    assert.equal(fiveK?.rows.length, 1);
  });

  it('gives no ratio against a peer whose workload failed', () => {
    const [comparison] = compareScenarios([saturation('tradehub-interop-json', 150_000), saturation('socketio', 0, 'failed'), saturation('ws', 100_000)]);
    const row = comparison?.rows.find((candidate) => candidate.result.system === 'tradehub-interop-json');
    assert.equal(row?.vsSocketIo, undefined);
    assert.equal(row?.vsWs, 1.5);
  });

  it('picks the headline figure by kind: lower is better for p99 and memory', () => {
    const fixed = { ...saturation('ws', 1).measurement as FanoutMeasurement, kind: 'fixed-rate' as const };
    assert.deepEqual([headlineOf(fixed).name, headlineOf(fixed).value, headlineOf(fixed).higherIsBetter], ['p99', 2, false]);
    const memory = headlineOf({ kind: 'idle-memory', connections: 10, connectFailures: 0, rssBeforeMb: 1, rssAfterMb: 2, bytesPerConnection: 9000 });
    assert.deepEqual([memory.value, memory.higherIsBetter], [9000, false]);
  });
});

describe('bench: /proc sampling and source addresses', () => {
  it('reads utime + stime after the command name, even one holding spaces and parentheses', () => {
    const fields = ['S', ...Array.from({ length: 10 }, () => '0'), '250', '50', ...Array.from({ length: 30 }, () => '0')];
    assert.equal(parseCpuSeconds(`1234 (node (main) x) ${fields.join(' ')}`, 100), 3);
  });

  it('reads VmRSS in bytes and refuses a status without it', () => {
    assert.equal(parseRssBytes('Name:\tnode\nVmRSS:\t   2048 kB\nThreads: 7\n'), 2 * 1024 * 1024);
    assert.throws(() => parseRssBytes('Name:\tnode\n'), /VmRSS/);
  });

  it('spreads connections over .2 and up of a workload\'s own /24 in 127.0.0.0/8, 1,000 each', () => {
    assert.equal(sourceAddressFor(0, '127.5.6'), '127.5.6.2');
    assert.equal(sourceAddressFor(999, '127.5.6'), '127.5.6.2');
    assert.equal(sourceAddressFor(1000, '127.5.6'), '127.5.6.3');
    assert.equal(sourceAddressFor(50_000, '127.5.6'), '127.5.6.52');
    assert.equal(loopbackBlockFor(0), '127.1.0', 'stays clear of the servers\' 127.0.0.0/16');
    assert.equal(loopbackBlockFor(257), '127.2.1');
    assert.equal(loopbackBlockFor(254 * 256 - 1), '127.254.255');
    assert.equal(loopbackBlockFor(254 * 256), '127.1.0', 'wraps before 127.255');
  });
});

describe('bench: plan', () => {
  it('the full plan has every workload of the issue, each id unique', () => {
    const plan = benchPlan(false);
    const ids = plan.map((workload) => workload.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of [
      'saturation-1n-1k-tradehub-interop-json', 'saturation-1n-10k-socketio', 'saturation-1n-5k-ws', 'saturation-2n-1k-tradehub-trade-json',
      'saturation-2n-1k-socketio', 'fixed-rate-1n-5k-tradehub-trade-msgpack', 'idle-memory-1n-10k-tradehub-trade-json', 'connect-rate-1n-5k-tradehub-trade-json',
      'reconnect-storm-1n-10k-tradehub-trade-json',
    ]) assert.ok(ids.includes(id), id);
    assert.ok(!ids.includes('saturation-2n-1k-ws'), 'the naive ws loop has no two-node form');
    assert.equal(plan.find((workload) => workload.id === 'fixed-rate-1n-5k-ws')?.offeredDeliveriesPerSecond, 50_000);
  });

  it('--quick keeps every kind of workload with smaller counts and windows', () => {
    const quick = benchPlan(true);
    assert.deepEqual([...new Set(quick.map((workload) => workload.kind))], ['saturation', 'cluster', 'fixed-rate', 'idle-memory', 'connect-rate', 'reconnect-storm']);
    assert.ok(quick.every((workload) => workload.connections <= 2000 && workload.windowSeconds <= 2));
  });
});
