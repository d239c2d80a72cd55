import type { ResumePositions, SubscribeResult, TopicResult, TradeEnvelope } from '@tradehub/shared';
import { LatencyRecorder } from './latency.js';
import { nowMs, type ClientClosure, type LoadClient } from './load-client.js';
import { sourceAddressFor } from './loopback.js';
import { OfficialLoadClient } from './official-client.js';
import type { LoadOptions } from './options.js';
import { RawLoadClient } from './raw-client.js';
import { SubscriberLedger } from './seq-ledger.js';
import { fetchToken } from './tokens.js';

/** Events held per subscriber while its Subscribe answer is awaited; past this they are counted as they come. */
const MAX_HELD_EVENTS = 50_000;

/** One simulated subscriber: its current connection and what it received, across reconnects. */
export class Subscriber {
  readonly ledger = new SubscriberLedger();
  client?: LoadClient;
  topics: readonly string[] = [];
  slow = false;
  closures: ClientClosure[] = [];
  /** Events received (live and resumed). */
  received = 0;
  /**
   * Live events read while a Subscribe answer is on its way: applied after the answer, as the
   * typed client does, since the events that follow the answer in one read are handled before
   * the promise continuation that absorbs the answer runs.
   */
  held?: Array<{ envelope: TradeEnvelope; receivedAt: number }>;

  constructor(readonly index: number) {}
}

export interface ConnectOutcome {
  opened: number;
  failed: number;
  failures: Map<string, number>;
  /** ms from the first attempt to the last success. */
  elapsedMs: number;
  connectTime: LatencyRecorder;
}

/** The latency recorder events are counted into now, or none (outside the measured window). */
export interface MeasureWindow {
  latency?: LatencyRecorder;
  /** A second recorder (the soak's whole run, beside its current minute). */
  also?: LatencyRecorder;
  /** Only honest (not slow) subscribers count when set. */
  honestOnly?: boolean;
}

/**
 * The subscribers of a run: opens their connections at the ramp rate (bounded concurrency,
 * spread over source addresses), subscribes them, and accounts every event by seq.
 */
export class Swarm {
  readonly subscribers: Subscriber[];
  /** Events received by all subscribers; sampled at window edges for delivered msgs/s. */
  delivered = 0;
  window: MeasureWindow = {};
  /** One token request shared by every connection (unless --token-per-connection): a promise, so that concurrent workers wait for the same one. */
  private sharedToken?: Promise<string>;
  resumedEvents = 0;

  constructor(private readonly options: LoadOptions, private readonly hubUrl: URL, count = options.connections) {
    this.subscribers = Array.from({ length: count }, (_, index) => new Subscriber(index));
  }

  private async tokenFor(): Promise<string> {
    if (this.options.token !== undefined) return this.options.token;
    if (this.options.tokenPerConnection) return fetchToken(this.options.url, this.options.clientId, this.options.clientSecret);
    this.sharedToken ??= fetchToken(this.options.url, this.options.clientId, this.options.clientSecret);
    return this.sharedToken;
  }

  private newClient(subscriber: Subscriber, token: string): LoadClient {
    const localAddress = sourceAddressFor(subscriber.index, this.options.sourceAddresses);
    const client: LoadClient = this.options.mode === 'official'
      ? new OfficialLoadClient(subscriber.index, { hubUrl: this.hubUrl, token, localAddress })
      : new RawLoadClient(subscriber.index, { hubUrl: this.hubUrl, token, protocol: this.options.protocol, localAddress });
    client.onEvent = (envelope, receivedAt) => this.onEvent(subscriber, envelope, receivedAt);
    // Only closes the tool did not cause: a dropped client has been replaced (or unset) before its socket reports.
    client.onClosed = (closure) => {
      if (subscriber.client === client) subscriber.closures.push(closure);
    };
    return client;
  }

