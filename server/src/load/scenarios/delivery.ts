import { LatencyRecorder, type LatencySummary } from '../latency.js';
import type { ProcReading } from '../proc-sampler.js';
import { openSink, publishPaced, type PacedPublishStats } from '../publishers.js';
import { RawLoadClient } from '../raw-client.js';
import { mapToRecord, reportHeader, slope, type LoadReport, type ReconnectFigures, type SlowConsumerFigures, type SoakMinute } from '../report.js';
import { addCounts, emptyCounts } from '../seq-ledger.js';
import { Swarm, type ConnectOutcome, type Subscriber } from '../swarm.js';
import type { ClientClosure } from '../load-client.js';
import { planTopics } from '../topic-layout.js';
import { fetchToken } from '../tokens.js';
import { sleep, type RunContext } from '../run-context.js';
import { connectFigures } from './connect-figures.js';

/** Topics a probe subscribes to at once (the hub limits topics per connection). */
const PROBE_CHUNK = 500;

/**
 * fanout, many-topics, reconnect-storm, slow-consumers and soak: subscribers connect and
 * subscribe, a publisher publishes ticks at the rate, and each scenario adds its disturbance
 * during publishing (a drop of every socket, readers that stop, periodic reconnect rounds).
 */
export async function runDeliveryScenario(context: RunContext): Promise<LoadReport> {
  const { options } = context;
  const plan = planTopics(options);
  const swarm = new Swarm(options, context.hubUrl);
  const publisherToken = await fetchToken(options.url, options.publisherId, options.publisherSecret);
  const sink = await openSink({ via: options.publishVia, baseUrl: options.url, hubUrl: context.hubUrl, platform: options.platform, token: publisherToken, redisUrl: options.redisUrl, ...(options.redisCluster ? { redisCluster: options.redisCluster } : {}), redisKeyPrefix: options.redisKeyPrefix });
  const problems = context.problems;
  const stats: PacedPublishStats = { published: 0, failedEvents: 0, errors: new Map(), startedAt: 0, endedAt: 0 };
  context.progress.start(() => {
    const open = swarm.subscribers.filter((subscriber) => subscriber.client).length;
    return `[${options.scenario}] ${open}/${options.connections} connected, published ${stats.published}, delivered ${swarm.delivered}`;
  });
  try {
    const before = context.mark();
    const connectOutcome = await swarm.connectAll(swarm.subscribers, context.deadline, (subscriber) => plan.subscriptionsOf(subscriber.index));
    const connected = context.mark();
    if (connectOutcome.failed > 0) problems.push(`${connectOutcome.failed} of ${options.connections} subscribers could not connect and subscribe`);

    const steady = new LatencyRecorder();
    const baseline = new LatencyRecorder();
    const durationMs = context.bounded(options.duration * 1000);
    const warmupMs = options.warmup * 1000;
    const slowCount = options.scenario === 'slow-consumers' ? Math.max(1, Math.round(options.connections * options.slowPercent / 100)) : 0;
    let steadyStartDelivered = 0;
    let steadyEndDelivered = 0;
    let steadyStartedAt = 0;
    let steadyEndedAt = 0;
    let reconnect: ReconnectFigures | undefined;
    const soakMinutes: SoakMinute[] = [];
    let reconnectRounds = 0;

    const publishing = publishPaced({ sink, platform: options.platform, symbols: plan.symbols, rate: options.rate, batch: options.batch, durationMs, shouldStop: () => context.timeLeftMs() <= 0 }, stats);
    const publishStartedAt = Date.now();
    await sleep(warmupMs);
    steadyStartDelivered = swarm.delivered;
    steadyStartedAt = Date.now();
    const steadyFrom = context.mark();

    if (options.scenario === 'slow-consumers') {
      swarm.window = { latency: baseline, honestOnly: true };
      await sleep((durationMs - warmupMs) / 2);
      for (const subscriber of pickSlow(swarm.subscribers, slowCount)) {
        subscriber.slow = true;
        subscriber.client?.pauseReading();
      }
      swarm.window = { latency: steady, honestOnly: true };
    } else if (options.scenario === 'reconnect-storm') {
      swarm.window = { latency: steady };
      await sleep((durationMs - warmupMs) / 2);
      reconnect = await reconnectStorm(swarm, swarm.connected(), context.deadline, (subscriber) => subscriber.topics);
    } else if (options.scenario === 'soak') {
      swarm.window = { latency: steady };
      let minuteRecorder = new LatencyRecorder();
      let minuteStart = swarm.delivered;
      let nextReconnect = Date.now() + options.reconnectEvery * 1000;
      let nextMinute = Date.now() + 60_000;
      const endAt = publishStartedAt + durationMs;
      swarm.window = { latency: minuteRecorder, also: steady };
      while (Date.now() < endAt && context.timeLeftMs() > 0) {
        await sleep(Math.min(1_000, endAt - Date.now()));
        if (Date.now() >= nextMinute || Date.now() >= endAt) {
          const reading = context.mark();
          soakMinutes.push({
            minute: soakMinutes.length + 1, delivered: swarm.delivered - minuteStart, latency: minuteRecorder.summary(),
            ...(reading ? { rssBytes: reading.rssBytes, cpuSeconds: reading.cpuSeconds } : {}),
          });
          minuteRecorder = new LatencyRecorder();
          swarm.window = { latency: minuteRecorder, also: steady };
          minuteStart = swarm.delivered;
          nextMinute += 60_000;
        }
        if (Date.now() >= nextReconnect && options.reconnectPercent > 0) {
          const round = pickSlow(swarm.connected(), Math.round(swarm.connected().length * options.reconnectPercent / 100));
          const outcome = await reconnectStorm(swarm, round, context.deadline, (subscriber) => subscriber.topics);
          if (outcome.failed > 0) problems.push(`soak reconnect round ${reconnectRounds + 1}: ${outcome.failed} failed to resume`);
          reconnectRounds++;
          nextReconnect = Date.now() + options.reconnectEvery * 1000;
        }
      }
    } else {
      swarm.window = { latency: steady };
    }
    await publishing;
    steadyEndDelivered = swarm.delivered;
    steadyEndedAt = Date.now();
    const steadyTo = context.mark();
    swarm.window = {};

    const heads = await topicHeads(context, plan.topics, options.platform);
    const drained = await swarm.drain(heads, context.bounded(options.drain * 1000));
    const honest = swarm.subscribers.filter((subscriber) => !subscriber.slow && subscriber.client);
    const counts = emptyCounts();
    let expected = 0;
    for (const subscriber of honest) {
      addCounts(counts, subscriber.ledger.countsUpTo(heads));
      expected += subscriber.ledger.expectedUpTo(heads);
    }
    const closeReasons = new Map<string, number>();
    const closedHonest = honest.filter((subscriber) => subscriber.closures.length > 0);
    for (const subscriber of closedHonest) {
      const reason = describeClosure(subscriber.closures[0] as ClientClosure);
      closeReasons.set(reason, (closeReasons.get(reason) ?? 0) + 1);
    }
    if (closedHonest.length > 0) problems.push(`${closedHonest.length} honest subscribers were closed during the run`);
    if (!drained) problems.push(`not every subscriber received every event within --drain ${options.drain} s`);
    if (counts.missing > 0 || counts.undelivered > 0 || counts.duplicated > 0 || counts.reordered > 0) {
      problems.push(`delivery: ${counts.missing} missing (gaps), ${counts.undelivered} undelivered at the end, ${counts.duplicated} duplicated, ${counts.reordered} reordered (must all be 0)`);
    }
    if (stats.failedEvents > 0) problems.push(`${stats.failedEvents} events could not be published`);
    if (reconnect && reconnect.failed > 0) problems.push(`${reconnect.failed} of ${reconnect.dropped} subscribers did not resume`);

    const slow = slowCount > 0 ? await slowOutcome(swarm, baseline.summary(), steady.summary()) : undefined;
    const steadySeconds = Math.max(0.001, (steadyEndedAt - steadyStartedAt) / 1000);
    const publishSeconds = Math.max(0.001, (stats.endedAt - stats.startedAt) / 1000);
    const report: LoadReport = {
      ...reportHeader(options, context.startedAt),
      connect: connectFigures(options.connections, connectOutcome),
      publish: {
        via: options.publishVia, targetRate: options.rate, published: stats.published, failedEvents: stats.failedEvents,
        errors: mapToRecord(stats.errors), seconds: publishSeconds, achievedRate: stats.published / publishSeconds,
      },
      delivery: {
        ...counts, subscribers: honest.length, topics: plan.topics.length, expected, drained, steadySeconds,
        closedByHub: closedHonest.length, closeReasons: mapToRecord(closeReasons),
        steadyDelivered: steadyEndDelivered - steadyStartDelivered,
        deliveredPerSecond: (steadyEndDelivered - steadyStartDelivered) / steadySeconds,
      },
      latency: (slow ? slow.honestWithSlow : steady.summary()),
      ...(reconnect ? { reconnect } : {}),
      ...(slow ? { slow } : {}),
      ...(options.scenario === 'soak' ? {
        soak: {
          minutes: soakMinutes,
          reconnectRounds,
          p99DriftMsPerMinute: slope(soakMinutes.map((minute) => minute.latency.p99)),
          ...(context.sampler ? { rssDriftBytesPerMinute: slope(soakMinutes.map((minute) => minute.rssBytes ?? 0)) } : {}),
        },
      } : {}),
      ...serverFigures(context, steadyFrom, steadyTo, before, connected, connectOutcome),
      problems,
      ok: problems.length === 0,
    };
    return report;
  } finally {
    context.progress.stop();
    await sink.close().catch(() => {});
    await swarm.closeAll();
  }
}

