import { ProcSampler, type ProcReading } from './proc-sampler.js';
import type { LoadOptions } from './options.js';
import { ProgressLine } from './progress.js';

/** What every scenario shares: the hard deadline, the server sampler and the progress line. */
export class RunContext {
  readonly startedAt = Date.now();
  readonly deadline: number;
  readonly sampler?: ProcSampler;
  readonly progress: ProgressLine;
  readonly problems: string[] = [];
  readonly hubUrl: URL;

  constructor(readonly options: LoadOptions) {
    this.deadline = this.startedAt + options.maxTotal * 1000;
    this.hubUrl = new URL('/hubs/trade', options.url);
    if (options.serverPid !== undefined) {
      try {
        this.sampler = new ProcSampler(options.serverPid);
        this.sampler.start();
      } catch {
        throw new Error(`--server-pid ${options.serverPid}: no such process readable in /proc.`);
      }
    }
    this.progress = new ProgressLine(options.progress);
  }

  timeLeftMs(): number {
    return this.deadline - Date.now();
  }

  /** Milliseconds allowed for a step: `wanted`, cut to what the hard cap leaves. */
  bounded(wantedMs: number): number {
    return Math.max(0, Math.min(wantedMs, this.timeLeftMs()));
  }

  mark(): ProcReading | undefined {
    return this.sampler?.sample();
  }

  finish(): void {
    this.sampler?.stop();
    this.progress.stop();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
