/**
 * How fast the server's and the load generator's cores run right now, measured by a fixed piece
 * of work (`work.ts`) pinned to each. The benchmark probes both cores before and after every
 * workload: this 2-core virtual machine has slow phases (the same code up to ~1.6x slower, for
 * seconds to minutes, invisible to the guest's steal time), and a figure measured in one can only
 * be compared with a figure measured in the same kind of phase.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORK = fileURLToPath(new URL('./work.js', import.meta.url));
const PROBE_TIMEOUT_MS = 20_000;

/** Milliseconds the probe's work took on `core`; undefined when the probe could not run (no taskset, a time-out). */
export function probeCore(core: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('taskset', ['-c', String(core), process.execPath, WORK], { timeout: PROBE_TIMEOUT_MS }, (error, stdout) => {
      if (error) return resolve(undefined);
      try {
        const { milliseconds } = JSON.parse(stdout.trim()) as { milliseconds: number };
        resolve(Number.isFinite(milliseconds) ? milliseconds : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** Both cores at once: each probe has its own core, so they do not slow each other. */
export async function probeCores(serverCore: number, generatorCore: number): Promise<{ serverMs?: number; generatorMs?: number }> {
  const [serverMs, generatorMs] = await Promise.all([probeCore(serverCore), probeCore(generatorCore)]);
  return { ...(serverMs === undefined ? {} : { serverMs }), ...(generatorMs === undefined ? {} : { generatorMs }) };
}
