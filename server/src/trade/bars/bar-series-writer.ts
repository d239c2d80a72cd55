import type { Bar, BarEventInput, Tick, Timeframe, TopicPosition } from '@tradehub/shared';
import type { ExpectedPosition } from '../broker/trade-broker.js';
import { nextBar } from './bar-rule.js';

/** Where bars are stored: shared by every node, so that each continues what the others stored. */
export interface BarStore {
  /** The current (last stored) bar of a bars topic and the topic's position. */
  current(topic: string): Promise<{ bar: Bar | undefined; position: TopicPosition }>;
  /** Stores a bar event while its topic is still where `expected` says: its new position, or undefined when another node stored one first. */
  storeIfAt(event: BarEventInput, expected: ExpectedPosition): Promise<TopicPosition | undefined>;
}

export interface BarSeriesLimits {
  /** Stores sent and not yet answered; past it, ticks wait (their order kept). */
  maxInFlight: number;
  /** Ticks waiting to be built; past it, a tick is refused at once (it is then missing from this series). */
  maxWaiting: number;
  /** How often one tick is built again on a fresher state when other nodes keep storing first. */
  maxAttempts: number;
}

interface PendingTick {
  tick: Tick;
  attempts: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface SentStore {
  pending: PendingTick;
  outcome: 'waiting' | 'stored' | 'refused' | 'failed';
  error?: Error;
}

/**
 * Builds and stores one series (a symbol in one timeframe): exactly one bar event per tick that
 * counts, in the order ticks were added. Stores are pipelined: each is sent at once, built on the
 * bar and position the previous one leads to, so that a series is not held to one store per
 * round trip to the broker. Each store is conditional (compare-and-set on the topic's position,
 * and after the first one since the series was read, on this writer having stored the last
 * event); when one is refused because another node stored first, the later ones are refused too,
 * and once every sent store has answered, the series is read again and the refused ticks built on
 * it, before any newer one. A store that fails outright (the broker down) loses its tick from
 * the series, which is then read again: nothing is stored twice.
 */
export class BarSeriesWriter {
  /** The bar and position the stores sent so far lead to; undefined until read, and after a refusal. */
  private predicted: { bar: Bar | undefined; position: TopicPosition } | undefined;
  private readonly waiting: PendingTick[] = [];
  private readonly sent: SentStore[] = [];
  /** Ticks whose stores were refused since the last read, oldest first: built again after the next read, before any waiting one. */
  private readonly refused: PendingTick[] = [];
  private loading = false;
  /** A store was refused or failed: what `predicted` says is wrong once the sent stores have answered. */
  private stale = false;
  private generation = 0;
  /** Names this writer to the broker, new with each read: `writerPrefix` and the read's generation. */
  private writer = '';
  /** A store was sent since the series was last read: the next ones require this writer's own last write. */
  private sentSinceRead = false;

  constructor(
    private readonly topic: string,
    private readonly platformId: string,
    private readonly timeframe: Timeframe,
    private readonly store: BarStore,
    /** Unique to this builder (node): with the generation, names this writer to the broker. */
    private readonly writerPrefix: string,
    private readonly limits: BarSeriesLimits,
  ) {}

  /** Nothing waits, nothing is under way: the series can be forgotten (it is read again when it ticks). */
  get idle(): boolean {
    return this.waiting.length === 0 && this.sent.length === 0 && this.refused.length === 0 && !this.loading;
  }

  /** Resolves once the tick's bar is stored (or the tick does not count for this timeframe). */
  add(tick: Tick): Promise<void> {
    if (this.waiting.length >= this.limits.maxWaiting) {
      return Promise.reject(new Error(`Bars of '${this.topic}' are ${this.waiting.length} ticks behind; a tick was left out.`));
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ tick, attempts: 0, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.loading || this.stale) return;
    if (!this.predicted) {
      if (this.waiting.length > 0) this.read();
      return;
    }
    while (this.waiting.length > 0 && this.sent.length < this.limits.maxInFlight) {
      const pending = this.waiting.shift()!;
      const bar = nextBar(this.predicted.bar, pending.tick, this.timeframe);
      if (!bar) {
        pending.resolve();
        continue;
      }
      const { epoch, seq }: TopicPosition = this.predicted.position;
      const expected: ExpectedPosition = { epoch, seq, writer: this.writer, afterOwnWrite: this.sentSinceRead };
      this.predicted = { bar, position: { epoch, seq: seq + 1 } };
      this.sentSinceRead = true;
      const sent: SentStore = { pending, outcome: 'waiting' };
      this.sent.push(sent);
      const event: BarEventInput = { type: 'bar', platformId: this.platformId, data: bar };
      this.store.storeIfAt(event, expected).then((position) => {
        sent.outcome = position ? 'stored' : 'refused';
      }, (error: unknown) => {
        sent.outcome = 'failed';
        sent.error = error instanceof Error ? error : new Error(String(error));
      }).finally(() => this.answered());
    }
  }

  /** Settles the sent stores that have answered, in the order they were sent. */
  private answered(): void {
    while (this.sent.length > 0 && this.sent[0]!.outcome !== 'waiting') {
      const { pending, outcome, error } = this.sent.shift()!;
      if (outcome === 'stored') {
        pending.resolve();
        continue;
      }
      this.stale = true;
      if (outcome === 'failed') {
        pending.reject(error!);
      } else if (++pending.attempts >= this.limits.maxAttempts) {
        pending.reject(new Error(`Bars of '${this.topic}' kept being stored by other nodes first; a tick was left out.`));
      } else {
        this.refused.push(pending);
      }
    }
    if (this.sent.length === 0 && this.stale) {
      this.stale = false;
      this.predicted = undefined;
      // Refused ticks are older than every waiting one: they go first.
      this.waiting.unshift(...this.refused.splice(0));
    }
    this.pump();
  }

  private read(): void {
    this.loading = true;
    this.store.current(this.topic).then(({ bar, position }) => {
      this.loading = false;
      this.writer = `${this.writerPrefix}:${++this.generation}`;
      this.sentSinceRead = false;
      this.predicted = { bar, position };
      this.pump();
    }, (error: unknown) => {
      this.loading = false;
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const pending of this.waiting.splice(0)) pending.reject(failure);
    });
  }
}
