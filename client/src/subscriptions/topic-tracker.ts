import { parseTopic, type ResetReason, type TopicPosition, type TradeEnvelope } from '@tradehub/shared';
import { TopicState } from '../state/topic-state.js';

/**
 * The client's knowledge of one concrete topic: the position of the last event applied, the
 * state built from the snapshot and those events, and the events that wait while the server is
 * being asked for what comes before them.
 */
export class TopicTracker {
  position: TopicPosition | undefined;
  readonly state: TopicState;
  /** Events that arrived while a subscribe answer or a refresh was pending, in arrival order. */
  held: TradeEnvelope[] = [];
  /** A gap, a resync or a new epoch needs the server: events wait until it answered. */
  refreshWanted = false;
  /** The next subscribe must not resume this topic: the server has to send a fresh snapshot. */
  needsSnapshot = false;
  /** Why the topic will start over, told to consumers with the snapshot that follows. */
  resetReason: ResetReason | undefined;
  /** Events received more than once and dropped (overlapping subscriptions, replays). */
  duplicates = 0;

  constructor(readonly topic: string) {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.wildcard) throw new Error(`not a concrete topic: ${topic}`);
    this.state = new TopicState(parsed);
  }
}
