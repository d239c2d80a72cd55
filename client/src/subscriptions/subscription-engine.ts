import {
  parseTopic, resyncNoticeSchema, subscribeResultSchema, topicMatches, topicOf, tradeEnvelopeSchema, type ResumePositions,
  type SubscribeOptions, type TopicResult, type TradeEnvelope,
} from '@tradehub/shared';
import * as z from 'zod';
import type { Backoff } from '../connection/backoff.js';
import { InvalidTopicError, MalformedServerMessageError, printable, SubscriptionRefusedError, type TradehubError } from '../errors.js';
import type { ClientLog } from '../logger.js';
import { schemaIssues } from '../util/schema-issues.js';
import { unrefTimer } from '../util/timeout.js';
import type { TopicConsumer } from './consumer.js';
import type { SnapshotItem } from './items.js';
import { resumePositions } from './resume-positions.js';
import { TopicTracker } from './topic-tracker.js';

/** What the engine needs of the hub connection. */
export interface SubscriptionHub {
  /** Grows at every new server-side connection, whose subscriptions start empty. */
  readonly generation: number;
  readonly connected: boolean;
  /** `options` only when there are some, so that servers without them are still called as before. */
  subscribe(topics: string[], resume: ResumePositions, options?: SubscribeOptions): Promise<unknown>;
  unsubscribe(topics: string[]): Promise<void>;
}

export interface EngineReporter {
  /** A problem the client survived (malformed message, failed resubscribe); never thrown. */
  error(error: TradehubError): void;
  /** A concrete topic's state changed (snapshot or event applied). */
  changed(topic: string): void;
}

/** One topic or wildcard as subscribed on the server, shared by every consumer of that name. */
interface PatternEntry {
  readonly pattern: string;
  readonly consumers: Set<TopicConsumer>;
  /** The connection generation on which the server holds this subscription; undefined while it does not. */
  activeGeneration: number | undefined;
  /** A Subscribe for it is on its way: live events of its topics wait for the answer. */
  inFlight: boolean;
  /** Subscribe again even though active (a gap or a resync in one of its topics). */
  refresh: boolean;
  /** The last Subscribe failed for a passing reason: wait for the retry timer. */
  retrying: boolean;
  /** The tick rate the server was last asked for (see `tickRateOf`). */
  subscribedRate: number | undefined;
}

/**
 * The tick rate a topic is subscribed with on the server, for all its consumers: the highest
 * they ask for, none (every tick) as soon as one asks for none.
 */
function tickRateOf(consumers: Iterable<TopicConsumer>): number | undefined {
  let rate = 0;
  for (const consumer of consumers) {
    if (consumer.maxRatePerSecond === undefined) return undefined;
    rate = Math.max(rate, consumer.maxRatePerSecond);
  }
  return rate > 0 ? rate : undefined;
}

/** Events held for one topic while waiting for the server; past this, they are dropped and the topic restarts from a snapshot. */
const MAX_HELD_EVENTS = 50_000;
const subscribeAnswerSchema = z.array(subscribeResultSchema);

/**
 * Keeps a client's subscriptions whole across everything that can happen to a connection.
 *
 * Each concrete topic has one tracker with the position (epoch, seq) of the last event applied.
 * Every Subscribe sends those positions as `resume`, so that after a reconnect, a failover to
 * another node or a token renewal the server replays exactly what was missed. Events are applied
 * in seq order, each once: duplicates (overlapping subscriptions, replays) are dropped, and an
 * event that does not follow (a gap, a new epoch) waits while the topic is subscribed again,
 * with resume (gap) or for a fresh snapshot (new epoch, OnResync), which consumers see as a
 * `reset` item and a `snapshot` item. Ticks topics are the exception: their gaps are accepted,
 * since the server conflates ticks (latest per symbol) for a connection that falls behind. Events of a topic also wait while a Subscribe covering it
 * is on its way, since the official client may hand them over before the answer.
 */
export class SubscriptionEngine {
  private readonly patterns = new Map<string, PatternEntry>();
  private readonly trackers = new Map<string, TopicTracker>();
  private syncQueued = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryAttempt = 0;
  private closed = false;

  constructor(
    private readonly hub: SubscriptionHub,
    private readonly reporter: EngineReporter,
    private readonly log: ClientLog,
    private readonly backoff: Backoff,
  ) {}

