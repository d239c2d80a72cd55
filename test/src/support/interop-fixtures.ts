import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { HubConnectionState, type HubConnection } from '@microsoft/signalr';

/**
 * Test fixtures for the interop tests: bounded waits that never leave a dangling rejection
 * behind, recorders of client-side handler calls, and child processes for the CLI programs.
 */

/** Resolves or rejects like `promise`, but rejects with `label` when it took longer than `ms`. */
export function within<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: not within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The error `promise` rejects with; fails if it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error(`expected a rejection, but it resolved with ${JSON.stringify(value)}`);
}

/**
 * Resolves with the error (or undefined) of the connection's next close. Never rejects, so
 * that an unused instance cannot turn into an unhandled rejection; bound it with `within`.
 */
export function closeOf(connection: HubConnection): Promise<Error | undefined> {
  return new Promise((resolve) => connection.onclose((error) => resolve(error)));
}

/** Resolves with the error (or undefined) passed to the connection's next `onreconnecting`. */
export function reconnectingOf(connection: HubConnection): Promise<Error | undefined> {
  return new Promise((resolve) => connection.onreconnecting((error) => resolve(error)));
}

/** Resolves with the connection id passed to the connection's next `onreconnected`. */
export function reconnectedOf(connection: HubConnection): Promise<string | undefined> {
  return new Promise((resolve) => connection.onreconnected((connectionId) => resolve(connectionId)));
}

/** Every call of one client-side handler, in arrival order. */
export class CallRecorder {
  readonly calls: unknown[][] = [];
  private readonly waiters = new Set<() => void>();

  constructor(connection: HubConnection, method: string) {
    connection.on(method, (...args: unknown[]) => {
      this.calls.push(args);
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  /** The first recorded call (past or future) matching `predicate`. */
  waitFor(predicate: (args: unknown[]) => boolean, timeoutMs = 5_000): Promise<unknown[]> {
    const found = this.calls.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = this.calls.find(predicate);
        if (!match) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(match);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no matching call within ${timeoutMs} ms; received ${JSON.stringify(this.calls)}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Waits for a call whose arguments deep-equal `args` by JSON. */
  waitForArgs(args: unknown[], timeoutMs = 5_000): Promise<unknown[]> {
    const wanted = JSON.stringify(args);
    return this.waitFor((call) => JSON.stringify(call) === wanted, timeoutMs);
  }
}

/** Stops every connection registered with it; for afterEach hooks. */
export class ConnectionPool {
  private readonly connections: HubConnection[] = [];

  add<T extends HubConnection>(connection: T): T {
    this.connections.push(connection);
    return connection;
  }

  async stopAll(): Promise<void> {
    const connections = this.connections.splice(0);
    await Promise.all(connections.map(async (connection) => {
      if (connection.state === HubConnectionState.Disconnected) return;
      await within(connection.stop(), 5_000, 'stopping a client').catch(() => undefined);
    }));
  }
}

/** A TCP port that was free a moment ago on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port assigned'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A node program run as a child process, its output collected line by line. */
export class CliProcess {
  readonly stdoutLines: string[] = [];
  stderr = '';
  readonly exited: Promise<ExitStatus>;
  private readonly lineWaiters = new Set<() => void>();
  private status: ExitStatus | undefined;

  private constructor(readonly child: ChildProcessByStdio<null, Readable, Readable>) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.stdoutLines.push(line);
      for (const waiter of [...this.lineWaiters]) waiter();
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.status = { code, signal };
        for (const waiter of [...this.lineWaiters]) waiter();
        resolve(this.status);
      });
    });
  }

  static start(script: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): CliProcess {
    // The test's own TRADEHUB_* settings (TRADEHUB_TEST_REDIS_URL) stay out: the program refuses variables it does not know.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TRADEHUB_')));
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd,
      env: { ...inherited, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new CliProcess(child);
  }

  get running(): boolean {
    return this.status === undefined;
  }

  /** The first stdout line matching `pattern`; rejects when the process exits or time runs out first. */
  waitForLine(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        for (const line of this.stdoutLines) {
          const match = pattern.exec(line);
          if (match) {
            finish();
            resolve(match);
            return;
          }
        }
        if (this.status) {
          finish();
          reject(new Error(`process exited (${JSON.stringify(this.status)}) before printing ${pattern}; stdout: ${JSON.stringify(this.stdoutLines)}; stderr: ${JSON.stringify(this.stderr)}`));
        }
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.lineWaiters.delete(check);
      };
      const timer = setTimeout(() => {
        this.lineWaiters.delete(check);
        reject(new Error(`no stdout line matching ${pattern} within ${timeoutMs} ms; stdout: ${JSON.stringify(this.stdoutLines)}; stderr: ${JSON.stringify(this.stderr)}`));
      }, timeoutMs);
      this.lineWaiters.add(check);
      check();
    });
  }

  /** Kills the process if it still runs and waits for it to be gone; for after hooks. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await within(this.exited, 5_000, 'killed child process to exit').catch(() => undefined);
  }
}
