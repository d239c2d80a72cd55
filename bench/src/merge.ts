import type { BenchReport, PartialRun } from './results.js';

/**
 * An `--only` run merged into the report it refines: its workloads replace the rows of the same id
 * (in place) or join at the end, every other row stays, and the run is listed among the partial
 * runs (an earlier partial run keeps only the workloads nobody measured since).
 */
export function mergePartialRun(previous: BenchReport, partial: BenchReport): BenchReport {
  const measured = new Map(partial.results.map((result) => [result.id, result]));
  const kept = previous.results.map((result) => measured.get(result.id) ?? result);
  const known = new Set(previous.results.map((result) => result.id));
  const added = partial.results.filter((result) => !known.has(result.id));
  const run: PartialRun = {
    command: partial.command, date: partial.machine.date, totalSeconds: partial.totalSeconds, workloads: [...measured.keys()],
    ...(partial.machine.loadAverageStart === undefined ? {} : { loadAverageStart: partial.machine.loadAverageStart }),
    ...(partial.machine.loadAverageEnd === undefined ? {} : { loadAverageEnd: partial.machine.loadAverageEnd }),
  };
  const earlier = (previous.partialRuns ?? [])
    .map((earlierRun) => ({ ...earlierRun, workloads: earlierRun.workloads.filter((id) => !measured.has(id)) }))
    .filter((earlierRun) => earlierRun.workloads.length > 0);
  return { ...previous, results: [...kept, ...added], partialRuns: [...earlier, run] };
}
