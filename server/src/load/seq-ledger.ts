import { parseTopic, type TopicPosition } from '@tradehub/shared';

/** Seqs a subscriber may skip at once before the gap is counted as missing without remembering each seq. */
const MAX_REMEMBERED_HOLES = 100_000;

/** Loss, duplication and reordering, by seq: one subscriber's topic, or summed over many. */
export interface SeqCounts {
  /** Events received live or through a resume (duplicates included). */
  received: number;
  /** Seqs skipped: a later seq arrived but this one never did (a gap, lost for good). */
  missing: number;
  /**
   * Seqs skipped on a ticks topic: the hub conflates ticks for a connection that falls behind
   * (only the latest per symbol waits), so these are policy, not loss.
   */
  conflated: number;
  /** Seqs after the last one received, up to the topic's head: still owed when the run ended (behind, or lost at the tail). */
  undelivered: number;
  /** Seqs that arrived more than once, or again although the start position already covered them. */
  duplicated: number;
  /** Seqs that arrived after a higher one (a gap that was later filled). */
  reordered: number;
  /** Times the topic's epoch changed under the subscriber (its history was reset). */
  epochChanges: number;
}

export function emptyCounts(): SeqCounts {
  return { received: 0, missing: 0, conflated: 0, undelivered: 0, duplicated: 0, reordered: 0, epochChanges: 0 };
}

export function addCounts(total: SeqCounts, counts: SeqCounts): SeqCounts {
  total.received += counts.received;
  total.missing += counts.missing;
  total.conflated += counts.conflated;
  total.undelivered += counts.undelivered;
  total.duplicated += counts.duplicated;
  total.reordered += counts.reordered;
  total.epochChanges += counts.epochChanges;
  return total;
}

/**
 * What one subscriber got of one topic, in O(gaps) memory: the highest seq seen and the seqs
 * skipped on the way there that have not arrived (yet). An event at or below the highest seq is
 * either a late one filling a hole (reordered) or a duplicate.
 */
export class TopicSeqTracker {
  private highest: number;
  private readonly holes = new Set<number>();
  /** Skipped seqs beyond what `holes` remembers: counted as missing for good. */
  private forgotten = 0;
  private counts = emptyCounts();

  /**
   * `start`: the position the subscriber starts from (a snapshot's seq: events after it are expected).
   * `conflatable`: a ticks topic, whose gaps count as conflated instead of missing.
   */
  constructor(private epoch: string, private readonly start: number, private readonly conflatable = false) {
    this.highest = start;
  }

  get position(): TopicPosition {
    return { epoch: this.epoch, seq: this.highest };
  }

  get lastSeq(): number {
    return this.highest;
  }

  record(seq: number, epoch: string): void {
    this.counts.received++;
    if (epoch !== this.epoch) {
      // A new epoch restarts the count: what the old one still owed cannot arrive any more.
      this.counts.epochChanges++;
      this.counts.missing += this.holes.size + this.forgotten;
      this.holes.clear();
      this.forgotten = 0;
      this.epoch = epoch;
      this.highest = seq;
      return;
    }
    if (seq === this.highest + 1) {
      this.highest = seq;
    } else if (seq > this.highest) {
      for (let skipped = this.highest + 1; skipped < seq; skipped++) {
        if (this.holes.size < MAX_REMEMBERED_HOLES) this.holes.add(skipped);
        else this.forgotten++;
      }
      this.highest = seq;
    } else if (this.holes.delete(seq)) {
      this.counts.reordered++;
    } else {
      this.counts.duplicated++;
    }
  }

  /** The counts, with everything up to `head` (the topic's last seq) expected: gaps are missing, the tail undelivered. */
  countsUpTo(head: number): SeqCounts {
    const skipped = this.counts.missing + this.holes.size + this.forgotten;
    return {
      ...this.counts,
      missing: this.conflatable ? 0 : skipped,
      conflated: this.conflatable ? skipped : 0,
      undelivered: Math.max(0, head - this.highest),
    };
  }

  /** Events this subscriber should have received up to `head` since it started. */
  expectedUpTo(head: number): number {
    return Math.max(0, head - this.start);
  }
}

/** One subscriber's trackers, by topic; events of topics it does not follow yet start a tracker at seq 0 (wildcards). */
export class SubscriberLedger {
  readonly topics = new Map<string, TopicSeqTracker>();

  start(topic: string, epoch: string, seq: number): void {
    this.topics.set(topic, new TopicSeqTracker(epoch, seq, isTicksTopic(topic)));
  }

  record(topic: string, seq: number, epoch: string): void {
    let tracker = this.topics.get(topic);
    if (!tracker) this.topics.set(topic, (tracker = new TopicSeqTracker(epoch, 0, isTicksTopic(topic))));
    tracker.record(seq, epoch);
  }

  /** Where to resume each topic from after a reconnect. */
  resumePositions(): Record<string, TopicPosition> {
    return Object.fromEntries([...this.topics].map(([topic, tracker]) => [topic, tracker.position]));
  }

  /** Whether every followed topic has reached its head. */
  caughtUp(heads: ReadonlyMap<string, number>): boolean {
    for (const [topic, tracker] of this.topics) if (tracker.lastSeq < (heads.get(topic) ?? 0)) return false;
    return true;
  }

  countsUpTo(heads: ReadonlyMap<string, number>): SeqCounts {
    const total = emptyCounts();
    for (const [topic, tracker] of this.topics) addCounts(total, tracker.countsUpTo(heads.get(topic) ?? tracker.lastSeq));
    return total;
  }

  expectedUpTo(heads: ReadonlyMap<string, number>): number {
    let expected = 0;
    for (const [topic, tracker] of this.topics) expected += tracker.expectedUpTo(heads.get(topic) ?? tracker.lastSeq);
    return expected;
  }
}

function isTicksTopic(topic: string): boolean {
  return parseTopic(topic)?.kind === 'ticks';
}
