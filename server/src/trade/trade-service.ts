import {
  publishBatchSchema, type PublishResult, type ResumePositions, type SubscribeOptions, type SubscribeResult, type TopicPosition,
  type TopicResult, type TradeEventInput,
} from '@tradehub/shared';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import type { LimitsConfig } from '../config/config-schema.js';
import type { TradehubMetrics } from '../observability/metrics.js';
import type { HubConnectionSink } from '../lifetime/hub-lifetime-manager.js';
import { BrokerUnavailableError, type TradeBroker } from './broker/trade-broker.js';
import { connectionConsumer, type ConnectionConsumer } from './connection-consumer.js';
import { DEFAULT_TICK_CONFLATION_BYTES, TickConflation } from './tick-conflation.js';
import { checkPublishAccess, checkReadAccess } from './topic-access.js';
import type { TopicFanout } from './topic-fanout.js';
import { TopicStream } from './topic-stream.js';

/** Most events of a published stream stored by one broker call: what has arrived, up to this. */
export const PUBLISH_STREAM_BATCH = 100;

/** Where a stream of events comes from, a batch at a time (a hub method's client stream). */
export interface EventBatchSource {
  /** The next events, as many as have arrived up to `max`; undefined at the end. */
  readBatch(max: number): Promise<TradeEventInput[] | undefined>;
}

/** Refused input or rights, or a broker that cannot answer now: the message is meant for the caller. */
export class TradeRequestError extends Error {
  override readonly name = 'TradeRequestError';
  constructor(readonly status: 400 | 403 | 404 | 503, message: string) {
    super(message);
  }
}

/** How long a caller refused with 503 (broker unavailable) should wait before retrying. */
export const BROKER_RETRY_AFTER_SECONDS = 5;

/** Awaits a broker operation; a broker that cannot be reached now becomes a 503 for the caller. */
export async function fromBroker<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof BrokerUnavailableError) throw new TradeRequestError(503, error.message);
    throw error;
  }
}

/** Who subscribes: a connection of any kind (a hub connection, a `/ws` socket), through its consumer. */
export interface TradeSubscriber {
  readonly consumer: ConnectionConsumer;
  readonly user: Principal | undefined;
  /** Aborted once the connection is gone: nothing is registered for it after that. */
  readonly connectionAborted: AbortSignal;
  /** Runs `callback` once the answer was sent: live events may follow it, never overtake it. */
  afterCompletion(callback: () => void): void;
}

/** The connection behind a call: its sink, where its subscriptions and streams are found, and its caller now (a renewal may change it). */
export interface ConnectionCaller {
  readonly connection: HubConnectionSink;
  readonly user: Principal | undefined;
}

/** Subscriptions, replay and publishing: the trade logic shared by the hub, REST and ingest channels. */
export class TradeService {
  /** Ticks waiting, the latest per topic, for connections that fall behind (`limits.tickConflationBytes`). */
  readonly conflation: TickConflation;
  /** Each connection's open topic streams, so that a renewal that narrows its token can end those no longer allowed. */
  private readonly streamsOf = new WeakMap<HubConnectionSink, Set<TopicStream>>();

  constructor(
    readonly broker: TradeBroker,
    /** Readable for observability: how many consumers follow a topic on this node. */
    readonly fanout: TopicFanout,
    private readonly logger: Logger,
    private readonly limits: LimitsConfig,
    private readonly metrics: TradehubMetrics,
    /** The trade hub's `statefulReconnectBufferBytes`: past half of it unacknowledged, a connection's ticks wait too. */
    statefulReconnectBufferBytes?: number,
  ) {
    const threshold = limits.tickConflationBytes ?? DEFAULT_TICK_CONFLATION_BYTES;
    this.conflation = new TickConflation({
      thresholdBytes: threshold === false ? undefined : threshold,
      unacknowledgedThresholdBytes: statefulReconnectBufferBytes === undefined ? undefined : Math.floor(statefulReconnectBufferBytes / 2),
      onConflated: () => metrics.ticksConflated.inc(),
    });
  }

