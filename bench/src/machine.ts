import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { MachineInfo } from './results.js';

function redisVersion(): string {
  try {
    const info = execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'info', 'server'], { encoding: 'utf8', timeout: 5000 });
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } catch {
    return 'unavailable';
  }
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    ramGb: totalmem() / 1024 ** 3,
    node: process.version,
    redis: redisVersion(),
    kernel: release(),
    date: new Date().toISOString(),
    loadAverageStart: loadavg()[0] ?? 0,
  };
}

export function currentLoadAverage(): number {
  return loadavg()[0] ?? 0;
}