  /** Concrete topics the client follows now. */
  get topics(): ReadonlyMap<string, TopicTracker> {
    return this.trackers;
  }

  /**
   * Adds a consumer. It starts (snapshots, then events) once the server holds the subscription,
   * at once when it already does.
   * @throws InvalidTopicError
   */
  add(consumer: TopicConsumer): void {
    if (!parseTopic(consumer.topic)) throw new InvalidTopicError(consumer.topic);
    let entry = this.patterns.get(consumer.topic);
    if (!entry) {
      entry = {
        pattern: consumer.topic, consumers: new Set(), activeGeneration: undefined, inFlight: false, refresh: false, retrying: false,
        subscribedRate: undefined,
      };
      this.patterns.set(consumer.topic, entry);
    }
    entry.consumers.add(consumer);
    if (this.isActive(entry) && !entry.inFlight) this.start(consumer);
    else this.queueSync();
    this.resubscribeIfRateChanged(entry);
  }

  remove(consumer: TopicConsumer): void {
    const entry = this.patterns.get(consumer.topic);
    if (!entry?.consumers.delete(consumer)) return;
    if (entry.consumers.size > 0) {
      this.resubscribeIfRateChanged(entry);
      return;
    }
    // A Subscribe on its way ends first: its answer decides (a consumer may have come back meanwhile).
    if (!entry.inFlight) this.drop(entry);
  }

