/**
 * Server memory per idle authenticated trade-hub WebSocket (not part of npm test): starts
 * tradehub pinned to core 0, opens N connections (each with a demo-reader token, JSON
 * handshake, spread over source addresses 127.0.0.2, 127.0.0.3, ...) and reports the growth of
 * the server's RSS (from /proc) divided by N.
 *
 *   taskset -c 1 node bench/dist/profile/idle-memory.js [connections=10000]
 *
 * Loopback only; bounded in connections (20,000) and time (2 minutes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../servers.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

const RS = '\x1e';
const PER_SOURCE_ADDRESS = 5000;
const CONCURRENT_CONNECTS = 200;
const DEADLINE_MS = 120_000;

async function main(): Promise<void> {
  const connections = Math.min(Number(process.argv[2] ?? 10_000), 20_000);
  const startedAt = Date.now();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'idle-memory-'));
  // IDLE_MEMORY_MAIN: another build to measure (e.g. the commit before an optimisation).
  const mainJs = process.env.IDLE_MEMORY_MAIN ?? fileURLToPath(new URL('../../../server/dist/cli/main.js', import.meta.url));
  const server = spawn('taskset', ['-c', '0', process.execPath, mainJs], {
    env: {
      ...process.env, PORT: String(port), HOST: '127.0.0.1', TRADEHUB_SIMULATOR: 'off', LOG_LEVEL: 'warn',
      TRADEHUB_DATA_DIR: dataDir, REDIS_URL: '',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const sockets: WebSocket[] = [];
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForServer(base, server);
    const token = await readerToken(base);
    const url = `ws://127.0.0.1:${port}/hubs/trade?access_token=${encodeURIComponent(token)}`;
    // A few connections first, so that what every connection shares (code, caches) is in the baseline.
    for (let index = 0; index < 20; index++) sockets.push(await openIdle(url, index));
    await settle();
    const before = rssBytes(server.pid as number);
    for (let index = 20; index < connections + 20 && Date.now() - startedAt < DEADLINE_MS; index += CONCURRENT_CONNECTS) {
      const batch = Array.from({ length: Math.min(CONCURRENT_CONNECTS, connections + 20 - index) }, (_, offset) => openIdle(url, index + offset));
      sockets.push(...await Promise.all(batch));
    }
    const opened = sockets.length - 20;
    await settle();
    const after = rssBytes(server.pid as number);
    console.log(`idle trade-hub WebSockets: ${opened}; server RSS ${(before / 2 ** 20).toFixed(1)} MiB -> ${(after / 2 ** 20).toFixed(1)} MiB; `
      + `${((after - before) / opened / 1024).toFixed(2)} KiB per connection`);
  } finally {
    for (const socket of sockets) socket.terminate();
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5000));
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error('no VmRSS');
  return Number(match[1]) * 1024;
}

async function readerToken(base: string): Promise<string> {
  const response = await fetch(`${base}/connect/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-reader', client_secret: 'demo-reader-secret' }),
  });
  const body = await response.json() as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${response.status}`);
  return body.access_token;
}

function openIdle(url: string, index: number): Promise<WebSocket> {
  const localAddress = `127.0.0.${2 + Math.floor(index / PER_SOURCE_ADDRESS)}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { localAddress });
    socket.on('open', () => socket.send(`{"protocol":"json","version":1}${RS}`));
    socket.once('message', (data: Buffer) => {
      if (data.toString() !== `{}${RS}`) reject(new Error(`handshake refused: ${data.toString()}`));
      else resolve(socket);
    });
    socket.on('error', reject);
  });
}

async function waitForServer(base: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
    const up = await fetch(`${base}/health`).then(() => true, () => false);
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('server did not start');
}

await main();
