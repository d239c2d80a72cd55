import { createClient, createCluster } from 'redis';
import type { PublishResult, TradeEventInput } from '@tradehub/shared';
import { RawLoadClient } from './raw-client.js';
import type { PublishVia } from './options.js';

/** Sends batches of events to the hub by one route. */
export interface EventSink {
  readonly via: PublishVia;
  send(events: TradeEventInput[]): Promise<void>;
  close(): Promise<void>;
}

export interface SinkOptions {
  via: PublishVia;
  baseUrl: URL;
  hubUrl: URL;
  platform: string;
  token: string;
  redisUrl: string;
  /** A Redis Cluster's nodes, instead of `redisUrl`. */
  redisCluster?: string[];
  redisKeyPrefix: string;
}

export async function openSink(options: SinkOptions): Promise<EventSink> {
  switch (options.via) {
    case 'hub': {
      const client = new RawLoadClient(-1, { hubUrl: options.hubUrl, token: options.token, protocol: 'json' });
      await client.connect();
      return {
        via: 'hub',
        send: async (events) => checkStored(await client.invoke<PublishResult>('Publish', [events]), events.length),
        close: () => client.close(),
      };
    }
    case 'rest': {
      const url = new URL(`/api/platforms/${encodeURIComponent(options.platform)}/events`, options.baseUrl);
      return {
        via: 'rest',
        send: async (events) => {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
            body: JSON.stringify({ events }),
          });
          if (!response.ok) throw new Error(`POST ${url.pathname}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
          checkStored((await response.json()) as PublishResult, events.length);
        },
        close: async () => {},
      };
    }
    case 'redis': {
      const redis = options.redisCluster
        ? createCluster({ rootNodes: options.redisCluster.map((node) => ({ url: `redis://${node}` })), defaults: { socket: { connectTimeout: 5_000 } } })
        : createClient({ url: options.redisUrl, socket: { connectTimeout: 5_000, reconnectStrategy: false } });
      redis.on('error', () => {});
      await redis.connect();
      const stream = `${options.redisKeyPrefix}:ingest`;
      return {
        via: 'redis',
        // The ingest stream answers nothing about storage: delivery is judged at the subscribers.
        send: async (events) => {
          await redis.xAdd(stream, '*', { events: JSON.stringify(events) });
        },
        close: async () => {
          await redis.close().catch(() => redis.destroy());
        },
      };
    }
  }
}

function checkStored(result: PublishResult, sent: number): void {
  if (result.results.length !== sent) throw new Error(`the hub answered ${result.results.length} results for ${sent} events`);
  const duplicates = result.results.filter((item) => item.duplicate).length;
  if (duplicates > 0) throw new Error(`${duplicates} event(s) were taken for duplicates`);
}

/** A tick whose `time` is the send time, so that receivers can tell publish-to-receive latency. */
export function loadTick(platformId: string, symbol: string, sentAt: number, counter: number): TradeEventInput {
  const bid = 1 + (counter % 1000) / 10_000;
  return { type: 'tick', platformId, data: { symbol, bid, ask: bid + 0.0002, time: Math.floor(sentAt) } };
}

export interface PacedPublishStats {
  published: number;
  failedEvents: number;
  errors: Map<string, number>;
  startedAt: number;
  endedAt: number;
}

export interface PacedPublishOptions {
  sink: EventSink;
  platform: string;
  symbols: readonly string[];
  rate: number;
  batch: number;
  durationMs: number;
  /** Publish calls in flight at most; more due events wait (so a slow hub lowers the offered rate). */
  maxInFlight?: number;
  shouldStop?: () => boolean;
}

/**
 * Publishes at `rate` events/s for `durationMs`, round robin over `symbols`, in batches of `batch`:
 * bounded by the duration and by the count `rate × duration`. Failed publishes are counted, not retried.
 */
export async function publishPaced(options: PacedPublishOptions, stats?: PacedPublishStats): Promise<PacedPublishStats> {
  const result: PacedPublishStats = stats ?? { published: 0, failedEvents: 0, errors: new Map(), startedAt: 0, endedAt: 0 };
  const startedAt = Date.now();
  result.startedAt = startedAt;
  const total = Math.max(1, Math.round(options.rate * options.durationMs / 1000));
  const maxInFlight = options.maxInFlight ?? 64;
  let offered = 0;
  let inFlight = 0;
  const calls = new Set<Promise<void>>();
  while (offered < total && Date.now() - startedAt < options.durationMs + 1_000 && !options.shouldStop?.()) {
    const due = Math.min(total, Math.floor(((Date.now() - startedAt) / 1000) * options.rate) + 1);
    while (offered < due && inFlight < maxInFlight) {
      const count = Math.min(options.batch, due - offered);
      const now = Date.now();
      const events = Array.from({ length: count }, (_, index) => {
        const counter = offered + index;
        return loadTick(options.platform, options.symbols[counter % options.symbols.length] as string, now, counter);
      });
      offered += count;
      inFlight++;
      const call = options.sink.send(events).then(
        () => { result.published += count; },
        (error: Error) => {
          result.failedEvents += count;
          result.errors.set(error.message, (result.errors.get(error.message) ?? 0) + 1);
        },
      ).finally(() => {
        inFlight--;
        calls.delete(call);
      });
      calls.add(call);
    }
    // Wake when the next event is due (at most every 5 ms, so that a low rate does not spin).
    const nextDueMs = ((offered + 1) / options.rate) * 1000 - (Date.now() - startedAt);
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(5, nextDueMs))));
  }
  await Promise.allSettled([...calls]);
  result.endedAt = Date.now();
  return result;
}
