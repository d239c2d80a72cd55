import { parseTopic, topicKindOf, type TradeEventType } from '@tradehub/shared';

/**
 * Events a bars topic keeps for replay. A bar event carries the whole current bar, so a client
 * that missed more gets the snapshot (the last bars) instead, which loses nothing; keeping less
 * than `trade.historyLength` keeps the five bars topics of a symbol from outweighing its ticks.
 */
export const BAR_REPLAY_EVENTS = 1000;

/** How many events a topic keeps for replay: `historyLength`, less for bars topics. */
export function historyLengthOf(kind: ReturnType<typeof topicKindOf> | undefined, historyLength: number): number {
  return kind === 'bars' ? Math.min(historyLength, BAR_REPLAY_EVENTS) : historyLength;
}

/** `historyLengthOf` for the topic an event of this type goes to. */
export function historyLengthForType(type: TradeEventType, historyLength: number): number {
  return historyLengthOf(topicKindOf(type), historyLength);
}

/** `historyLengthOf` for a topic name. */
export function historyLengthForTopic(topic: string, historyLength: number): number {
  return historyLengthOf(parseTopic(topic)?.kind, historyLength);
}
