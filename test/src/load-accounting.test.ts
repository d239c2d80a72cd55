import assert from 'node:assert/strict';
import { LatencyRecorder, SubscriberLedger, TopicSeqTracker, planTopics, renderMarkdown, slope, type LoadReport } from '@tradehub/server/load';

describe('tradehub-load: seq accounting', () => {
  it('counts nothing wrong for an in-order stream, and what is owed up to the head as missing', () => {
    const tracker = new TopicSeqTracker('e1', 10);
    for (let seq = 11; seq <= 20; seq++) tracker.record(seq, 'e1');
    assert.deepEqual(tracker.countsUpTo(20), { received: 10, missing: 0, conflated: 0, undelivered: 0, duplicated: 0, reordered: 0, epochChanges: 0 });
    assert.deepEqual([tracker.countsUpTo(23).missing, tracker.countsUpTo(23).undelivered], [0, 3], 'events after the last one received are undelivered, not gaps');
    assert.equal(tracker.expectedUpTo(20), 10);
  });

  it('counts gaps on a ticks topic as conflated (the hub keeps only the latest tick for a lagging connection), elsewhere as missing', () => {
    const ticks = new SubscriberLedger();
    ticks.start('platforms/demo/ticks/EURUSD', 'e1', 0);
    ticks.start('platforms/demo/accounts/1001', 'e1', 0);
    for (const seq of [1, 2, 6, 9]) ticks.record('platforms/demo/ticks/EURUSD', seq, 'e1');
    for (const seq of [1, 3]) ticks.record('platforms/demo/accounts/1001', seq, 'e1');
    const tickCounts = ticks.topics.get('platforms/demo/ticks/EURUSD')?.countsUpTo(9);
    const dealCounts = ticks.topics.get('platforms/demo/accounts/1001')?.countsUpTo(3);
    assert.deepEqual([tickCounts?.missing, tickCounts?.conflated], [0, 5]);
    assert.deepEqual([dealCounts?.missing, dealCounts?.conflated], [1, 0]);
  });

  it('tells missing, duplicated and out-of-order events apart', () => {
    const tracker = new TopicSeqTracker('e1', 0);
    for (const seq of [1, 2, 4, 5, 3, 5, 2, 8]) tracker.record(seq, 'e1');
    // 3 came late (reordered); 5 and 2 came twice; 6 and 7 never came.
    assert.deepEqual(tracker.countsUpTo(8), { received: 8, missing: 2, conflated: 0, undelivered: 0, duplicated: 2, reordered: 1, epochChanges: 0 });
    assert.deepEqual(tracker.position, { epoch: 'e1', seq: 8 });
  });

  it('counts an event already covered by the start position as a duplicate', () => {
    const tracker = new TopicSeqTracker('e1', 5);
    tracker.record(5, 'e1');
    tracker.record(6, 'e1');
    assert.equal(tracker.countsUpTo(6).duplicated, 1);
  });

  it('counts an epoch change and writes off what the old epoch still owed', () => {
    const tracker = new TopicSeqTracker('e1', 0);
    tracker.record(1, 'e1');
    tracker.record(3, 'e1');
    tracker.record(1, 'e2');
    assert.deepEqual(tracker.countsUpTo(1), { received: 3, missing: 1, conflated: 0, undelivered: 0, duplicated: 0, reordered: 0, epochChanges: 1 });
  });

  it('keeps per-topic accounting per subscriber, resumes from the last seq, and starts topics seen first live at 0', () => {
    const ledger = new SubscriberLedger();
    ledger.start('t/a', 'e', 3);
    ledger.record('t/a', 4, 'e');
    ledger.record('t/b', 1, 'e');
    ledger.record('t/b', 2, 'e');
    assert.deepEqual(ledger.resumePositions(), { 't/a': { epoch: 'e', seq: 4 }, 't/b': { epoch: 'e', seq: 2 } });
    const heads = new Map([['t/a', 5], ['t/b', 2]]);
    assert.equal(ledger.caughtUp(heads), false);
    assert.equal(ledger.countsUpTo(heads).undelivered, 1);
    assert.equal(ledger.expectedUpTo(heads), 4);
    ledger.record('t/a', 5, 'e');
    assert.equal(ledger.caughtUp(heads), true);
  });
});