  /**
   * Answers each topic with a snapshot or the missed events; live events follow once the answer
   * was sent. `options.maxRatePerSecond` applies to the ticks topics among them (see `SubscribeOptions`).
   */
  async subscribe(
    context: TradeSubscriber, topics: readonly string[], resume: ResumePositions = {}, options: SubscribeOptions = {},
  ): Promise<SubscribeResult[]> {
    const { consumer } = context;
    const results: SubscribeResult[] = [];
    for (const topic of new Set(topics)) {
      const refusal = this.checkTopicName(topic);
      if (refusal !== undefined) {
        results.push({ topic, status: 'error', error: refusal });
        continue;
      }
      const access = checkReadAccess(context.user, topic);
      if (!access.ok) {
        results.push({ topic, status: 'error', error: access.error });
        continue;
      }
      try {
        // A connection that closed while earlier topics were answered must not be registered again.
        if (context.connectionAborted.aborted) break;
        // Counted and registered with no await in between, so that concurrent calls cannot both pass.
        if (!this.fanout.isSubscribed(consumer, topic) && this.fanout.subscriptionCount(consumer) >= this.limits.topicsPerConnection) {
          this.metrics.limitHit('topics_per_connection');
          results.push({
            topic, status: 'error',
            error: `A connection may be subscribed to at most ${this.limits.topicsPerConnection} topics; unsubscribe from some first.`,
          });
          continue;
        }
        await this.fanout.hold(consumer, topic);
        if (access.topic.kind === 'ticks') consumer.setTickRate(topic, options.maxRatePerSecond);
        const concrete = access.topic.wildcard ? await this.broker.topicsUnder(topic) : [topic];
        const topicResults = await Promise.all(concrete.map((name) => this.topicResult(name, resume[name])));
        // A token renewal that narrowed the caller's access while this was read wins over it.
        const stillAllowed = checkReadAccess(context.user, topic);
        if (!stillAllowed.ok) {
          await this.fanout.remove(consumer, topic);
          results.push({ topic, status: 'error', error: stillAllowed.error });
          continue;
        }
        const positions = new Map<string, TopicPosition>(topicResults.map((result) => [result.topic, { epoch: result.epoch, seq: result.seq }]));
        context.afterCompletion(() => this.fanout.release(consumer, topic, positions));
        results.push(access.topic.wildcard ? { topic, status: 'wildcard', topics: topicResults } : topicResults[0] as TopicResult);
      } catch (error) {
        consumer.setTickRate(topic, undefined);
        await this.fanout.remove(consumer, topic);
        this.logger.warn({ topic, err: error }, 'subscribe failed');
        results.push({ topic, status: 'error', error: 'The topic cannot be read now; try again.', retryable: true });
      }
    }
    // Ticks held for a congested connection go before the answer, which may be past them.
    for (const result of results) if (result.status !== 'error') consumer.writeHeld(result.topic);
    return results;
  }

  /** The consumer of a hub connection (the same one each time). */
  consumerOf(sink: HubConnectionSink): ConnectionConsumer {
    return connectionConsumer(sink, this.conflation);
  }

  async unsubscribe(consumer: ConnectionConsumer, topics: readonly string[]): Promise<void> {
    for (const topic of topics) consumer.setTickRate(topic, undefined);
    await Promise.all(topics.map((topic) => this.fanout.remove(consumer, topic)));
  }

  /**
   * Drops the subscriptions the connection's token (just renewed, narrower) no longer allows, and
   * answers them; its topic streams no longer allowed end with an error saying so.
   */
  async dropRefusedSubscriptions(caller: ConnectionCaller): Promise<string[]> {
    const refused = (topic: string): boolean => !checkReadAccess(caller.user, topic).ok;
    for (const stream of this.streamsOf.get(caller.connection) ?? []) {
      if (refused(stream.topic)) stream.fail(`The connection's renewed token does not allow topic '${stream.topic}'.`);
    }
    const consumer = connectionConsumer(caller.connection, this.conflation);
    return this.fanout.removeAll(consumer, refused);
  }

  /** Forgets the connection's subscriptions; its topic streams end with the connection's streams. */
  async disconnect(consumer: ConnectionConsumer): Promise<void> {
    consumer.close();
    await this.fanout.removeAll(consumer);
  }

  /** Stops what runs on its own (the conflation's timer). */
  close(): void {
    this.conflation.close();
  }

  /**
   * Streams one concrete topic: its snapshot, or the events since `resume`, as the first item,
   * then each live event in order. Live events published while the first item is read are held
   * and follow it, none missed and none twice, as with `subscribe`. The stream leaves the fan-out
   * when it is closed (`return()`: cancelled, disconnected) or fails.
   * @throws TradeRequestError when the topic may not be read, is a wildcard, or cannot be read now
   */
  async streamTopic(caller: ConnectionCaller, topic: string, resume: TopicPosition | undefined): Promise<TopicStream> {
    const refusal = this.checkTopicName(topic);
    if (refusal !== undefined) throw new TradeRequestError(400, refusal);
    const access = checkReadAccess(caller.user, topic);
    if (!access.ok) throw new TradeRequestError(403, access.error);
    if (access.topic.wildcard) {
      throw new TradeRequestError(400, `'${topic}' is a wildcard: stream one concrete topic, or Subscribe to the wildcard.`);
    }
    let streams = this.streamsOf.get(caller.connection);
    if (!streams) this.streamsOf.set(caller.connection, (streams = new Set()));
    const own = streams;
    const stream = new TopicStream(topic, (self) => {
      own.delete(self);
      return this.fanout.remove(self, topic);
    });
    own.add(stream);
    let result: TopicResult;
    try {
      await this.fanout.hold(stream, topic);
      result = await this.topicResult(topic, resume);
    } catch (error) {
      await stream.close();
      this.logger.warn({ topic, err: error }, 'stream topic failed');
      throw new TradeRequestError(503, 'The topic cannot be read now; try again.');
    }
    // A token renewal that narrowed the caller's access while this was read wins over it.
    const stillAllowed = checkReadAccess(caller.user, topic);
    if (!stillAllowed.ok) {
      await stream.close();
      throw new TradeRequestError(403, stillAllowed.error);
    }
    stream.begin(result);
    this.fanout.release(stream, topic, new Map([[topic, { epoch: result.epoch, seq: result.seq }]]));
    return stream;
  }