  private onEvent(subscriber: Subscriber, envelope: TradeEnvelope, receivedAt: number): void {
    if (subscriber.held && subscriber.held.length < MAX_HELD_EVENTS) {
      subscriber.held.push({ envelope, receivedAt });
      return;
    }
    subscriber.received++;
    this.delivered++;
    subscriber.ledger.record(envelope.topic, envelope.seq, envelope.epoch);
    const latency = this.window.latency;
    if (latency && !(this.window.honestOnly && subscriber.slow)) {
      latency.recordMs(receivedAt - envelope.time);
      this.window.also?.recordMs(receivedAt - envelope.time);
    }
  }

  /**
   * Connects (and, with `topicsOf`, subscribes) `subscribers` at the ramp rate; `deadline`
   * bounds the whole round. With `resume`, each subscribes from its last positions.
   */
  async connectAll(subscribers: readonly Subscriber[], deadline: number, topicsOf?: (subscriber: Subscriber) => readonly string[], resume = false): Promise<ConnectOutcome> {
    const outcome: ConnectOutcome = { opened: 0, failed: 0, failures: new Map(), elapsedMs: 0, connectTime: new LatencyRecorder() };
    const startedAt = nowMs();
    let next = 0;
    const worker = async () => {
      while (next < subscribers.length && Date.now() < deadline) {
        const position = next++;
        const subscriber = subscribers[position] as Subscriber;
        if (this.options.ramp > 0) {
          const dueAt = startedAt + (position / this.options.ramp) * 1000;
          const wait = dueAt - nowMs();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        const attemptAt = nowMs();
        try {
          const client = this.newClient(subscriber, await this.tokenFor());
          subscriber.client = client;
          await client.connect();
          if (topicsOf) {
            subscriber.topics = topicsOf(subscriber);
            const positions: ResumePositions | undefined = resume ? subscriber.ledger.resumePositions() : undefined;
            subscriber.held = [];
            try {
              this.absorb(subscriber, await client.subscribe(subscriber.topics, positions), resume);
            } finally {
              const held = subscriber.held;
              subscriber.held = undefined;
              for (const event of held) this.onEvent(subscriber, event.envelope, event.receivedAt);
            }
          }
          outcome.opened++;
          outcome.connectTime.recordMs(nowMs() - attemptAt);
          outcome.elapsedMs = nowMs() - startedAt;
        } catch (error) {
          outcome.failed++;
          const reason = (error as Error).message;
          outcome.failures.set(reason, (outcome.failures.get(reason) ?? 0) + 1);
          subscriber.client?.drop();
          subscriber.client = undefined;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, subscribers.length) }, worker));
    return outcome;
  }

  /** Starts each topic's accounting at the answer's position, or records the resumed events. */
  private absorb(subscriber: Subscriber, results: SubscribeResult[], resumed: boolean): void {
    const topicResults: TopicResult[] = [];
    for (const result of results) {
      if (result.status === 'error') throw new Error(`Subscribe ${result.topic}: ${result.error}`);
      if (result.status === 'wildcard') topicResults.push(...result.topics);
      else topicResults.push(result);
    }
    for (const result of topicResults) {
      if (result.status === 'resumed') {
        for (const envelope of result.events) {
          subscriber.received++;
          this.resumedEvents++;
          subscriber.ledger.record(envelope.topic, envelope.seq, envelope.epoch);
        }
      } else if (!resumed || !subscriber.ledger.topics.has(result.topic)) {
        subscriber.ledger.start(result.topic, result.epoch, result.seq);
      } else {
        // A snapshot where a resume was asked for: the gap since the last seq is reported as an epoch change or as missing.
        subscriber.ledger.record(result.topic, result.seq, result.epoch);
      }
    }
  }

  /** Waits (bounded) until every honest subscriber reached `heads`; true when they all did. */
  async drain(heads: ReadonlyMap<string, number>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.subscribers.every((subscriber) => subscriber.slow || !subscriber.client || subscriber.ledger.caughtUp(heads))) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  connected(): Subscriber[] {
    return this.subscribers.filter((subscriber) => subscriber.client !== undefined);
  }

  async closeAll(): Promise<void> {
    const clients = this.subscribers.flatMap((subscriber) => (subscriber.client ? [subscriber.client] : []));
    for (let start = 0; start < clients.length; start += 500) {
      await Promise.all(clients.slice(start, start + 500).map((client) => client.close().catch(() => {})));
    }
  }
}
