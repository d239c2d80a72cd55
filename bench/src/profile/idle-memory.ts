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
import { rssBytesOf } from '../driver/proc-stat.js';
import type { WebSocket } from 'ws';
import { openIdle, readerToken, startProfiledServer } from './profile-server.js';

const CONCURRENT_CONNECTS = 200;
const DEADLINE_MS = 120_000;

async function main(): Promise<void> {
  const connections = Math.min(Number(process.argv[2] ?? 10_000), 20_000);
  const startedAt = Date.now();
  // IDLE_MEMORY_MAIN: another build to measure (e.g. the commit before an optimisation).
  const server = await startProfiledServer(process.env.IDLE_MEMORY_MAIN);
  const { port } = server;
  const sockets: WebSocket[] = [];
  try {
    const token = await readerToken(server.base);
    const url = `ws://127.0.0.1:${port}/hubs/trade?access_token=${encodeURIComponent(token)}`;
    // A few connections first, so that what every connection shares (code, caches) is in the baseline.
    for (let index = 0; index < 20; index++) sockets.push(await openIdle(url, index));
    await settle();
    const before = rssBytesOf(server.pid);
    for (let index = 20; index < connections + 20 && Date.now() - startedAt < DEADLINE_MS; index += CONCURRENT_CONNECTS) {
      const batch = Array.from({ length: Math.min(CONCURRENT_CONNECTS, connections + 20 - index) }, (_, offset) => openIdle(url, index + offset));
      sockets.push(...await Promise.all(batch));
    }
    const opened = sockets.length - 20;
    await settle();
    const after = rssBytesOf(server.pid);
    console.log(`idle trade-hub WebSockets: ${opened}; server RSS ${(before / 2 ** 20).toFixed(1)} MiB -> ${(after / 2 ** 20).toFixed(1)} MiB; `
      + `${((after - before) / opened / 1024).toFixed(2)} KiB per connection`);
  } finally {
    for (const socket of sockets) socket.terminate();
    await server.stop();
  }
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5000));
}


await main();
