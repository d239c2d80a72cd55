import { readFileSync } from 'node:fs';

const MiB = 1024 * 1024;

/**
 * This process's resident memory in MiB, after a full garbage collection when node runs with
 * `--expose-gc` (the fault suite's script passes it), so that garbage does not count as growth.
 */
export function ownRssMiB(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().rss / MiB;
}

/** Whether `ownRssMiB` collects garbage first (tighter bounds can then be asserted). */
export const gcExposed = typeof (globalThis as { gc?: unknown }).gc === 'function';

/** A child process's resident memory in MiB, from /proc/<pid>/status (VmRSS). */
export function processRssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}

/**
 * Growth accepted for the test process, which hosts both nodes and every client: generous, since
 * V8 keeps heap pages and code it grew into; with `--expose-gc` garbage does not count.
 */
export const IN_PROCESS_BOUND_MIB = gcExposed ? 64 : 128;

/** Growth accepted for a hub node in a child process (VmRSS; no gc can be forced there). */
export const CHILD_BOUND_MIB = 48;
