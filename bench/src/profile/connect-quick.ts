/**
 * Authenticated connects per second and what each costs (not part of npm test): starts tradehub
 * pinned to core 0, opens N authenticated trade-hub WebSockets from core 1 (token in the query,
 * JSON handshake, a bounded number in flight) with the benchmark's lean probe (ws's client would
 * cost this one-core driver more than the server spends), and reports connects/s with the
 * server's and the driver's CPU time per connect, so a change to the upgrade path can be judged
 * by CPU even on a busy machine.
 *
 *   taskset -c 1 node bench/dist/profile/connect-quick.js [connections=5000] [inFlight=200] [trade|interop]
 *
 * `interop` connects to the interop hub without a token instead: the cost of a connect without
 * authentication or the trade hub's connect hook, for comparison.
 *
 * SERVER_NODE_OPTIONS adds node flags to the server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 * The core-speed probe printed with the figures tells a run made in one of this machine's slow
 * phases (core-speed/probe.ts) from a change that made connects dearer.
 * Loopback only; bounded in connections (20,000) and time (2 minutes).
 */
import type { Socket } from 'node:net';
import { probeCores } from '../core-speed/probe.js';
import { probeConnect, probeStepsFor } from '../driver/connect-probe.js';
import { cpuSecondsOf } from '../driver/proc-stat.js';
import { profileSourceAddress, readerToken, startProfiledServer } from './profile-server.js';

const DEADLINE_MS = 120_000;

async function main(): Promise<void> {
  const connections = Math.min(Number(process.argv[2] ?? 5000), 20_000);
  const inFlight = Math.max(1, Number(process.argv[3] ?? 200));
  const interop = process.argv[4] === 'interop';
  const nodeFlags = (process.env.SERVER_NODE_OPTIONS ?? '').split(' ').filter((flag) => flag !== '');
  // This machine's cores have slow phases: a run is only comparable with one whose probe is alike.
  const coresBefore = await probeCores(0, 1);
  const server = await startProfiledServer(process.env.CONNECT_QUICK_MAIN, nodeFlags);
  const { port, pid } = server;
  const sockets: Socket[] = [];
  try {
    const token = await readerToken(server.base);
    const { path, steps } = probeStepsFor(interop ? 'tradehub-interop-json' : 'tradehub-trade-json', token);
    const open = (index: number): Promise<Socket> => probeConnect({ port, path, steps, localAddress: profileSourceAddress(index), timeoutMs: 10_000 });
    for (let index = 0; index < 50; index++) sockets.push(await open(index));
    const serverCpuBefore = cpuSecondsOf(pid);
    const driverBefore = process.cpuUsage();
    const started = performance.now();
    let next = 50;
    const last = connections + 50;
    const worker = async (): Promise<void> => {
      while (next < last && performance.now() - started < DEADLINE_MS) sockets.push(await open(next++));
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const seconds = (performance.now() - started) / 1000;
    const opened = sockets.length - 50;
    const serverCpu = cpuSecondsOf(pid) - serverCpuBefore;
    const driver = process.cpuUsage(driverBefore);
    console.log(`${opened} authenticated connects in ${seconds.toFixed(2)} s: ${(opened / seconds).toFixed(0)}/s; `
      + `server CPU ${(serverCpu / opened * 1e6).toFixed(0)} µs/connect (${(serverCpu / seconds * 100).toFixed(0)}% of a core), `
      + `driver CPU ${((driver.user + driver.system) / opened).toFixed(0)} µs/connect; `
      + `core-speed probe before: core 0 ${coresBefore.serverMs?.toFixed(0) ?? 'n/a'} ms, core 1 ${coresBefore.generatorMs?.toFixed(0) ?? 'n/a'} ms`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await server.stop();
  }
}

await main();
