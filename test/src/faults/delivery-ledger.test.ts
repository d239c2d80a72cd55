import assert from 'node:assert/strict';
import { DeliveryLedger } from './support/delivery-ledger.js';
import { reportLine } from './support/fault-report.js';

const TOPIC = 'platforms/demo/accounts/1';

/** The fault scenarios' counts are only as good as the ledger: it must see every kind of fault. */
describe('fault suite: the delivery ledger', () => {
  function ledgerWith(stored: number): DeliveryLedger {
    const ledger = new DeliveryLedger();
    for (let seq = 1; seq <= stored; seq++) ledger.recordStored(TOPIC, seq, `e-${seq}`);
    return ledger;
  }

  it('counts lost, duplicated and reordered events per reader, by seq', () => {
    const ledger = ledgerWith(5);
    const clean = ledger.reader('clean', [TOPIC]);
    const faulty = ledger.reader('faulty', [TOPIC]);
    for (const seq of [1, 2, 3, 4, 5]) clean.event({ topic: TOPIC, seq });
    for (const seq of [1, 3, 2, 3, 5]) faulty.event({ topic: TOPIC, seq });
    const counts = ledger.counts();
    assert.deepEqual(counts, { published: 5, delivered: 10, replayed: 0, lost: 1, duplicated: 1, reordered: 1, seqGaps: 0 });
    assert.equal(ledger.allDelivered(), false);
    assert.match(ledger.missing(), /faulty: 4\/5/);
  });

  it('counts events at or below the live head at a reconnect as replayed, and a seq the hub skipped as a gap', () => {
    const ledger = ledgerWith(3);
    const reader = ledger.reader('r', [TOPIC]);
    reader.event({ topic: TOPIC, seq: 1 });
    reader.reconnected();
    ledger.recordStored(TOPIC, 5, 'e-5');
    for (const seq of [2, 3, 5]) reader.event({ topic: TOPIC, seq });
    const counts = ledger.counts();
    assert.equal(counts.replayed, 2);
    assert.equal(counts.seqGaps, 1, 'seq 4 was never answered');
    assert.equal(counts.lost, 0);
  });

  it('refuses two ids for one seq (the hub stored something twice)', () => {
    const ledger = ledgerWith(1);
    ledger.recordStored(TOPIC, 1, 'e-1');
    assert.throws(() => ledger.recordStored(TOPIC, 1, 'other'), /both e-1 and other/);
  });

  it('prints the report line', () => {
    const line = reportLine('x', { published: 3, delivered: 6, replayed: 1, lost: 0, duplicated: 0, reordered: 0, seqGaps: 0 },
      { beforeMiB: 10, afterMiB: 12.25, boundMiB: 64, what: 'p' });
    assert.equal(line, '[fault] x: published 3 delivered 6 replayed 1 lost 0 duplicated 0 reordered 0 rss_before 10.0 MiB rss_after 12.3 MiB');
  });
});
