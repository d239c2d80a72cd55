import { readFileSync } from 'node:fs';

/** The soft RLIMIT_NOFILE of this process (what `ulimit -n` shows), from /proc; undefined where /proc is missing. */
export function openFileLimit(limitsText = readProcLimits()): number | undefined {
  if (limitsText === undefined) return undefined;
  const line = limitsText.split('\n').find((row) => row.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  if (soft === undefined) return undefined;
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

function readProcLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}

/** File descriptors the tool needs besides its connections (stdio, HTTP keep-alive, Redis, /proc reads). */
export const SPARE_FILE_DESCRIPTORS = 64;
