import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { freePort } from '../servers.js';
import { waitUntil } from '../wait-until.js';

/** No persistence: what the benchmark and the cluster tests measure is pub/sub and scripts, not disk. */
const NO_PERSISTENCE = ['--save', '', '--appendonly', 'no'];

/**
 * Starts `redis-server` on a loopback port with `args` added; pinned to one CPU core with
 * `taskset` when `core` is given (the benchmark's convention: servers on core 0).
 */
export function spawnRedisServer(port: number, dir: string, args: readonly string[], core?: number): ChildProcess {
  const command = ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no', '--dir', dir, ...NO_PERSISTENCE, ...args];
  const [file, ...rest] = core === undefined ? command : ['taskset', '-c', String(core), ...command];
  return spawn(file!, rest, { stdio: 'ignore' });
}

/** Whether a Redis answers a PING on `port` now. */
export async function answers(port: number): Promise<boolean> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false, connectTimeout: 500 } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** One stand-alone redis-server of the benchmark's own, without persistence, in a temporary directory. */
export class LocalRedis {
  private constructor(readonly port: number, private readonly child: ChildProcess, private readonly dir: string) {}

  static async start(core?: number): Promise<LocalRedis> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'tradehub-redis-'));
    const redis = new LocalRedis(port, spawnRedisServer(port, dir, [], core), dir);
    try {
      await waitUntil(() => answers(port), `redis-server to answer on port ${port}`, 10_000);
      return redis;
    } catch (error) {
      await redis.dispose();
      throw error;
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async dispose(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