  /**
   * Validates every event and the caller's right to publish each, then stores them in order.
   * Nothing is stored when any event is refused. With `platformId` (REST publishes to one
   * platform), events may omit their platformId and must not name another.
   * @throws TradeRequestError
   */
  async publish(principal: Principal | undefined, input: unknown, platformId?: string): Promise<PublishResult> {
    return this.store(principal, validateBatch(input, platformId), 0);
  }

  /**
   * Publishes a stream of already validated events in order, in batches of what has arrived, and
   * returns how many were taken (duplicates included, as `publish` reports them too). Batches
   * before a refused one stay published, and the error says up to which event.
   * @throws TradeRequestError; errors of the source pass through
   */
  async publishStream(principal: Principal | undefined, source: EventBatchSource): Promise<number> {
    let taken = 0;
    for (;;) {
      const batch = await source.readBatch(PUBLISH_STREAM_BATCH);
      if (!batch) return taken;
      try {
        await this.store(principal, batch, taken);
      } catch (error) {
        if (!(error instanceof TradeRequestError)) throw error;
        const published = taken === 0 ? 'no event was published' : `events 0 to ${taken - 1} were published`;
        throw new TradeRequestError(error.status, `${error.message} (${published})`);
      }
      taken += batch.length;
    }
  }

  /** Why a topic name is refused before anything else is looked at, if it is. */
  private checkTopicName(topic: string): string | undefined {
    if (topic.length <= this.limits.topicNameLength) return undefined;
    this.metrics.limitHit('topic_name_length');
    return `Topic names are at most ${this.limits.topicNameLength} characters long.`;
  }

  /** Checks the caller's right to publish each event, then stores them all, or none. `firstIndex` numbers them in errors. */
  private async store(principal: Principal | undefined, events: readonly TradeEventInput[], firstIndex: number): Promise<PublishResult> {
    for (const [index, event] of events.entries()) {
      const refusal = checkPublishAccess(principal, event);
      if (refusal) throw new TradeRequestError(403, `Event ${firstIndex + index}: ${refusal}`);
    }
    const outcomes = await fromBroker(this.broker.publish(events));
    this.metrics.trade.count(this.metrics.trade.published, outcomes.filter((outcome) => !outcome.duplicate).map((outcome) => outcome.envelope));
    return {
      results: outcomes.map(({ envelope, duplicate }) => ({ topic: envelope.topic, seq: envelope.seq, duplicate })),
    };
  }

  private async topicResult(topic: string, resume: TopicPosition | undefined): Promise<TopicResult> {
    let resetReason: Extract<TopicResult, { status: 'snapshot' }>['resetReason'];
    if (resume) {
      const history = await this.broker.history(topic, resume);
      if (history.kind === 'events') {
        this.metrics.trade.count(this.metrics.trade.replayed, history.events);
        return { topic, status: 'resumed', epoch: history.position.epoch, seq: history.position.seq, events: history.events };
      }
      resetReason = history.reason;
    }
    const { position, snapshot } = await this.broker.snapshot(topic);
    return { topic, status: 'snapshot', epoch: position.epoch, seq: position.seq, snapshot, ...(resetReason ? { resetReason } : {}) };
  }
}

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * Checks a batch against the shared schemas. With `platformId`, an event without platformId
 * gets this one, and an event naming another platform is refused.
 * @throws TradeRequestError naming the first problems, by event index and field.
 */
export function validateBatch(input: unknown, platformId?: string): TradeEventInput[] {
  const mismatches: Issue[] = [];
  let events = input;
  if (platformId !== undefined && Array.isArray(input)) {
    events = input.map((event: unknown, index) => {
      if (typeof event !== 'object' || event === null || Array.isArray(event)) return event;
      if (!('platformId' in event)) return { ...event, platformId };
      if (event.platformId !== platformId) {
        mismatches.push({ path: [index, 'platformId'], message: `must be '${platformId}', the platform of the URL` });
      }
      return event;
    });
  }
  const parsed = publishBatchSchema.safeParse(events);
  if (parsed.success && mismatches.length === 0) return parsed.data;
  const issues = [...mismatches, ...(parsed.success ? [] : parsed.error.issues)];
  // By event index (a stable sort), problems of the batch as a whole first.
  issues.sort((a, b) => eventIndex(a) - eventIndex(b));
  throw new TradeRequestError(400, `Invalid events: ${describeIssues(issues)}`);
}

function eventIndex(issue: Issue): number {
  return typeof issue.path[0] === 'number' ? issue.path[0] : -1;
}

function describeIssues(issues: readonly Issue[]): string {
  return issues.slice(0, 5).map((issue) => {
    const [index, ...field] = issue.path;
    const where = typeof index === 'number' ? `event ${index}${field.length > 0 ? ` (${field.map(String).join('.')})` : ''}` : 'events';
    return `${where}: ${issue.message}`;
  }).join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : '');
}
