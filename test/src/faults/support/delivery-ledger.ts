import type { TradeEnvelope } from '@tradehub/client';

/** What a reader got of one topic: seqs in the order they were handed to the application. */
interface TopicLog {
  seqs: number[];
  /** Seqs at or below this came in through resume/replay (see `ReaderLog.reconnected`). */
  replayUpTo: number;
}

/** Counts of one scenario, over every reader and topic; what the report line prints. */
export interface DeliveryCounts {
  published: number;
  delivered: number;
  replayed: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Seqs missing between 1 and a topic's head in the hub's answers: a store that burnt a seq (not printed). */
  seqGaps: number;
}

/**
 * The events a scenario stored (by the hub's answer: topic and seq of each id) and what each
 * reader received, so that loss, duplication and reordering are counted exactly, per topic and
 * per reader, by seq. A publish refused with an error is not recorded (nothing was stored); a
 * publish whose outcome was unknown is retried with the same ids until the hub answers, and the
 * hub's de-duplication makes the answer name the one stored copy.
 */
export class DeliveryLedger {
  /** topic -> seq -> event id, as the hub answered the publisher. */
  private readonly stored = new Map<string, Map<number, string>>();
  private readonly heads = new Map<string, number>();
  readonly readers: ReaderLog[] = [];

  recordStored(topic: string, seq: number, id: string): void {
    let seqs = this.stored.get(topic);
    if (!seqs) this.stored.set(topic, (seqs = new Map()));
    const known = seqs.get(seq);
    if (known !== undefined && known !== id) throw new Error(`the hub answered seq ${seq} of ${topic} for both ${known} and ${id}`);
    seqs.set(seq, id);
    this.heads.set(topic, Math.max(this.heads.get(topic) ?? 0, seq));
  }

  /** The highest seq stored so far in `topic` (0 before any). */
  head(topic: string): number {
    return this.heads.get(topic) ?? 0;
  }

  storedCount(topic?: string): number {
    if (topic !== undefined) return this.stored.get(topic)?.size ?? 0;
    let count = 0;
    for (const seqs of this.stored.values()) count += seqs.size;
    return count;
  }

  /** A reader that will follow `topics` from their start (seq 1). */
  reader(name: string, topics: readonly string[]): ReaderLog {
    const reader = new ReaderLog(name, topics, this);
    this.readers.push(reader);
    return reader;
  }

  /** Whether every reader has received at least every stored event of its topics. */
  allDelivered(): boolean {
    return this.readers.every((reader) => reader.topics.every((topic) => reader.distinct(topic) >= this.storedCount(topic)));
  }

  /** Readers still missing events, for failure messages. */
  missing(): string {
    return this.readers
      .filter((reader) => reader.topics.some((topic) => reader.distinct(topic) < this.storedCount(topic)))
      .slice(0, 5)
      .map((reader) => `${reader.name}: ${reader.topics.map((t) => `${reader.distinct(t)}/${this.storedCount(t)}`).join(' ')}`)
      .join('; ');
  }

  counts(): DeliveryCounts {
    const counts: DeliveryCounts = { published: this.storedCount(), delivered: 0, replayed: 0, lost: 0, duplicated: 0, reordered: 0, seqGaps: 0 };
    for (const [topic, seqs] of this.stored) counts.seqGaps += this.head(topic) - seqs.size;
    for (const reader of this.readers) {
      counts.replayed += reader.replayed;
      for (const topic of reader.topics) {
        const seqs = reader.seqsOf(topic);
        const stored = this.stored.get(topic) ?? new Map<number, string>();
        const seen = new Set<number>();
        let previous = 0;
        for (const seq of seqs) {
          counts.delivered++;
          if (seen.has(seq)) counts.duplicated++;
          else if (seq < previous) counts.reordered++;
          seen.add(seq);
          previous = Math.max(previous, seq);
        }
        for (const seq of stored.keys()) if (!seen.has(seq)) counts.lost++;
      }
    }
    return counts;
  }
}

/** One reader's log, fed from its subscription handler. */
export class ReaderLog {
  private readonly logs = new Map<string, TopicLog>();
  /** Events that came through resume/replay (see `reconnected`). */
  replayed = 0;
  /** New connections after the first (a SignalR stateful reconnect keeps the connection and is not one). */
  reconnects = 0;

  constructor(readonly name: string, readonly topics: readonly string[], private readonly ledger: DeliveryLedger) {
    for (const topic of topics) this.logs.set(topic, { seqs: [], replayUpTo: 0 });
  }

  event(envelope: Pick<TradeEnvelope, 'topic' | 'seq'>): void {
    const log = this.logs.get(envelope.topic);
    if (!log) throw new Error(`${this.name} got an event of ${envelope.topic}, which it did not subscribe to`);
    if (envelope.seq <= log.replayUpTo && !log.seqs.includes(envelope.seq)) this.replayed++;
    log.seqs.push(envelope.seq);
  }

  /**
   * The reader's connection is back (same node or another). "Replayed" is defined here: an event
   * received after a reconnect whose seq is at or below the topic's live head at that moment (the
   * highest seq the hub had stored and answered to the publisher) was missed while the reader was
   * away, so it reached the reader through its resume by (epoch, seq), not live.
   */
  reconnected(): void {
    this.reconnects++;
    for (const [topic, log] of this.logs) log.replayUpTo = Math.max(log.replayUpTo, this.ledger.head(topic));
  }

  seqsOf(topic: string): readonly number[] {
    return this.logs.get(topic)?.seqs ?? [];
  }

  distinct(topic: string): number {
    return new Set(this.seqsOf(topic)).size;
  }

  lastSeq(topic: string): number {
    return this.seqsOf(topic).at(-1) ?? 0;
  }
}