/** Every `1/share`-th subscriber: spread evenly over source addresses and connection order. */
function pickSlow(subscribers: readonly Subscriber[], count: number): Subscriber[] {
  if (count <= 0) return [];
  const step = subscribers.length / count;
  return Array.from({ length: count }, (_, index) => subscribers[Math.floor(index * step)] as Subscriber);
}

/** Drops the sockets of `subscribers` at once, then reconnects them, each resuming from its last (epoch, seq). */
export async function reconnectStorm(swarm: Swarm, subscribers: readonly Subscriber[], deadline: number, topicsOf: (subscriber: Subscriber) => readonly string[]): Promise<ReconnectFigures> {
  const droppedAt = performance.now();
  for (const subscriber of subscribers) {
    subscriber.client?.drop();
    subscriber.client = undefined;
  }
  const resumedBefore = swarm.resumedEvents;
  const outcome = await swarm.connectAll(subscribers, deadline, topicsOf, true);
  return {
    dropped: subscribers.length,
    resumed: outcome.opened,
    failed: outcome.failed,
    failures: mapToRecord(outcome.failures),
    secondsUntilAllResumed: (performance.now() - droppedAt) / 1000,
    resumedEvents: swarm.resumedEvents - resumedBefore,
  };
}

/** The highest seq of each topic now, read by a probe connection's Subscribe answers. */
async function topicHeads(context: RunContext, topics: readonly string[], _platform: string): Promise<Map<string, number>> {
  const { options } = context;
  const token = options.token ?? await fetchToken(options.url, options.clientId, options.clientSecret);
  const heads = new Map<string, number>();
  for (let start = 0; start < topics.length; start += PROBE_CHUNK) {
    const probe = new RawLoadClient(-1, { hubUrl: context.hubUrl, token, protocol: 'json' });
    await probe.connect();
    try {
      const results = await probe.subscribe(topics.slice(start, start + PROBE_CHUNK));
      for (const result of results) if (result.status === 'snapshot' || result.status === 'resumed') heads.set(result.topic, result.seq);
    } finally {
      await probe.close();
    }
  }
  return heads;
}