  /** The connection (re)connected: the server holds nothing for it yet. */
  connected(): void {
    this.retryAttempt = 0;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const entry of this.patterns.values()) entry.retrying = false;
    this.queueSync();
  }

  /**
   * The server dropped these subscriptions because the connection's renewed token does not
   * allow them: their consumers end with `SubscriptionRefusedError`, as a refused Subscribe would.
   */
  droppedByServer(patterns: readonly string[], reason: string): void {
    for (const pattern of patterns) {
      const entry = this.patterns.get(pattern);
      if (!entry) continue;
      this.onRefused(entry, reason, false);
    }
    for (const topic of [...this.trackers.keys()]) {
      if (!this.isCovered(topic)) this.trackers.delete(topic);
    }
  }

  /** `OnEvent(envelope)`: checked against the shared schema, then applied in order. */
  onEvent(raw: unknown): void {
    const parsed = tradeEnvelopeSchema.safeParse(raw);
    if (!parsed.success) {
      this.reporter.error(new MalformedServerMessageError('OnEvent envelope', schemaIssues(parsed.error)));
      return;
    }
    const envelope = parsed.data;
    if (!this.isConsistent(envelope, 'OnEvent envelope')) return;
    const tracker = this.trackerFor(envelope.topic);
    if (!tracker) return;
    this.offer(tracker, envelope);
  }

  /** An envelope's topic must be the one its event is published to (a tick of EURUSD on the EURUSD ticks topic...). */
  private isConsistent(envelope: TradeEnvelope, what: string): boolean {
    if (topicOf(envelope) === envelope.topic) return true;
    this.reporter.error(new MalformedServerMessageError(what, `a '${envelope.type}' event does not belong on topic '${printable(envelope.topic)}'`));
    return false;
  }

  /** `OnResync(notice)`: the server cannot go on without a gap; subscribe again for a snapshot. */
  onResync(raw: unknown): void {
    const parsed = resyncNoticeSchema.safeParse(raw);
    if (!parsed.success) {
      this.reporter.error(new MalformedServerMessageError('OnResync notice', schemaIssues(parsed.error)));
      return;
    }
    const tracker = this.trackers.get(parsed.data.topic);
    if (!tracker) return;
    this.log.info(`the server asked to resync '${tracker.topic}' (${parsed.data.reason})`);
    tracker.needsSnapshot = true;
    tracker.resetReason = parsed.data.reason;
    this.requestRefresh(tracker);
  }

  /** Ends every consumer: with `error` when the client failed for good, normally when its owner closed it. */
  close(error: TradehubError | undefined): void {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const consumers = [...this.patterns.values()].flatMap((entry) => [...entry.consumers]);
    this.patterns.clear();
    this.trackers.clear();
    for (const consumer of consumers) {
      if (error) consumer.fail(error);
      else consumer.end();
    }
  }

  /** Consumers came or went so that the topic's tick rate changed: the server is asked again (with resume, so nothing repeats). */
  private resubscribeIfRateChanged(entry: PatternEntry): void {
    if (!this.isActive(entry) || tickRateOf(entry.consumers) === entry.subscribedRate) return;
    entry.refresh = true;
    this.queueSync();
  }

  private isActive(entry: PatternEntry): boolean {
    return this.hub.connected && entry.activeGeneration === this.hub.generation;
  }

  private isCovered(topic: string): boolean {
    for (const entry of this.patterns.values()) if (topicMatches(entry.pattern, topic)) return true;
    return false;
  }

  private trackerFor(topic: string): TopicTracker | undefined {
    let tracker = this.trackers.get(topic);
    if (!tracker && this.isCovered(topic) && parseTopic(topic)?.wildcard === false) {
      tracker = new TopicTracker(topic);
      this.trackers.set(topic, tracker);
    }
    return tracker;
  }

  /** Whether events of the topic must wait: a Subscribe covering it is on its way, or a refresh is wanted. */
  private isHolding(tracker: TopicTracker): boolean {
    if (tracker.refreshWanted) return true;
    for (const entry of this.patterns.values()) if (entry.inFlight && topicMatches(entry.pattern, tracker.topic)) return true;
    return false;
  }

  private offer(tracker: TopicTracker, envelope: TradeEnvelope): void {
    if (!this.isHolding(tracker)) {
      this.accept(tracker, envelope);
      return;
    }
    if (tracker.held.length >= MAX_HELD_EVENTS) {
      // Far too much waited: drop it and start the topic over from a snapshot.
      tracker.held = [];
      tracker.needsSnapshot = true;
      this.requestRefresh(tracker);
      return;
    }
    tracker.held.push(envelope);
  }

  /** Applies the event that follows the position; drops duplicates; anything else waits for a refresh. */
  private accept(tracker: TopicTracker, envelope: TradeEnvelope): void {
    const position = tracker.position;
    if (!position) {
      if (envelope.seq !== 1) {
        // A topic first seen mid-way (new under a wildcard): its start comes from the server.
        tracker.needsSnapshot = true;
        this.holdForRefresh(tracker, envelope);
        return;
      }
    } else if (envelope.epoch !== position.epoch) {
      tracker.needsSnapshot = true;
      tracker.resetReason ??= 'epoch_changed';
      this.holdForRefresh(tracker, envelope);
      return;
    } else if (envelope.seq <= position.seq) {
      tracker.duplicates++;
      return;
    } else if (envelope.seq > position.seq + 1 && tracker.state.topic.kind !== 'ticks') {
      // Ticks are the one kind the server may skip: for a connection that falls behind it sends
      // only the latest tick of a symbol, so a gap in a ticks topic is no loss to repair.
      this.log.info(`gap in '${tracker.topic}' after seq ${position.seq} (received ${envelope.seq}); asking the server for the missed events`);
      this.holdForRefresh(tracker, envelope);
      return;
    }
    tracker.position = { epoch: envelope.epoch, seq: envelope.seq };
    tracker.state.apply(envelope);
    this.reporter.changed(tracker.topic);
    this.deliverToStarted(tracker.topic, { kind: 'event', topic: tracker.topic, event: envelope });
  }

  private holdForRefresh(tracker: TopicTracker, envelope: TradeEnvelope): void {
    tracker.held.push(envelope);
    this.requestRefresh(tracker);
  }

  private requestRefresh(tracker: TopicTracker): void {
    tracker.refreshWanted = true;
    const entry = this.coveringEntry(tracker.topic);
    if (entry) entry.refresh = true;
    this.queueSync();
  }

  /** The topic's own subscription if there is one, else a wildcard covering it. */
  private coveringEntry(topic: string): PatternEntry | undefined {
    return this.patterns.get(topic) ?? [...this.patterns.values()].find((candidate) => topicMatches(candidate.pattern, topic));
  }

  /** Runs `sync` once after the current work, so that what is asked for together is sent together. */
  private queueSync(): void {
    if (this.syncQueued || this.closed) return;
    this.syncQueued = true;
    queueMicrotask(() => {
      this.syncQueued = false;
      this.sync();
    });
  }

  /** Subscribes on the server whatever it does not hold on the current connection, or must send again. */
  private sync(): void {
    if (this.closed || !this.hub.connected) return;
    const generation = this.hub.generation;
    for (const entry of this.patterns.values()) {
      if (entry.consumers.size === 0 || entry.inFlight || entry.retrying) continue;
      if (entry.activeGeneration === generation && !entry.refresh) continue;
      this.subscribeOnServer(entry, generation).catch((error: unknown) => {
        // Whatever went wrong applying an answer must not become an unhandled rejection in the application: report it.
        this.reporter.error(new MalformedServerMessageError('Subscribe answer', `it could not be applied: ${error instanceof Error ? error.message : String(error)}`));
      });
    }
  }

  private async subscribeOnServer(entry: PatternEntry, generation: number): Promise<void> {
    entry.inFlight = true;
    entry.refresh = false;
    const covered = [...this.trackers.values()].filter((tracker) => topicMatches(entry.pattern, tracker.topic));
    for (const tracker of covered) tracker.refreshWanted = false;
    const resume = resumePositions(covered);
    let results: z.output<typeof subscribeAnswerSchema> | undefined;
    try {
      entry.subscribedRate = tickRateOf(entry.consumers);
      const answer = await this.hub.subscribe([entry.pattern], resume, entry.subscribedRate === undefined ? undefined : { maxRatePerSecond: entry.subscribedRate });
      const parsed = subscribeAnswerSchema.safeParse(answer);
      if (parsed.success) results = parsed.data;
      else this.reporter.error(new MalformedServerMessageError('Subscribe answer', schemaIssues(parsed.error)));
    } catch (error) {
      if (generation === this.hub.generation && this.hub.connected) {
        this.log.warn(`subscribing to '${entry.pattern}' failed: ${(error as Error).message}`);
      }
    }
    entry.inFlight = false;
    if (this.closed || this.patterns.get(entry.pattern) !== entry) return;
    const result = results?.find((candidate) => candidate.topic === entry.pattern);
    if (results && !result) this.reporter.error(new MalformedServerMessageError('Subscribe answer', `it has no result for '${printable(entry.pattern)}'`));
    if (result && generation === this.hub.generation) {
      if (result.status === 'error') {
        this.onRefused(entry, result.error, result.retryable === true);
      } else {
        for (const topicResult of result.status === 'wildcard' ? result.topics : [result]) this.applyResult(topicResult);
        entry.activeGeneration = generation;
      }
    } else if (generation === this.hub.generation && this.hub.connected) {
      this.retryLater(entry);
    }
    for (const tracker of [...this.trackers.values()]) {
      if (topicMatches(entry.pattern, tracker.topic)) this.flush(tracker);
    }
    if (entry.consumers.size === 0) {
      this.drop(entry);
    } else if (this.isActive(entry)) {
      for (const consumer of entry.consumers) if (!consumer.started) this.start(consumer);
    }
    this.queueSync();
  }

  /** Forgets a subscription nobody consumes any more, here and on the server, with the topics only it covered. */
  private drop(entry: PatternEntry): void {
    this.patterns.delete(entry.pattern);
    if (this.isActive(entry)) this.unsubscribeOnServer(entry.pattern);
    for (const topic of [...this.trackers.keys()]) {
      if (!this.isCovered(topic)) this.trackers.delete(topic);
    }
  }

  private onRefused(entry: PatternEntry, reason: string, retryable: boolean): void {
    if (retryable) {
      this.log.info(`the server cannot subscribe to '${entry.pattern}' now (${reason}); retrying`);
      this.retryLater(entry);
      return;
    }
    this.patterns.delete(entry.pattern);
    const error = new SubscriptionRefusedError(entry.pattern, reason);
    for (const consumer of entry.consumers) consumer.fail(error);
  }

  /** A Subscribe that failed for a passing reason is sent again after a backoff delay. */
  private retryLater(entry: PatternEntry): void {
    entry.retrying = true;
    entry.refresh = true;
    if (this.retryTimer !== undefined || this.closed) return;
    const delay = Math.max(100, this.backoff.delay(++this.retryAttempt));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      for (const waiting of this.patterns.values()) waiting.retrying = false;
      this.sync();
    }, delay);
    unrefTimer(this.retryTimer);
  }

  private applyResult(result: TopicResult): void {
    const tracker = this.trackerFor(result.topic);
    if (!tracker) return;
    const foreign = result.status === 'resumed'
      ? result.events.some((envelope) => envelope.topic !== result.topic || !this.isConsistent(envelope, 'Subscribe answer'))
      : result.snapshot.kind !== tracker.state.topic.kind;
    if (foreign) {
      this.reporter.error(new MalformedServerMessageError('Subscribe answer', `its result for '${printable(result.topic)}' holds another topic's data`));
      // Asked again for a snapshot, after a backoff delay: a server that keeps answering so is not hammered.
      tracker.needsSnapshot = true;
      tracker.refreshWanted = true;
      const entry = this.coveringEntry(tracker.topic);
      if (entry) this.retryLater(entry);
      return;
    }
    if (result.status === 'resumed') {
      if (!tracker.position || tracker.position.epoch !== result.epoch) {
        tracker.needsSnapshot = true;
        this.requestRefresh(tracker);
        return;
      }
      for (const envelope of result.events) this.accept(tracker, envelope);
      if (!tracker.refreshWanted && tracker.position.seq < result.seq) {
        this.log.info(`'${tracker.topic}' resumed short of seq ${result.seq}; asking again`);
        this.requestRefresh(tracker);
      }
      return;
    }
    const position = tracker.position;
    if (!position && result.seq > 0 && this.hasStartedConsumer(tracker.topic)) {
      // A topic that appeared under a wildcard while the connection was down: its consumers are
      // past their snapshots, so they get its events from the first one rather than its state.
      tracker.position = { epoch: result.epoch, seq: 0 };
      this.requestRefresh(tracker);
      return;
    }
    if (position && !tracker.needsSnapshot && position.epoch === result.epoch && result.seq <= position.seq) {
      // The state here is already at or past this snapshot (events came through another subscription).
      return;
    }
    tracker.state.replace(result.snapshot);
    tracker.position = { epoch: result.epoch, seq: result.seq };
    tracker.needsSnapshot = false;
    const reason = result.resetReason ?? tracker.resetReason ?? 'epoch_changed';
    tracker.resetReason = undefined;
    this.reporter.changed(tracker.topic);
    if (position) {
      this.log.info(`'${tracker.topic}' starts over from a snapshot at seq ${result.seq} (${reason})`);
      this.deliverToStarted(tracker.topic, { kind: 'reset', topic: tracker.topic, reason });
    }
    this.deliverToStarted(tracker.topic, snapshotItem(tracker));
  }

  /** Applies what waited, once nothing makes it wait any more. */
  private flush(tracker: TopicTracker): void {
    if (this.isHolding(tracker) || tracker.held.length === 0) return;
    const held = tracker.held;
    tracker.held = [];
    for (const envelope of held) {
      if (this.isHolding(tracker)) tracker.held.push(envelope);
      else this.accept(tracker, envelope);
    }
  }

  /** Delivers the consumer's snapshots (every known topic it covers), then lets events through. */
  private start(consumer: TopicConsumer): void {
    consumer.start();
    for (const tracker of this.trackers.values()) {
      if (tracker.position && topicMatches(consumer.topic, tracker.topic)) consumer.deliver(snapshotItem(tracker));
    }
  }

  private hasStartedConsumer(topic: string): boolean {
    for (const entry of this.patterns.values()) {
      if (!topicMatches(entry.pattern, topic)) continue;
      for (const consumer of entry.consumers) if (consumer.started) return true;
    }
    return false;
  }

  private deliverToStarted(topic: string, item: Parameters<TopicConsumer['deliver']>[0]): void {
    for (const entry of this.patterns.values()) {
      if (!topicMatches(entry.pattern, topic)) continue;
      for (const consumer of entry.consumers) if (consumer.started) consumer.deliver(item);
    }
  }

  private unsubscribeOnServer(pattern: string): void {
    if (!this.hub.connected) return;
    this.hub.unsubscribe([pattern]).catch((error: unknown) => {
      this.log.debug(`unsubscribing from '${pattern}' failed (the server forgets it with the connection): ${(error as Error).message}`);
    });
  }
}

function snapshotItem(tracker: TopicTracker): SnapshotItem {
  const position = tracker.position ?? { epoch: '', seq: 0 };
  return { kind: 'snapshot', topic: tracker.topic, epoch: position.epoch, seq: position.seq, snapshot: tracker.state.snapshot() };
}
