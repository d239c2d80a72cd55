import { Topics, type TradehubClient, type TradeEventInput } from '@tradehub/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { PUBLISHER, READER, tradeEvents, type ClientPool } from '../../support/client-fixtures.js';
import type { DeliveryLedger, ReaderLog } from './delivery-ledger.js';
import { waitUntil } from '../../support/wait.js';

/** Logins whose account topics a scenario's publisher feeds; every reader follows all of them. */
export const FAULT_LOGINS = ['6601', '6602', '6603'] as const;
export const FAULT_TOPICS = FAULT_LOGINS.map((login) => Topics.account('demo', login));

/** Fast reconnects: scenarios are short, and the nodes come back (or fail over) within seconds. */
const RECONNECT = { initialDelayMs: 100, maxDelayMs: 1_000 };

export interface TypedReader {
  client: TradehubClient;
  log: ReaderLog;
  /** Topics that had to start over (a `reset` item): the resume could not replay what was missed. */
  resets: string[];
}

export interface ReaderOptions {
  topics?: readonly string[];
  /** Spread readers over the nodes (reader i starts on node i mod n); false: all start on the first. */
  spread?: boolean;
  /** SignalR stateful reconnect (the typed client's default, true): a dropped socket resumes the same connection. */
  statefulReconnect?: boolean;
}

/**
 * `count` typed-client readers of `topics`, on `nodes` (the others listed for failover), each
 * counted in the ledger.
 */
export async function startReaders(
  pool: ClientPool, ledger: DeliveryLedger, nodes: readonly string[], count: number, options: ReaderOptions = {},
): Promise<TypedReader[]> {
  const topics = options.topics ?? FAULT_TOPICS;
  const readers: TypedReader[] = [];
  for (let i = 0; i < count; i++) {
    const first = options.spread === false ? 0 : i;
    const url = nodes.map((_, k) => nodes[(first + k) % nodes.length] as string);
    const client = await pool.connect({ url, credentials: READER, reconnect: RECONNECT, statefulReconnect: options.statefulReconnect ?? true });
    const log = ledger.reader(`reader-${i}`, topics);
    const resets: string[] = [];
    client.on('connection', (change) => {
      if (change.state === 'connected') log.reconnected();
    });
    await client.subscribe([...topics], (item) => {
      if (item.kind === 'event') log.event(item.event);
      else if (item.kind === 'reset') resets.push(item.topic);
    });
    readers.push({ client, log, resets });
  }
  return readers;
}

export async function startPublisher(pool: ClientPool, nodes: readonly string[]): Promise<TradehubClient> {
  return pool.connect({ url: [...nodes], credentials: PUBLISHER, reconnect: RECONNECT, timeouts: { connectMs: 5_000, requestMs: 5_000 } });
}

/** Event `n` of a scenario's feed: deals spread round the logins, each with an id unique to the run. */
export function feedEvent(runId: string, n: number): TradeEventInput {
  return tradeEvents.deal(FAULT_LOGINS[n % FAULT_LOGINS.length] as string, n, `${runId}-${n}`);
}

export interface FeedOptions {
  /** Events per Publish call. */
  batch: number;
  /** Pause between calls, so that faults land mid-stream. */
  pauseMs: number;
  /** Give up on a batch after this long (the scenario fails). */
  batchDeadlineMs?: number;
  /** Errors the publisher saw (each retried with the same ids), for the scenario to check. */
  errors?: string[];
  /** Filled with the longest time one batch took to be stored (retries included): shows a fault hit the stream. */
  stats?: { slowestBatchMs: number };
}

/**
 * Publishes events `from..to` of the feed in order. A batch whose outcome is unknown (time-out,
 * lost connection) or that was refused for a passing reason is sent again with the same ids until
 * the hub answers: its de-duplication stores each id once, so the ledger's count is exact.
 */
export async function publishFeed(
  publisher: TradehubClient, ledger: DeliveryLedger, runId: string, from: number, to: number, options: FeedOptions,
): Promise<void> {
  for (let start = from; start <= to; start += options.batch) {
    const events: TradeEventInput[] = [];
    for (let n = start; n <= Math.min(to, start + options.batch - 1); n++) events.push(feedEvent(runId, n));
    await publishUntilStored(publisher, ledger, events, options);
    if (options.pauseMs > 0) await sleep(options.pauseMs);
  }
}

/** Publishes `events` (with ids), sending them again after any failure until stored; records the hub's answer. */
export async function publishUntilStored(
  publisher: TradehubClient, ledger: DeliveryLedger, events: TradeEventInput[], options: Omit<FeedOptions, 'batch' | 'pauseMs'> = {},
): Promise<void> {
  const started = Date.now();
  const deadline = started + (options.batchDeadlineMs ?? 60_000);
  for (;;) {
    try {
      const answer = await publisher.publish(events, { timeoutMs: 10_000 });
      answer.results.forEach((result, index) => ledger.recordStored(result.topic, result.seq, events[index]?.id as string));
      if (options.stats) options.stats.slowestBatchMs = Math.max(options.stats.slowestBatchMs, Date.now() - started);
      return;
    } catch (error) {
      options.errors?.push(describeError(error));
      if (Date.now() > deadline) throw new Error(`events not published within ${options.batchDeadlineMs ?? 60_000} ms: ${describeError(error)}`);
      await sleep(100);
    }
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Ends a scenario without a fixed wait: publishes one sentinel event on each feed topic (and
 * `extra`), then waits until every reader has every event. A topic is delivered in seq order on
 * each connection, so a late duplicate or a stray replay of an earlier event would have arrived
 * before its topic's sentinel and is counted by the ledger.
 */
export async function confirmWithSentinels(
  publisher: TradehubClient, ledger: DeliveryLedger, runId: string, extra: TradeEventInput[] = [],
): Promise<void> {
  const sentinels = FAULT_LOGINS.map((login, index) => tradeEvents.deal(login, 900_000 + index, `${runId}-sentinel-${login}`));
  await publishUntilStored(publisher, ledger, [...sentinels, ...extra]);
  await waitUntil(() => ledger.allDelivered(), () => `every reader has the sentinels (${ledger.missing()})`, 30_000);
}
