/** What the profile scripts share: waiting for a spawned tradehub, a reader token, one idle authenticated connection. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { loopbackBlockFor, sourceAddressFor } from '../driver/spec.js';
import { freePort } from '../servers.js';

const RS = '\x1e';
/** This process's source /24: a fresh one per run, clear of the last run's sockets in TIME_WAIT. */
const addressBlock = loopbackBlockFor(randomInt(0, 254 * 256));

/** The source address of a profile script's `index`th connection. */
export function profileSourceAddress(index: number): string {
  return sourceAddressFor(index, addressBlock);
}

export async function waitForServer(base: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
    const up = await fetch(`${base}/health`).then(() => true, () => false);
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('server did not start');
}

export async function readerToken(base: string): Promise<string> {
  const response = await fetch(`${base}/connect/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-reader', client_secret: 'demo-reader-secret' }),
  });
  const body = await response.json() as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${response.status}`);
  return body.access_token;
}

/** Opens one trade-hub WebSocket, answers the JSON handshake and resolves once the server accepted it. */
export function openIdle(url: string, index: number): Promise<WebSocket> {
  const localAddress = profileSourceAddress(index);
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { localAddress, perMessageDeflate: false });
    socket.on('open', () => socket.send(`{"protocol":"json","version":1}${RS}`));
    socket.once('message', (data: Buffer) => {
      if (data.toString() !== `{}${RS}`) reject(new Error(`handshake refused: ${data.toString()}`));
      else resolve(socket);
    });
    socket.on('error', reject);
  });
}

/** A tradehub node for a profile script: pinned to core 0, in-memory, quiet, with the interop hub. */
export interface ProfiledServer {
  pid: number;
  port: number;
  /** `http://127.0.0.1:PORT` */
  base: string;
  stop(): Promise<void>;
}

/**
 * Starts `mainJs` (default: this checkout's server; another build to compare with) under
 * `taskset -c 0` with extra node flags (e.g. `--cpu-prof`), and waits until it answers.
 */
export async function startProfiledServer(mainJs: string | undefined, nodeFlags: readonly string[] = []): Promise<ProfiledServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tradehub-profile-'));
  const main = mainJs ?? fileURLToPath(new URL('../../../server/dist/cli/main.js', import.meta.url));
  const server = spawn('taskset', ['-c', '0', process.execPath, ...nodeFlags, main], {
    env: {
      ...process.env, PORT: String(port), HOST: '127.0.0.1', TRADEHUB_SIMULATOR: 'off', LOG_LEVEL: 'warn',
      TRADEHUB_DATA_DIR: dataDir, REDIS_URL: '', TRADEHUB_INTEROP_HUB: 'on',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForServer(base, server);
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: server.pid as number, port, base, stop };
}
