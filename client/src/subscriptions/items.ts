import type { ResetReason, TopicKind, TopicSnapshot, TradeEnvelope, TradeEventType } from '@tradehub/shared';

/** The kind of a topic, read from its name at compile time when it is a literal; every kind otherwise. */
export type TopicKindOf<T extends string> =
  string extends T ? TopicKind
    : T extends `platforms/${string}/ticks/${string}` ? 'ticks'
      : T extends `platforms/${string}/accounts/${string}` ? 'accounts'
        : T extends `platforms/${string}/status` ? 'status'
          : T extends `platforms/${string}/symbols` ? 'symbols'
            : T extends `platforms/${string}/margin` ? 'margin'
              : T extends `platforms/${string}/bars/${string}` ? 'bars'
                : T extends `platforms/${string}/depth/${string}` ? 'depth'
                  : TopicKind;

/** Event types published to topics of each kind. */
export interface EventTypesOfKind {
  ticks: 'tick';
  accounts: 'deal' | 'order' | 'position' | 'account';
  status: 'platform.status' | 'terminal.status';
  symbols: 'symbol';
  margin: 'margin';
  bars: 'bar';
  depth: 'depth';
}

/** The envelope of an event type: `type` narrows `data`. */
export type EnvelopeOf<E extends TradeEventType> = Extract<TradeEnvelope, { type: E }>;

/** Envelopes that can arrive on a topic (or on any of several). */
export type TopicEnvelope<T extends string> = EnvelopeOf<EventTypesOfKind[TopicKindOf<T>]>;

/** The snapshot shape of a topic. */
export type TopicSnapshotOf<T extends string> = Extract<TopicSnapshot, { kind: TopicKindOf<T> }>;

/** The state of one concrete topic, at `(epoch, seq)`: always the first item a consumer receives for it. */
export interface SnapshotItem<T extends string = string> {
  kind: 'snapshot';
  topic: string;
  epoch: string;
  seq: number;
  snapshot: TopicSnapshotOf<T>;
}

/** One event, in order, each exactly once. */
export interface EventItem<T extends string = string> {
  kind: 'event';
  topic: string;
  event: TopicEnvelope<T>;
}

/**
 * Why a topic started over: the server could not replay the missed events (its history was
 * reset or no longer reached back, `epoch_changed` / `history_gone` / `ahead_of_server`), or it
 * asked for a resync. A `snapshot` item of the same topic follows at once: start again from it.
 */
export interface ResetItem {
  kind: 'reset';
  topic: string;
  reason: ResetReason;
}

/** What a subscription delivers, narrowed by its topic: snapshot first, then events, and resets when they happen. */
export type TopicItem<T extends string = string> = SnapshotItem<T> | EventItem<T> | ResetItem;
