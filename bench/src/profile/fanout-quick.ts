/**
 * Quick fan-out measurement for optimising the delivery hot path (not part of npm test, not
 * the full benchmark): a server pinned to core 0 (tradehub's interop hub, or a naive `ws`
 * loop that writes one frame per subscriber), N raw JSON WebSocket subscribers and one
 * publisher calling `SendToAll` with a bounded number of calls in flight, in this process
 * (run it pinned to core 1). Prints deliveries/s over the measured window.
 *
 *   taskset -c 1 node bench/dist/profile/fanout-quick.js [tradehub|naive|both] [subscribers=1000] [seconds=10] [--cpu-prof]
 *   taskset -c 1 node bench/dist/profile/fanout-quick.js [tradehub|naive|both] [subscribers] [seconds] --rate=50000
 *
 * With `--rate`, the publisher offers that many deliveries/s in total (rate / subscribers
 * SendToAll calls per second, not waiting for answers) and publish-to-receive latency is
 * reported (p50/p99/p99.9/max, HDR histogram).
 *
 * Loopback only; bounded in connections and time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../servers.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { WebSocket, WebSocketServer } from 'ws';

const RS = '\x1e';
const RS_CODE = 0x1e;
const PAYLOAD = JSON.stringify({ symbol: 'EURUSD', bid: 1.08512, ask: 1.08519, seq: 123456, at: 1764748800000 });
const IN_FLIGHT = 16;
const WARMUP_MS = 2000;

/** `baseline`: another build of tradehub, at FANOUT_BASELINE_MAIN (e.g. the commit before an optimisation). */
type ServerKind = 'tradehub' | 'naive' | 'baseline';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--naive-server') return runNaiveServer(Number(args[1]));
  const all: ServerKind[] = process.env.FANOUT_BASELINE_MAIN ? ['naive', 'baseline', 'tradehub'] : ['naive', 'tradehub'];
  const kinds: ServerKind[] = args[0] === 'both' || args[0] === undefined ? all : [args[0] as ServerKind];
  const subscribers = Math.min(Number(args[1] ?? 1000), 5000);
  const seconds = Math.min(Number(args[2] ?? 10), 60);
  const cpuProf = args.includes('--cpu-prof');
  const rateArgument = args.find((arg) => arg.startsWith('--rate='));
  const offered = rateArgument ? Math.min(Number(rateArgument.slice('--rate='.length)), 500_000) : undefined;
  const results: Record<string, number> = {};
  for (const kind of kinds) results[kind] = await measure(kind, subscribers, seconds, cpuProf, offered);
  if (results.naive && results.tradehub) {
    console.log(`ratio tradehub/naive: ${(results.tradehub / results.naive).toFixed(2)}`);
  }
  if (results.baseline && results.tradehub) {
    console.log(`ratio tradehub/baseline: ${(results.tradehub / results.baseline).toFixed(2)}`);
  }
}

/** The naive peer: one `ws.send` (one frame, one socket write) per subscriber per message. */
function runNaiveServer(port: number): void {
  const server = new WebSocketServer({ port, host: '127.0.0.1' });
  server.on('connection', (socket) => {
    let handshakeDone = false;
    socket.on('message', (data) => {
      const text = data.toString();
      for (const record of text.split(RS)) {
        if (record === '') continue;
        if (!handshakeDone) {
          handshakeDone = true;
          socket.send(`{}${RS}`);
          continue;
        }
        const message = JSON.parse(record) as { type: number; invocationId?: string; target?: string; arguments?: unknown[] };
        if (message.type !== 1 || message.target !== 'SendToAll') continue;
        const frame = JSON.stringify({ type: 1, target: 'Message', arguments: message.arguments }) + RS;
        for (const client of server.clients) if (client.readyState === WebSocket.OPEN) client.send(frame);
        if (message.invocationId) socket.send(JSON.stringify({ type: 3, invocationId: message.invocationId, result: null }) + RS);
      }
    });
  });
}

