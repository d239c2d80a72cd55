import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { HubConnectionState, type HubConnection } from '@microsoft/signalr';
import type {
  ConnectionStatus, PublishResult, ResumePositions, ResyncNotice, SubscribeResult, TopicResult, TopicSnapshot, TradeEnvelope,
} from '@tradehub/shared';
import { createClient, type RedisClientType } from 'redis';
import { officialClient, type ClientOptions } from './official-client.js';
import { waitUntil } from './wait.js';

/** Source time of the test events: fixed, so that payloads compare exactly. */
export const T0 = 1_767_225_600_000;

/** Trade event inputs as a publisher sends them through the hub (`platformId` included). */
export const ev = {
  tick: (symbol: string, bid: number, extra: Record<string, unknown> = {}, platformId = 'demo') => ({
    type: 'tick' as const, platformId, ...extra, data: { symbol, bid, ask: bid + 0.0002, time: T0 },
  }),
  account: (login: string, balance: number, extra: Record<string, unknown> = {}, platformId = 'demo') => ({
    type: 'account' as const, platformId, ...extra,
    data: {
      login, balance, credit: 0, equity: balance, margin: 0, marginFree: balance, marginLevel: null, currency: 'USD', leverage: 100, time: T0,
    },
  }),
  position: (login: string, position: string, volume: number, extra: Record<string, unknown> = {}, platformId = 'demo') => ({
    type: 'position' as const, platformId, ...extra,
    data: {
      position, login, symbol: 'EURUSD', direction: 'buy', volume, priceOpen: 1.1, priceCurrent: 1.1005, profit: 5, swap: 0, time: T0,
    },
  }),
  order: (login: string, order: string, state: string, extra: Record<string, unknown> = {}, platformId = 'demo') => ({
    type: 'order' as const, platformId, ...extra,
    data: {
      order, login, symbol: 'EURUSD', type: 'buy_limit', state, volumeInitial: 10_000, volumeCurrent: 10_000, priceOpen: 1.09,
      timeSetup: T0, time: T0,
    },
  }),
  deal: (login: string, deal: string, extra: Record<string, unknown> = {}, platformId = 'demo') => ({
    type: 'deal' as const, platformId, ...extra,
    data: {
      deal, order: '1', position: '2', login, symbol: 'EURUSD', action: 'buy', entry: 'in', volume: 10_000, price: 1.1,
      profit: 0, commission: -1.5, swap: 0, time: T0,
    },
  }),
  margin: (login: string, extra: Record<string, unknown> = {}, platformId = 'demo') => ({
    type: 'margin' as const, platformId, ...extra,
    data: { login, kind: 'margin_call', marginLevel: 80, equity: 800, margin: 1000, time: T0 },
  }),
  status: (state: 'connected' | 'disconnected' | 'stale', extra: Record<string, unknown> = {}, platformId = 'demo') => ({
    type: 'platform.status' as const, platformId, ...extra, data: { state, serverTimeOffsetMs: 7_200_000, time: T0 },
  }),
  symbol: (symbol: string, extra: Record<string, unknown> = {}, platformId = 'demo') => ({
    type: 'symbol' as const, platformId, ...extra,
    data: {
      symbol, digits: 5, currencyBase: 'EUR', currencyProfit: 'USD', contractSize: 100_000, volumeMin: 100, volumeMax: 1_000_000,
      volumeStep: 100, time: T0,
    },
  }),
  depth: (symbol: string, bid: number, extra: Record<string, unknown> = {}, platformId = 'demo') => ({
    type: 'depth' as const, platformId, ...extra,
    data: {
      symbol, time: T0,
      bids: [{ price: bid, volume: 10_000 }, { price: bid - 0.0001, volume: 20_000 }],
      asks: [{ price: bid + 0.0002, volume: 10_000 }, { price: bid + 0.0003, volume: 30_000 }],
    },
  }),
};

/**
 * A trade hub connection of the official client that records everything the hub sends it:
 * `OnEvent` envelopes, `OnResync` notices and the `OnConnectionStatus` it got on connecting.
 */
export class TradeClient {
  readonly events: TradeEnvelope[] = [];
  readonly resyncs: ResyncNotice[] = [];
  readonly statuses: ConnectionStatus[] = [];

  private constructor(readonly connection: HubConnection) {
    connection.on('OnEvent', (envelope: TradeEnvelope) => this.events.push(envelope));
    connection.on('OnResync', (notice: ResyncNotice) => this.resyncs.push(notice));
    connection.on('OnConnectionStatus', (status: ConnectionStatus) => this.statuses.push(status));
  }

  static async connect(hubUrl: string, token: string | (() => string), options: ClientOptions = {}): Promise<TradeClient> {
    const client = new TradeClient(officialClient(hubUrl, { accessTokenFactory: typeof token === 'string' ? () => token : token, ...options }));
    await client.connection.start();
    return client;
  }