/** Lets the slow subscribers read again and collects how the hub ended their connections. */
async function slowOutcome(swarm: Swarm, honestBaseline: LatencySummary, honestWithSlow: LatencySummary): Promise<SlowConsumerFigures> {
  const slow = swarm.subscribers.filter((subscriber) => subscriber.slow);
  for (const subscriber of slow) subscriber.client?.resumeReading();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && slow.some((subscriber) => subscriber.closures.length === 0)) await sleep(100);
  const closeErrors = new Map<string, number>();
  let closed = 0;
  for (const subscriber of slow) {
    const closure = subscriber.closures[0];
    if (!closure) continue;
    closed++;
    const text = describeClosure(closure);
    closeErrors.set(text, (closeErrors.get(text) ?? 0) + 1);
  }
  return { slowSubscribers: slow.length, closeErrors: mapToRecord(closeErrors), closed, stillOpen: slow.length - closed, honestBaseline, honestWithSlow };
}

function serverFigures(context: RunContext, from: ProcReading | undefined, to: ProcReading | undefined, before: ProcReading | undefined, connected: ProcReading | undefined, outcome: ConnectOutcome): Pick<LoadReport, 'server'> {
  if (!context.sampler || !from || !to) return {};
  const summary = context.sampler.summarise(from, to);
  const perConnection = before && connected && outcome.opened > 0 ? (connected.rssBytes - before.rssBytes) / outcome.opened : undefined;
  return { server: { ...summary, ...(perConnection !== undefined ? { rssPerConnectionBytes: Math.round(perConnection) } : {}) } };
}

function describeClosure(closure: ClientClosure): string {
  return closure.closeError !== undefined ? `${closure.closeError}${closure.allowReconnect ? ' (reconnect allowed)' : ''}` : `socket closed ${closure.code ?? ''}`.trim();
}