describe('tradehub-load: topics, latency and reports', () => {
  it('lays out hot, many and wildcard topics', () => {
    const hot = planTopics({ platform: 'demo', topics: 'hot', topicCount: 50, topicsPerConnection: 1 });
    assert.deepEqual(hot.topics, ['platforms/demo/ticks/LOAD0']);
    assert.deepEqual(hot.subscriptionsOf(7), ['platforms/demo/ticks/LOAD0']);
    const many = planTopics({ platform: 'demo', topics: 'many', topicCount: 4, topicsPerConnection: 2 });
    assert.deepEqual(many.subscriptionsOf(0), ['platforms/demo/ticks/LOAD0', 'platforms/demo/ticks/LOAD1']);
    assert.deepEqual(many.subscriptionsOf(3), ['platforms/demo/ticks/LOAD2', 'platforms/demo/ticks/LOAD3']);
    const wildcard = planTopics({ platform: 'demo', topics: 'wildcard', topicCount: 3, topicsPerConnection: 1 });
    assert.equal(wildcard.topics.length, 3);
    assert.deepEqual(wildcard.subscriptionsOf(1), ['platforms/demo/ticks/*']);
  });

  it('summarises latency percentiles from the HDR histogram', () => {
    const recorder = new LatencyRecorder();
    for (let ms = 1; ms <= 1000; ms++) recorder.recordMs(ms);
    const summary = recorder.summary();
    assert.equal(summary.count, 1000);
    assert.ok(Math.abs(summary.p50 - 500) <= 1, `p50 ${summary.p50}`);
    assert.ok(Math.abs(summary.p99 - 990) <= 1, `p99 ${summary.p99}`);
    assert.ok(Math.abs(summary.max - 1000) <= 1, `max ${summary.max}`);
    assert.equal(new LatencyRecorder().summary().count, 0);
  });

  it('fits a drift slope', () => {
    assert.equal(slope([10, 12, 14, 16]), 2);
    assert.equal(slope([5]), 0);
  });

  it('renders the Markdown summary with the figures and the problems', () => {
    const latency = { count: 10, p50: 1.5, p99: 9.25, p999: 12, max: 13, mean: 2 };
    const report: LoadReport = {
      tool: 'tradehub-load', scenario: 'reconnect-storm', startedAt: '2026-12-03T09:00:00.000Z', durationSeconds: 12.5,
      settings: { connections: 5000, protocol: 'json' },
      connect: { target: 5000, opened: 4990, failed: 10, failures: { 'HTTP 503 on the WebSocket upgrade': 10 }, seconds: 2, connectsPerSecond: 2495, connectTime: latency },
      publish: { via: 'hub', targetRate: 10, published: 100, failedEvents: 0, errors: {}, seconds: 10, achievedRate: 10 },
      delivery: { subscribers: 4990, topics: 1, expected: 499_000, received: 498_990, missing: 10, conflated: 0, undelivered: 0, duplicated: 0, reordered: 0, epochChanges: 0, steadySeconds: 9, steadyDelivered: 450_000, deliveredPerSecond: 50_000, drained: false, closedByHub: 0, closeReasons: {} },
      latency,
      reconnect: { dropped: 4990, resumed: 4990, failed: 0, failures: {}, secondsUntilAllResumed: 3.25, resumedEvents: 12_000 },
      server: { pid: 1, samples: 10, cpuSeconds: 5, cpuCores: 0.5, rssStartBytes: 100 * 1024 * 1024, rssEndBytes: 150 * 1024 * 1024, rssMaxBytes: 160 * 1024 * 1024, rssPerConnectionBytes: 10_240 },
      problems: ['delivery: 10 missing, 0 duplicated, 0 reordered (must all be 0)'],
      ok: false,
    };
    const markdown = renderMarkdown(report);
    assert.match(markdown, /^# tradehub-load: reconnect-storm/);
    assert.match(markdown, /\*\*FAILED\*\*/);
    assert.match(markdown, /\| connections opened \/ failed \| 4,990 \/ 10 of 5,000 \|/);
    assert.match(markdown, /\| delivered msgs\/s \(steady window, all subscribers\) \| \*\*50,000\*\* \|/);
    assert.match(markdown, /\| latency p50 \/ p99 \/ p99\.9 \/ max \| \*\*1\.5 \/ 9\.25 \/ 12 \/ 13 ms\*\* \|/);
    assert.match(markdown, /\| missing \/ undelivered \/ duplicated \/ reordered \| 10 \/ 0 \/ 0 \/ 0 \|/);
    assert.match(markdown, /\| reconnect: time until all resumed \| \*\*3\.25 s\*\* \|/);
    assert.match(markdown, /\| server RSS per connection \| 10 KB \|/);
    assert.match(markdown, /- 10 × HTTP 503 on the WebSocket upgrade/);
    assert.match(markdown, /Problems:\n\n- delivery: 10 missing/);
  });
});