  /** The connection id, from OnConnectionStatus. */
  async connectionId(): Promise<string> {
    await waitUntil(() => this.statuses.length > 0, 'OnConnectionStatus');
    return (this.statuses[0] as ConnectionStatus).connectionId;
  }

  subscribe(topics: string[], resume?: ResumePositions): Promise<SubscribeResult[]> {
    return (resume ? this.connection.invoke('Subscribe', topics, resume) : this.connection.invoke('Subscribe', topics)) as Promise<SubscribeResult[]>;
  }

  /** Subscribes to one concrete topic and returns its result. */
  async subscribeOne(topic: string, resume?: ResumePositions): Promise<TopicResult> {
    const [result] = await this.subscribe([topic], resume);
    assert.ok(result && (result.status === 'snapshot' || result.status === 'resumed'), `Subscribe(${topic}): ${JSON.stringify(result)}`);
    return result;
  }

  unsubscribe(topics: string[]): Promise<void> {
    return this.connection.invoke('Unsubscribe', topics) as Promise<void>;
  }

  publish(events: unknown[]): Promise<PublishResult> {
    return this.connection.invoke('Publish', events) as Promise<PublishResult>;
  }

  eventsOf(topic: string): TradeEnvelope[] {
    return this.events.filter((envelope) => envelope.topic === topic);
  }

  /** Waits until `count` events of `topic` (of any topic when undefined) arrived. */
  async waitForEvents(count: number, topic?: string, timeoutMs = 5_000): Promise<TradeEnvelope[]> {
    const list = (): TradeEnvelope[] => (topic === undefined ? this.events : this.eventsOf(topic));
    await waitUntil(() => list().length >= count, `${count} event(s)${topic ? ` of ${topic}` : ''}`, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message} (have ${list().length})`);
    });
    return list();
  }

  /**
   * Publishes `sentinel` (given an id of its own) through `publisher` and returns the events this
   * client received before it, once it arrived. A node hands a connection the events of one
   * publisher in the order they were published, so whatever earlier publishes still had to
   * deliver (a duplicate, an event that should not come at all) would arrive before the sentinel.
   */
  async eventsBeforeSentinel(publisher: TradeClient, sentinel: Record<string, unknown>): Promise<TradeEnvelope[]> {
    return this.eventsBefore(await publishSentinel(publisher, sentinel));
  }

  /** Waits for the sentinel event `id` (see `publishSentinel`) and returns the events received before it. */
  async eventsBefore(id: string, timeoutMs = 5_000): Promise<TradeEnvelope[]> {
    await waitUntil(() => this.events.some((envelope) => envelope.id === id), `the sentinel event ${id}`, timeoutMs);
    return this.events.slice(0, this.events.findIndex((envelope) => envelope.id === id));
  }

  async stop(): Promise<void> {
    if (this.connection.state !== HubConnectionState.Disconnected) await this.connection.stop();
  }
}

/** Publishes `sentinel` with an id of its own, for `TradeClient.eventsBefore`; returns the id. */
export async function publishSentinel(publisher: TradeClient, sentinel: Record<string, unknown>): Promise<string> {
  const id = `sentinel-${randomUUID()}`;
  await publisher.publish([{ ...sentinel, id }]);
  return id;
}

/** The snapshot of a `snapshot` result, narrowed to a kind. */
export function snapshotOf<K extends TopicSnapshot['kind']>(result: SubscribeResult | undefined, kind: K): Extract<TopicSnapshot, { kind: K }> {
  assert.ok(result && result.status === 'snapshot', `expected a snapshot, got ${JSON.stringify(result)}`);
  assert.equal(result.snapshot.kind, kind);
  return result.snapshot as Extract<TopicSnapshot, { kind: K }>;
}

export function seqs(envelopes: readonly TradeEnvelope[]): number[] {
  return envelopes.map((envelope) => envelope.seq);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** A short-lived Redis client for checks and key changes a test makes behind the hub's back. */
export async function withRedis<T>(url: string, work: (client: RedisClientType) => Promise<T>): Promise<T> {
  const client: RedisClientType = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

/** The trade topic channels some node is subscribed to (PUBSUB CHANNELS), as topic names. */
export async function subscribedTopics(url: string, keyPrefix: string): Promise<string[]> {
  const channelPrefix = `${keyPrefix}:trade:events:{`;
  const channels = await withRedis(url, (client) => client.pubSubChannels(`${channelPrefix}*`));
  return channels.map((channel) => channel.slice(channelPrefix.length, -1)).sort();
}

/** Deletes a topic's keys (epoch, seq, history, state), as a Redis reset would. */
export async function resetTopic(url: string, keyPrefix: string, topic: string): Promise<void> {
  await withRedis(url, async (client) => {
    await client.del(['epoch', 'seq', 'history', 'state'].map((kind) => `${keyPrefix}:trade:${kind}:{${topic}}`));
  });
}
