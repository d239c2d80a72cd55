import assert from 'node:assert/strict';
import type { DeliveryCounts } from './delivery-ledger.js';

export interface MemoryReading {
  beforeMiB: number;
  afterMiB: number;
  /** Largest growth accepted, in MiB, and what was measured (for the message). */
  boundMiB: number;
  what: string;
  /** Live heap after a full gc (in-process nodes under `--expose-gc`), checked against its own bound. */
  heap?: { beforeMiB: number; afterMiB: number; boundMiB: number };
}

/** The report line every fault scenario prints. */
export function reportLine(scenario: string, counts: DeliveryCounts, memory: MemoryReading): string {
  return `[fault] ${scenario}: published ${counts.published} delivered ${counts.delivered} replayed ${counts.replayed} `
    + `lost ${counts.lost} duplicated ${counts.duplicated} reordered ${counts.reordered} `
    + `rss_before ${memory.beforeMiB.toFixed(1)} MiB rss_after ${memory.afterMiB.toFixed(1)} MiB`
    + (memory.heap ? ` (heap after gc ${memory.heap.beforeMiB.toFixed(1)} -> ${memory.heap.afterMiB.toFixed(1)} MiB)` : '');
}

/**
 * Prints the scenario's line, then asserts what every scenario guarantees: nothing stored was
 * lost, duplicated or reordered for any reader, and memory came back near its baseline.
 */
export function reportAndCheck(scenario: string, counts: DeliveryCounts, memory: MemoryReading): void {
  console.log(reportLine(scenario, counts, memory));
  assert.ok(counts.published > 0, 'the scenario published nothing');
  assert.equal(counts.lost, 0, 'events lost');
  assert.equal(counts.duplicated, 0, 'events duplicated');
  assert.equal(counts.reordered, 0, 'events reordered');
  assert.equal(counts.seqGaps, 0, 'seqs skipped by the hub (a write that half happened)');
  const growth = memory.afterMiB - memory.beforeMiB;
  assert.ok(growth <= memory.boundMiB,
    `${memory.what} grew by ${growth.toFixed(1)} MiB (bound ${memory.boundMiB} MiB): ${memory.beforeMiB.toFixed(1)} -> ${memory.afterMiB.toFixed(1)}`);
  if (memory.heap) {
    const heapGrowth = memory.heap.afterMiB - memory.heap.beforeMiB;
    assert.ok(heapGrowth <= memory.heap.boundMiB,
      `the live heap after gc grew by ${heapGrowth.toFixed(1)} MiB (bound ${memory.heap.boundMiB} MiB): ${memory.heap.beforeMiB.toFixed(1)} -> ${memory.heap.afterMiB.toFixed(1)}`);
  }
}
