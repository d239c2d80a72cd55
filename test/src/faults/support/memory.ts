import { readFileSync } from 'node:fs';
import type { MemoryReading } from './fault-report.js';

const MiB = 1024 * 1024;

export interface OwnMemory {
  rssMiB: number;
  heapUsedMiB: number;
}

/**
 * This process's memory in MiB, after a full garbage collection when node runs with `--expose-gc`
 * (the fault suite's script passes it), so that garbage does not count as growth.
 */
export function ownMemory(): OwnMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const usage = process.memoryUsage();
  return { rssMiB: usage.rss / MiB, heapUsedMiB: usage.heapUsed / MiB };
}

/** Whether `ownMemory` collects garbage first (the live heap can then be bounded too). */
export const gcExposed = typeof (globalThis as { gc?: unknown }).gc === 'function';

/** A child process's resident memory in MiB, from /proc/<pid>/status (VmRSS). */
export function processRssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}

/**
 * RSS growth accepted for the test process, which hosts both nodes and every client: generous,
 * since V8 and the allocator keep pages they grew into (RSS rarely shrinks back).
 */
export const IN_PROCESS_RSS_BOUND_MIB = 128;
/** Live-heap growth accepted after a full gc (only checked with `--expose-gc`): what would be a leak. */
export const IN_PROCESS_HEAP_BOUND_MIB = 32;

/** The memory reading of a scenario whose nodes run in the test process. */
export function inProcessReading(before: OwnMemory, after: OwnMemory, what: string): MemoryReading {
  return {
    beforeMiB: before.rssMiB, afterMiB: after.rssMiB, boundMiB: IN_PROCESS_RSS_BOUND_MIB, what: `${what} (RSS)`,
    ...(gcExposed ? { heap: { beforeMiB: before.heapUsedMiB, afterMiB: after.heapUsedMiB, boundMiB: IN_PROCESS_HEAP_BOUND_MIB } } : {}),
  };
}

/** Growth accepted for a hub node in a child process (VmRSS; no gc can be forced there). */
export const CHILD_BOUND_MIB = 48;
