import { topicKindOf, type TopicKind, type TradeEventType } from '@tradehub/shared';
import { Histogram, type Registry } from 'prom-client';
import { CounterCells, type CounterCell } from './counter-cells.js';

const TOPIC_KINDS: readonly TopicKind[] = ['status', 'symbols', 'ticks', 'accounts', 'margin', 'bars', 'depth'];

/** One cell per topic kind: the `kind` label never names a topic, so series do not grow with topics. */
export type CellsByKind = Readonly<Record<TopicKind, CounterCell>>;

function byKind(counter: CounterCells<'kind'>): CellsByKind {
  return Object.fromEntries(TOPIC_KINDS.map((kind) => [kind, counter.cell({ kind })])) as Record<TopicKind, CounterCell>;
}

/** Trade events through this node, by topic kind, and how long they take to reach connections. */
export class TradeMetrics {
  /** Events stored by publishers through this node (REST, hub, ingest). */
  readonly published: CellsByKind;
  /** Events handed to a connection or stream of this node (one per subscriber). */
  readonly delivered: CellsByKind;
  /** Events sent again from history: resumed subscriptions and repaired gaps. */
  readonly replayed: CellsByKind;
  /** From the hub accepting an event (`hubTime`) to this node writing it to its subscribers' connections. */
  readonly fanoutLatency: Histogram;
  /** Events a repaired gap lacked: how far a subscription had fallen behind the topic. */
  readonly subscriptionLag: Histogram;
  /** From an event's entry in the Redis ingest stream to the hub storing it. */
  readonly ingestLag: Histogram;

  constructor(registry: Registry) {
    this.published = byKind(new CounterCells(registry, 'tradehub_events_published_total', 'Trade events stored by publishers through this node, by topic kind.', ['kind']));
    this.delivered = byKind(new CounterCells(registry, 'tradehub_events_delivered_total', 'Trade events handed to a connection or stream of this node (one per subscriber), by topic kind.', ['kind']));
    this.replayed = byKind(new CounterCells(registry, 'tradehub_events_replayed_total', 'Trade events sent again from history (resumed subscriptions, repaired gaps), by topic kind.', ['kind']));
    this.fanoutLatency = new Histogram({
      name: 'tradehub_fanout_latency_seconds',
      help: 'From the hub accepting an event to this node writing it to its subscribers\' connections (once per event and subscription of the node).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    });
    this.subscriptionLag = new Histogram({
      name: 'tradehub_subscription_lag_events',
      help: 'Events a subscription lacked when this node found a gap and repaired it from history.',
      buckets: [1, 2, 5, 10, 100, 1000, 10000],
      registers: [registry],
    });
    this.ingestLag = new Histogram({
      name: 'tradehub_ingest_lag_seconds',
      help: 'From an event entering the Redis ingest stream to the hub storing it.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300],
      registers: [registry],
    });
  }

  /** Adds each event to its kind's cell: for batches off the delivery path (publishing, replays). */
  count(cells: CellsByKind, events: ReadonlyArray<{ readonly type: TradeEventType }>): void {
    for (const event of events) cells[topicKindOf(event.type)].value++;
  }
}
