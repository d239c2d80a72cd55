import { connect, Topics, type TradehubClient, type TradeEventInput } from '@tradehub/client';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { PUBLISHER, READER, tradeEvents } from '../support/client-fixtures.js';
import { HubProcess } from '../support/hub-process.js';
import { deleteKeys, SHARED_REDIS_URL } from '../support/redis-server.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { clientToken, uniqueKeyPrefix } from '../support/tradehub-app.js';
import { DeliveryLedger, type ReaderLog } from '../faults/support/delivery-ledger.js';
import { publishUntilStored } from '../faults/support/fault-clients.js';
import { processRssMiB } from '../faults/support/memory.js';
import { MinuteStats, round } from './minute-stats.js';
import { parseSoakOptions, type SoakOptions } from './soak-options.js';
import { machine, markdown, memoryGrowth, type RssSample, type SoakResult } from './soak-report.js';

const TOPIC_COUNT = 20;
const LOGINS = Array.from({ length: TOPIC_COUNT }, (_, i) => String(5_000 + i));
/** Readers sit behind this many loopback proxies; a reconnect round cuts some of them. */
const PROXIES = 10;
/** After publishing stops, readers get this long to catch up before the counts are taken. */
const DRAIN_MS = 60_000;
const TICK_MS = 100;

interface SoakReader {
  client: TradehubClient;
  log: ReaderLog;
  resets: number;
}

async function main(): Promise<number> {
  const options = parseSoakOptions(process.argv.slice(2));
  if (!options) return 0;
  await checkRedis();
  const prefix = uniqueKeyPrefix();
  const hub = await HubProcess.start({ REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'error' });
  const proxies: TcpProxy[] = [];
  const clients: TradehubClient[] = [];
  try {
    for (let i = 0; i < PROXIES; i++) proxies.push(await TcpProxy.start(Number(new URL(hub.baseUrl).port)));
    const result = await soak(options, hub, proxies, clients);
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, 'soak.json'), JSON.stringify(result, null, 2) + '\n');
    writeFileSync(join(options.outDir, 'SOAK.md'), markdown(result));
    const t = result.totals;
    console.log(`soak: published ${t.published} delivered ${t.delivered} replayed ${t.replayed} lost ${t.lost} duplicated ${t.duplicated} reordered ${t.reordered}; `
      + `rss ${result.memory.firstWindowMiB} -> ${result.memory.lastWindowMiB} MiB (${result.memory.growthMiBPerHour} MiB/h); `
      + `latency p50 ${result.latencyMs.p50} ms p99 ${result.latencyMs.p99} ms; wrote ${join(options.outDir, 'SOAK.md')} and soak.json`);
    return t.lost + t.duplicated + t.reordered === 0 && t.drained ? 0 : 1;
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    for (const proxy of proxies) await proxy.close();
    await hub.dispose();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  }
}

