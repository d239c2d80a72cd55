import assert from 'node:assert/strict';
import { coreSpeedSummary, formatRatio, handWrittenSections, renderConsoleTable, renderResultsMarkdown } from '@tradehub/bench/report';
import type { BenchReport, FanoutMeasurement, SystemId, WorkloadResult } from '@tradehub/bench/results';

function fanout(system: SystemId, deliveriesPerSecond: number): WorkloadResult {
  const measurement: FanoutMeasurement = {
    kind: 'saturation', subscribers: 1000, windowSeconds: 5, published: 500, delivered: deliveriesPerSecond * 5, deliveriesPerSecond,
    latency: { samples: 10, p50Ms: 1.25, p99Ms: 12.5, p999Ms: 20, maxMs: 30 }, serverCpuSeconds: 5, serverCpuSecondsPerMillion: 6.67,
    serverRssMb: 120, subscriberCloses: 3, connectFailures: 0, driverCpuShare: 0.42,
  };
  return { id: `saturation-1n-1k-${system}`, scenario: 'saturation-1n-1k', system, nodes: 1, status: 'ok', measurement, durationSeconds: 9 };
}

const failed: WorkloadResult = {
  id: 'saturation-1n-1k-ws', scenario: 'saturation-1n-1k', system: 'ws', nodes: 1, status: 'failed', error: 'ws exited with 1 before listening', durationSeconds: 1,
};

const report: BenchReport = {
  machine: { cpuModel: 'Test CPU', cores: 2, ramGb: 3.8, node: 'v20.0.0', redis: '7.0.15', kernel: '6.1', date: '2026-12-03T00:00:00.000Z' },
  command: 'npm run bench -- --quick',
  quick: true,
  totalSeconds: 120,
  results: [fanout('tradehub-interop-json', 160_000), fanout('socketio', 80_000), failed],
};

describe('bench: report', () => {
  it('formats ratios with two decimals and a dash when there is none', () => {
    assert.equal(formatRatio(2), '2.00×');
    assert.equal(formatRatio(0.456), '0.46×');
    assert.equal(formatRatio(undefined), '–');
  });

  it('the console table shows each figure, tradehub\'s ratio to Socket.IO, and a failed workload as failed', () => {
    const table = renderConsoleTable(report.results);
    const interopLine = table.split('\n').find((line) => line.includes('tradehub-interop-json'));
    assert.match(interopLine ?? '', /160,000 deliveries\/s\s+2\.00×\s+–/);
    assert.match(table, /ws\s+FAILED: ws exited with 1 before listening/);
  });

  it('RESULTS.md holds the machine, the command, every figure, the ratios, the failures and the optimisations table', () => {
    const markdown = renderResultsMarkdown(report);
    for (const expected of [
      '| CPU | Test CPU |', '| Redis | 7.0.15 |', '| date | 2026-12-03T00:00:00.000Z |', '`npm run bench -- --quick` (quick',
      '| saturation-1n-1k | tradehub /testhub SendToAll (JSON) | 160,000 deliveries/s | 2.00× | – |',
      '| saturation-1n-1k-socketio | 1,000 | 5.0 | 500 | 400,000 | 80,000 | 1.3 | 12.5 | 20.0 | 30.0 | 6.67 | 100 % | 120 | 3 | 0 | 42 % |',
      '- `saturation-1n-1k-ws`: ws exited with 1 before listening',
      '## Optimisations', '| optimisation | workload | before | after | gain |', '## Profile findings',
    ]) assert.ok(markdown.includes(expected), `missing: ${expected}`);
  });

  it('escapes pipes in error texts so a table row stays one row', () => {
    const markdown = renderResultsMarkdown({ ...report, results: [{ ...failed, error: 'a | b' }] });
    assert.ok(markdown.includes('FAILED: a \\| b'));
  });
});

describe('bench: report rewrites keep the hand-written sections', () => {
  it('a new RESULTS.md carries over the optimisation log and profile findings of the previous one', () => {
    const previous = renderResultsMarkdown(report).replace('| _(placeholder)_ | | | | |', '| bytes cached per protocol | saturation-1n-1k | 60k | 90k | 1.5× |');
    const kept = handWrittenSections(previous);
    assert.ok(kept?.startsWith('## Optimisations\n'));
    const next = renderResultsMarkdown({ ...report, totalSeconds: 999 }, kept);
    assert.ok(next.includes('| bytes cached per protocol | saturation-1n-1k | 60k | 90k | 1.5× |'));
    assert.ok(next.includes('| duration | 999 s |'));
    assert.equal(next.split('## Optimisations').length, 2, 'one optimisation section, not two');
  });

  it('without a previous file (or one without the section) the placeholders are written', () => {
    assert.equal(handWrittenSections(undefined), undefined);
    assert.equal(handWrittenSections('# Benchmark results\n'), undefined);
    assert.ok(renderResultsMarkdown(report, undefined).includes('| _(placeholder)_ |'));
  });
});

describe('bench: CPU-normalised comparison', () => {
  it('lists the workloads measured while a core ran slow, against the run\'s median probe of that core', () => {
    const probed = (id: string, serverMs: [number, number], generatorMs: [number, number]): WorkloadResult => ({
      ...fanout('ws', 100_000), id,
      coreSpeed: { before: { serverMs: serverMs[0], generatorMs: generatorMs[0] }, after: { serverMs: serverMs[1], generatorMs: generatorMs[1] } },
    });
    // Core 0 probes: median 100; core 1: median 200.
    const summary = coreSpeedSummary([
      probed('steady', [100, 100], [200, 200]),
      probed('just-under', [129, 95], [200, 210]),
      probed('slow-server-core', [100, 131], [200, 190]),
      probed('slow-generator-core', [90, 100], [270, 200]),
    ]);
    assert.match(summary, /core 0 \(servers\) 100 ms, core 1 \(load generator\) 200 ms/);
    assert.match(summary, /: 2 of 4\./);
    const rows = summary.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| workload'));
    assert.deepEqual(rows.map((row) => row.split(' | ')[0]), ['| slow-server-core', '| slow-generator-core']);
    assert.match(rows[0] ?? '', /100 \/ 131 \| 200 \/ 190 \| 1\.31× \/ 1\.00×/);
    assert.match(rows[1] ?? '', /1\.00× \/ 1\.35×/);
    assert.equal(coreSpeedSummary([fanout('ws', 1)]), 'Not probed in this run.');
  });

  it('compares deliveries per server CPU-second, which a server starved of CPU does not distort', () => {
    const starved = fanout('tradehub-interop-json', 40_000);
    (starved.measurement as FanoutMeasurement).serverCpuSecondsPerMillion = 5;
    const table = renderConsoleTable([starved, fanout('socketio', 80_000)]);
    // 200k deliveries per CPU-second against Socket.IO's 150k: 1.33× per CPU, though 0.50× in raw deliveries/s.
    assert.match(table.split('\n').find((line) => line.includes('tradehub-interop-json')) ?? '', /0\.50×\s+–\s+1\.33×/);
  });
});
