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
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rssBytesOf } from '../driver/proc-stat.js';
import { freePort } from '../servers.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WebSocket } from 'ws';
import { openIdle, readerToken, waitForServer } from './profile-server.js';

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
    const before = rssBytesOf(server.pid as number);
    for (let index = 20; index < connections + 20 && Date.now() - startedAt < DEADLINE_MS; index += CONCURRENT_CONNECTS) {
      const batch = Array.from({ length: Math.min(CONCURRENT_CONNECTS, connections + 20 - index) }, (_, offset) => openIdle(url, index + offset));
      sockets.push(...await Promise.all(batch));
    }
    const opened = sockets.length - 20;
    await settle();
    const after = rssBytesOf(server.pid as number);
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


await main();