async function soak(options: SoakOptions, hub: HubProcess, proxies: TcpProxy[], clients: TradehubClient[]): Promise<SoakResult> {
  const startedAt = new Date();
  const ledger = new DeliveryLedger();
  // One token for every reader (as a dashboard backend would hand out): no burst of logins.
  let readerToken = await clientToken(hub.baseUrl, READER.clientId, READER.clientSecret);
  const tokenFactory = async ({ refused }: { refused?: string }): Promise<string> => {
    if (refused === readerToken) readerToken = await clientToken(hub.baseUrl, READER.clientId, READER.clientSecret);
    return readerToken;
  };

  console.log(`soak: ${options.readers} readers, ${options.rate} events/s, ${options.minutes} min, node ${hub.baseUrl} (pid ${hub.child.pid})`);
  const minuteCount = Math.max(1, Math.ceil(options.minutes));
  let stats = new MinuteStats(Date.now(), minuteCount);
  const readers: SoakReader[] = [];
  for (let start = 0; start < options.readers; start += 25) {
    const batch = Array.from({ length: Math.min(25, options.readers - start) }, (_, k) => start + k);
    readers.push(...await Promise.all(batch.map(async (i) => {
      // Reader i sits behind proxy i mod 10; every proxy holds readers with and without stateful reconnect.
      const proxy = proxies[i % proxies.length] as TcpProxy;
      const client = await connect({
        url: `http://127.0.0.1:${proxy.port}`, tokenFactory, statefulReconnect: Math.floor(i / proxies.length) % 2 === 0,
        reconnect: { initialDelayMs: 100, maxDelayMs: 2_000 }, timeouts: { connectMs: 10_000, requestMs: 30_000 },
      });
      clients.push(client);
      const topics = [Topics.account('demo', LOGINS[i % TOPIC_COUNT] as string), Topics.account('demo', LOGINS[(i + 7) % TOPIC_COUNT] as string)];
      const reader: SoakReader = { client, log: ledger.reader(`reader-${i}`, topics), resets: 0 };
      client.on('connection', (change) => {
        if (change.state === 'connected') reader.log.reconnected();
      });
      await client.subscribe(topics, (item) => {
        if (item.kind === 'event') {
          reader.log.event(item.event);
          stats.latency(Date.now() - item.event.time);
        } else if (item.kind === 'reset') reader.resets++;
      });
      return reader;
    })));
  }
  const publisher = await connect({ url: hub.baseUrl, credentials: PUBLISHER, timeouts: { connectMs: 10_000, requestMs: 10_000 } });
  clients.push(publisher);
  console.log(`soak: ${readers.length} readers subscribed; publishing`);

  const began = Date.now();
  stats = new MinuteStats(began, minuteCount);
  const rssSamples: RssSample[] = [];
  const pid = hub.child.pid as number;
  const sampler = setInterval(() => {
    const mib = processRssMiB(pid);
    stats.rss(mib);
    rssSamples.push({ t: (Date.now() - began) / 1000, mib });
  }, 1_000);
  let cutRound = 0;
  const cutsPerRound = Math.round(options.reconnectFraction * proxies.length);
  let readersCut = 0;
  const cutter = setInterval(() => {
    for (let k = 0; k < cutsPerRound; k++) {
      const index = (cutRound * cutsPerRound + k) % proxies.length;
      proxies[index]?.cut();
      readersCut += readers.filter((_, i) => i % proxies.length === index).length;
    }
    cutRound++;
  }, options.reconnectEverySeconds * 1_000);
  let lastMinute = 0;
  const errors: string[] = [];
  try {
    const endAt = began + options.minutes * 60_000;
    let n = 0;
    let owed = 0;
    for (let tick = 1; Date.now() < endAt; tick++) {
      owed += (options.rate * TICK_MS) / 1_000;
      const events: TradeEventInput[] = [];
      for (; owed >= 1; owed--) {
        n++;
        events.push(tradeEvents.deal(LOGINS[n % TOPIC_COUNT] as string, n, `soak-${n}`));
      }
      if (events.length > 0) {
        await publishUntilStored(publisher, ledger, events, { errors });
        stats.published(events.length);
      }
      const minute = Math.floor((Date.now() - began) / 60_000);
      if (minute > lastMinute) {
        lastMinute = minute;
        const summary = stats.summaries()[minute - 1];
        if (summary) console.log(`soak: minute ${summary.minute}: published ${summary.published} delivered ${summary.delivered} rss ${summary.rssMiB.mean} MiB p50 ${summary.latencyMs.p50} ms p99 ${summary.latencyMs.p99} ms`);
      }
      const wait = began + tick * TICK_MS - Date.now();
      if (wait > 0) await sleep(wait);
    }
  } finally {
    clearInterval(cutter);
  }
  const drainDeadline = Date.now() + DRAIN_MS;
  while (!ledger.allDelivered() && Date.now() < drainDeadline) await sleep(100);
  const drained = ledger.allDelivered();
  await sleep(500); // a late duplicate would show up here
  clearInterval(sampler);
  const runSeconds = (Date.now() - began) / 1000;

  const counts = ledger.counts();
  const total = stats.total;
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machine(),
    options,
    totals: {
      ...counts, resets: readers.reduce((sum, reader) => sum + reader.resets, 0),
      readersCut, readerReconnects: readers.reduce((sum, reader) => sum + reader.log.reconnects, 0), publisherRetries: errors.length, drained,
    },
    memory: memoryGrowth(rssSamples, runSeconds),
    latencyMs: {
      p50: round(total.getValueAtPercentile(50) / 1000), p90: round(total.getValueAtPercentile(90) / 1000),
      p99: round(total.getValueAtPercentile(99) / 1000), p999: round(total.getValueAtPercentile(99.9) / 1000),
      max: round(total.maxValue / 1000), count: total.totalCount,
    },
    minutes: stats.summaries(),
  };
}

/** The soak needs the machine's Redis; say so plainly when it is not there. */
async function checkRedis(): Promise<void> {
  const client = createClient({ url: SHARED_REDIS_URL, socket: { reconnectStrategy: false, connectTimeout: 2_000 } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(`the soak needs Redis at ${SHARED_REDIS_URL}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.destroy();
  }
}

main().then((code) => {
  process.exitCode = code;
}, (error: unknown) => {
  console.error(`soak failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
});