async function measure(kind: ServerKind, subscribers: number, seconds: number, cpuProf: boolean, offered: number | undefined): Promise<number> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'fanout-quick-'));
  const here = fileURLToPath(import.meta.url);
  const mainJs = kind === 'baseline'
    ? process.env.FANOUT_BASELINE_MAIN as string
    : fileURLToPath(new URL('../../../server/dist/cli/main.js', import.meta.url));
  const nodeArgs = kind !== 'naive'
    ? [...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', join(process.cwd(), 'profiles')] : []), mainJs]
    : [here, '--naive-server', String(port)];
  const server = spawn('taskset', ['-c', '0', process.execPath, ...nodeArgs], {
    env: {
      ...process.env, PORT: String(port), HOST: '127.0.0.1', TRADEHUB_SIMULATOR: 'off', TRADEHUB_INTEROP_HUB: 'on',
      LOG_LEVEL: 'warn', TRADEHUB_DATA_DIR: dataDir, REDIS_URL: '',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const sockets: WebSocket[] = [];
  try {
    await waitForPort(port, server);
    const url = `ws://127.0.0.1:${port}${kind === 'naive' ? '/' : '/testhub'}`;
    let delivered = 0;
    let measuring = false;
    const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
    const onDelivery = (sentAtMs: number | undefined): void => {
      delivered++;
      if (measuring && sentAtMs !== undefined) histogram.recordValue(Math.max(1, Math.round((performance.timeOrigin + performance.now() - sentAtMs) * 1000)));
    };
    for (let index = 0; index < subscribers; index += 50) {
      const batch = Array.from({ length: Math.min(50, subscribers - index) }, () => openSubscriber(url, onDelivery, offered !== undefined));
      sockets.push(...await Promise.all(batch));
    }
    if (offered !== undefined) {
      const rate = await measureLatency(url, sockets, subscribers, seconds, offered, histogram, (on) => { measuring = on; }, () => delivered);
      console.log(`${kind}: ${subscribers} subscribers, offered ${offered}/s, delivered ${Math.round(rate)}/s, latency ms `
        + `p50 ${(histogram.getValueAtPercentile(50) / 1000).toFixed(1)} p99 ${(histogram.getValueAtPercentile(99) / 1000).toFixed(1)} `
        + `p99.9 ${(histogram.getValueAtPercentile(99.9) / 1000).toFixed(1)} max ${(histogram.maxValue / 1000).toFixed(1)}`);
      return rate;
    }
    const publisher = await openPublisher(url);
    sockets.push(publisher.socket);
    const deadline = Date.now() + WARMUP_MS + seconds * 1000;
    const publishing = publisher.run(deadline);
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    const startCount = delivered;
    const startTime = process.hrtime.bigint();
    const startCpu = cpuSeconds(server.pid as number);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const elapsed = Number(process.hrtime.bigint() - startTime) / 1e9;
    const serverCpu = cpuSeconds(server.pid as number) - startCpu;
    const count = delivered - startCount;
    const rate = count / elapsed;
    await publishing;
    console.log(`${kind}: ${subscribers} subscribers, ${Math.round(rate)} deliveries/s, ${publisher.completed()} publishes, `
      + `server CPU ${Math.round((100 * serverCpu) / elapsed)}%, ${((serverCpu * 1e6) / Math.max(1, count)).toFixed(2)} CPU µs per delivery`);
    return rate;
  } finally {
    for (const socket of sockets) socket.terminate();
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** User + system CPU seconds of a process, from /proc (clock ticks of 100 Hz). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function countRecords(data: Buffer): number {
  let count = 0;
  for (let at = data.indexOf(RS_CODE); at !== -1; at = data.indexOf(RS_CODE, at + 1)) count++;
  return count;
}

/** Offers `offered` deliveries/s in total for `seconds` (after a warm-up) and returns what was delivered per second. */
async function measureLatency(
  url: string, sockets: WebSocket[], subscribers: number, seconds: number, offered: number,
  histogram: hdr.Histogram, setMeasuring: (on: boolean) => void, delivered: () => number,
): Promise<number> {
  const socket = new WebSocket(url);
  sockets.push(socket);
  await new Promise((resolve, reject) => { socket.on('open', resolve); socket.on('error', reject); });
  socket.send(`{"protocol":"json","version":1}${RS}`);
  await new Promise((resolve) => socket.once('message', resolve));
  const publishesPerSecond = offered / subscribers;
  const started = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    // Catch up to the schedule: timers are coarse, the offered rate is not.
    const due = Math.floor(((performance.now() - started) / 1000) * publishesPerSecond);
    for (; sent < due; sent++) {
      const payload = JSON.stringify({ symbol: 'EURUSD', bid: 1.08512, ask: 1.08519, t: performance.timeOrigin + performance.now() });
      socket.send(`{"type":1,"target":"SendToAll","arguments":[${JSON.stringify(payload)}]}${RS}`);
    }
  }, 5);
  try {
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    const startCount = delivered();
    const startTime = performance.now();
    setMeasuring(true);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    setMeasuring(false);
    return (delivered() - startCount) / ((performance.now() - startTime) / 1000);
  } finally {
    clearInterval(timer);
  }
}

const SENT_AT = /\\"t\\":([0-9.]+)/g;

function openSubscriber(url: string, onDelivery: (sentAtMs: number | undefined) => void, timed = false): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    let handshaken = false;
    socket.on('open', () => socket.send(`{"protocol":"json","version":1}${RS}`));
    socket.on('message', (data: Buffer) => {
      if (!handshaken) {
        handshaken = true;
        resolve(socket);
        return;
      }
      if (timed) {
        for (const match of data.toString().matchAll(SENT_AT)) onDelivery(Number(match[1]));
        return;
      }
      const records = countRecords(data);
      for (let index = 0; index < records; index++) onDelivery(undefined);
    });
    socket.on('error', reject);
  });
}

async function openPublisher(url: string): Promise<{ socket: WebSocket; run: (deadline: number) => Promise<void>; completed: () => number }> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => { socket.on('open', resolve); socket.on('error', reject); });
  socket.send(`{"protocol":"json","version":1}${RS}`);
  let handshaken = false;
  let inFlight = 0;
  let completed = 0;
  let nextId = 0;
  let deadline = 0;
  let finish: () => void = () => undefined;
  const publish = (): void => {
    while (inFlight < IN_FLIGHT && Date.now() < deadline) {
      inFlight++;
      socket.send(`{"type":1,"invocationId":"${nextId++}","target":"SendToAll","arguments":[${JSON.stringify(PAYLOAD)}]}${RS}`);
    }
    if (inFlight === 0 && Date.now() >= deadline) finish();
  };
  socket.on('message', (data: Buffer) => {
    if (!handshaken) { handshaken = true; return; }
    const text = data.toString();
    let at = text.indexOf('"type":3');
    while (at !== -1) {
      inFlight--;
      completed++;
      at = text.indexOf('"type":3', at + 1);
    }
    publish();
  });
  return {
    socket,
    completed: () => completed,
    run: (until) => new Promise<void>((resolve) => {
      deadline = until;
      finish = resolve;
      publish();
      // Bounded: the deadline ends it even when completions stop coming.
      setTimeout(resolve, until - Date.now() + 3000).unref();
    }),
  };
}

async function waitForPort(port: number, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const probe = new WebSocket(`ws://127.0.0.1:${port}/`);
      probe.on('open', () => { probe.terminate(); resolve(true); });
      probe.on('unexpected-response', () => { probe.terminate(); resolve(true); });
      probe.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('server did not start');
}

await main();
