import { readFileSync } from 'node:fs';

/** One reading of a process: CPU seconds used so far (user + system) and resident memory. */
export interface ProcReading {
  at: number;
  cpuSeconds: number;
  rssBytes: number;
}

export interface ProcSummary {
  pid: number;
  samples: number;
  /** CPU seconds the process used over the measured window. */
  cpuSeconds: number;
  /** Average cores busy over the window (1 = one core fully). */
  cpuCores: number;
  rssStartBytes: number;
  rssEndBytes: number;
  rssMaxBytes: number;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const CLOCK_TICKS = 100;

/** Reads utime + stime (fields 14 and 15 of /proc/<pid>/stat) and VmRSS of /proc/<pid>/status. */
export function readProc(pid: number): ProcReading {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  return { at: Date.now(), cpuSeconds, rssBytes: rssKb * 1024 };
}

/** Samples a process once a second (bounded by the run that owns it) and summarises windows of it. */
export class ProcSampler {
  readonly readings: ProcReading[] = [];
  private timer?: NodeJS.Timeout;

  constructor(readonly pid: number) {
    this.sample();
  }

  start(intervalMs = 1_000): void {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Takes a reading now (also to mark a window's edge). */
  sample(): ProcReading {
    const reading = readProc(this.pid);
    this.readings.push(reading);
    return reading;
  }

  /** From reading `from` (inclusive) to `to` (inclusive), by reading objects. */
  summarise(from: ProcReading, to: ProcReading): ProcSummary {
    const window = this.readings.filter((reading) => reading.at >= from.at && reading.at <= to.at);
    const seconds = Math.max(0.001, (to.at - from.at) / 1000);
    const cpuSeconds = to.cpuSeconds - from.cpuSeconds;
    return {
      pid: this.pid,
      samples: window.length,
      cpuSeconds: round(cpuSeconds),
      cpuCores: round(cpuSeconds / seconds),
      rssStartBytes: from.rssBytes,
      rssEndBytes: to.rssBytes,
      rssMaxBytes: Math.max(from.rssBytes, to.rssBytes, ...window.map((reading) => reading.rssBytes)),
    };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
