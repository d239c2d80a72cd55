import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { answers } from '@tradehub/bench/redis/local-redis';
import { waitUntil } from './wait.js';

/** The machine's shared Redis, for tests that do not stop it. */
export const SHARED_REDIS_URL = process.env.TRADEHUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A redis-server of the test's own, on a free loopback port, with append-only persistence so
 * that a restart keeps its data (as production Redis should). `stop` and `start` simulate an
 * outage; `dispose` removes it and its files.
 */
export class OwnRedisServer {
  private process: ChildProcess | undefined;

  private constructor(readonly port: number, private readonly dir: string, private readonly extraArgs: readonly string[]) {}

  /** `extraArgs` are added to the command line (`--maxmemory 4mb`, `--replicaof ...`). */
  static async start(extraArgs: readonly string[] = []): Promise<OwnRedisServer> {
    const server = new OwnRedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'tradehub-redis-')), extraArgs);
    await server.start();
    return server;
  }

  /** The redis-server's process id while it runs. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--protected-mode', 'no', ...this.extraArgs,
    ], { stdio: 'ignore' });
    this.process = child;
    await waitUntil(() => answers(this.port), `redis-server to answer on port ${this.port}`);
  }

  /** Freezes the process (SIGSTOP): its connections stay open, but nothing is answered. */
  freeze(): void {
    this.signal('SIGSTOP');
  }

  /** Lets a frozen process go on (SIGCONT); harmless when it is not frozen. */
  resume(): void {
    this.signal('SIGCONT');
  }

  private signal(signal: NodeJS.Signals): void {
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
  }

  /**
   * Shuts redis-server down as an operator would (SIGTERM). Redis refuses a SIGTERM while it writes
   * its first AOF (a replica that just synced: "Writing initial AOF, can't exit") and does not try
   * again by itself, so the signal is repeated until it exits; after 10 s it is killed.
   */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // A frozen process would not act on SIGTERM.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const retry = setInterval(() => child.kill('SIGTERM'), 250);
    const giveUp = setTimeout(() => child.kill('SIGKILL'), 10_000);
    try {
      await exited;
    } finally {
      clearInterval(retry);
      clearTimeout(giveUp);
    }
    this.process = undefined;
  }

  /** Ends redis-server at once, as a crash would (what `--appendfsync always` wrote survives). */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
    this.process = undefined;
  }

  /** Starts redis-server again if it was stopped or killed (for clean-up after a test that failed mid-outage). */
  async ensureRunning(): Promise<void> {
    if (this.process === undefined) await this.start();
  }

  /** Ends redis-server and removes its files: nothing of it is needed after, so it is killed. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Deletes every key under a test's prefix. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await client.del(keys);
  } finally {
    await client.close();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
