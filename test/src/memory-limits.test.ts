import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { HubConnection } from '@microsoft/signalr';
import { INTEROP_HUB_PATH, TRADE_HUB_PATH, Topics } from '@tradehub/shared';
import { HubProcess } from './support/hub-process.js';
import { officialClient } from './support/official-client.js';
import { RawWebSocket } from './support/raw-websocket.js';
import { clientToken } from './support/tradehub-app.js';
import { DEMO_READER } from './support/auth-helpers.js';
import { waitUntil } from './support/wait.js';

const MiB = 1024 * 1024;
const RS = '\x1e';
/** What any one attack below may add to the server's resident memory. */
const GROWTH_BOUND = 64 * MiB;

/**
 * Attacks found by an outside test, each from one client, against the product in a process of its
 * own (interop hub on), with its resident memory read from /proc. Before the limits, each grew it
 * by hundreds of MiB; now each is refused, paused or closed with a documented error.
 */
describe('memory per connection (a tradehub process under attack)', function () {
  this.timeout(60_000);
  let node: HubProcess;
  const connections: HubConnection[] = [];
  const sockets: RawWebSocket[] = [];

  before(async () => {
    node = await HubProcess.start({ TRADEHUB_INTEROP_HUB: 'on' });
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.stop()));
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  after(async () => {
    await node?.dispose();
  });

  function residentBytes(): number {
    const status = readFileSync(`/proc/${node.child.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (!match?.[1]) throw new Error('no VmRSS in /proc/<pid>/status');
    return Number(match[1]) * 1024;
  }

  function assertGrowth(before: number, what: string): void {
    const growth = residentBytes() - before;
    if (process.env.MEMORY_TEST_REPORT === "1") console.log(`      ${what}: +${(growth / MiB).toFixed(1)} MiB`);
    assert.ok(growth < GROWTH_BOUND, `${what}: resident memory grew by ${(growth / MiB).toFixed(1)} MiB (bound ${GROWTH_BOUND / MiB} MiB)`);
  }

  async function gauge(name: string): Promise<number> {
    const text = await (await fetch(`${node.baseUrl}/metrics`)).text();
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    return match?.[1] ? Number(match[1]) : 0;
  }

  async function rawHubSocket(path: string): Promise<RawWebSocket> {
    const socket = await RawWebSocket.open(`${node.baseUrl}${path}`);
    sockets.push(socket);
    await socket.write(RawWebSocket.frame(Buffer.from(`{"protocol":"json","version":1}${RS}`)));
    await waitUntil(() => socket.texts.includes(`{}${RS}`), 'the handshake answer');
    return socket;
  }

  it('closes with 1009 a WebSocket whose frame is larger than a message may be, before holding it', async () => {
    // Worst case now: a frame is at most maximumReceiveMessageSize + webSocketFrameAllowanceBytes =
    // 32 KiB + 224 KiB = 256 KiB, held until complete (or the client time-out): 100 sockets × 256 KiB
    // = 25 MiB. Before: 100 × 4 MiB frames, one byte short, held 400 MiB.
    const before = residentBytes();
    // The largest frames still taken, one byte short, on 100 sockets: held, within the bound.
    const largest = 256 * 1024;
    const almost = Buffer.alloc(largest - 1, 0x61);
    const holders = await Promise.all(Array.from({ length: 100 }, () => RawWebSocket.open(`${node.baseUrl}${INTEROP_HUB_PATH}`)));
    sockets.push(...holders);
    for (const socket of holders) assert.equal(await socket.write(Buffer.concat([RawWebSocket.frameHeader(largest), almost])), true);
    // The server shows nothing for frames it waits on: its memory shows that it holds them (most of the 25 MiB).
    await waitUntil(() => residentBytes() - before > 0.8 * 100 * largest, 'the server to hold the 100 unfinished frames');
    assertGrowth(before, '100 sockets holding 256 KiB frames one byte short');
    assert.ok(holders.every((socket) => socket.closeCode === undefined && !socket.ended), 'frames within the limit are waited for');
    for (const socket of holders) socket.destroy();
    // Measured from here: the held frames' memory need not go back to the system at once.
    const beforeAttack = residentBytes();
    const frameLength = 4 * MiB - 1;
    const payload = Buffer.alloc(frameLength - 1, 0x61);
    const attackers = await Promise.all(Array.from({ length: 100 }, () => RawWebSocket.open(`${node.baseUrl}${INTEROP_HUB_PATH}`)));
    sockets.push(...attackers);
    for (const socket of attackers) {
      void socket.write(RawWebSocket.frameHeader(frameLength)).then(() => socket.write(payload));
    }
    await waitUntil(() => attackers.every((socket) => socket.closeCode === 1009), 'every socket to be closed with 1009 (Message Too Big)', 20_000);
    assertGrowth(beforeAttack, '100 sockets sending 4 MiB frames');
    // The trade hub's WebSockets are bounded by its own limit too.
    const token = await clientToken(node.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const trade = await RawWebSocket.open(`${node.baseUrl}${TRADE_HUB_PATH}?access_token=${token}`);
    sockets.push(trade);
    await trade.write(RawWebSocket.frameHeader(frameLength));
    await waitUntil(() => trade.closeCode === 1009, 'the trade hub socket to be closed with 1009');
  });

  it('stops reading a connection whose client streams the hub method does not read, instead of buffering them', async () => {
    // Worst case now: 10 client streams × 10 items × 32 KB = 3.2 MB, plus one read's worth of held
    // messages (≤ 96 KiB) and the outbound buffer (≤ 1 MiB). Before: 10 streams × 1,000 items × 30 KB = 300 MB.
    const socket = await rawHubSocket(INTEROP_HUB_PATH);
    // The client reads nothing: the echoes back up, so StreamEcho stops reading its client streams.
    socket.socket.pause();
    const before = residentBytes();
    for (let stream = 0; stream < 10; stream++) {
      await socket.write(RawWebSocket.frame(Buffer.from(
        `{"type":4,"invocationId":"i${stream}","target":"StreamEcho","arguments":[],"streamIds":["s${stream}"]}${RS}`)));
    }
    const item = 'x'.repeat(30_000);
    let written = 0;
    const sending = (async () => {
      for (let stream = 0; stream < 10; stream++) {
        // One buffer per stream, written 1,000 times: the attacker holds no copies.
        const frame = RawWebSocket.frame(Buffer.from(`{"type":2,"invocationId":"s${stream}","item":"${item}"}${RS}`));
        for (let index = 0; index < 1_000; index++) {
          if (!(await socket.write(frame))) return;
          written++;
        }
      }
    })();
    await waitUntil(async () => (await gauge('tradehub_paused_connections')) === 1, 'the server to stop reading the connection', 20_000);
    const writtenWhenPaused = written;
    assertGrowth(before, 'client streams nobody reads');
    assert.equal(socket.ended, false, 'the connection stays open: the client is slowed down, not cut off');
    assert.ok(writtenWhenPaused < 10_000, `the client could not send all its items (${writtenWhenPaused} went out)`);
    socket.destroy();
    await sending;
    await waitUntil(async () => (await gauge('tradehub_paused_connections')) === 0, 'the closed connection to be no longer counted as paused');
  });

  it('refuses group names over 256 characters and more than 100 groups per connection', async () => {
    // Worst case now: 100 groups × 256 characters per connection. Before: 10,000 groups × 30 KB = 300 MB.
    const socket = await rawHubSocket(INTEROP_HUB_PATH);
    const before = residentBytes();
    const padding = 'g'.repeat(30_000);
    // Sent as fast as the server reads them; each name differs, as 10,000 groups would need.
    for (let index = 0; index < 10_000; index++) {
      await socket.write(RawWebSocket.frame(Buffer.from(
        `{"type":1,"invocationId":"${index}","target":"JoinGroup","arguments":["${index}-${padding}"]}${RS}`)));
    }
    const refusal = "An unexpected error occurred invoking 'JoinGroup' on the server. HubException: Group names are at most 256 characters long.";
    await waitUntil(() => socket.texts.split(refusal).length - 1 === 10_000, 'every join with a 30 KB name to be refused', 20_000);
    assertGrowth(before, '10,000 joins with 30 KB names');
    const connection = officialClient(`${node.baseUrl}${INTEROP_HUB_PATH}`);
    connections.push(connection);
    await connection.start();
    for (let index = 0; index < 100; index++) await connection.invoke('JoinGroup', `group-${index}`);
    await assert.rejects(connection.invoke('JoinGroup', 'group-100'), /HubException: A connection may be in at most 100 groups\.$/);
    // Joining a group it is in already is no new group.
    await connection.invoke('JoinGroup', 'group-0');
  });

  it('refuses topics past 1,000 per connection, each with an error, and subscribes the rest', async () => {
    // Worst case now: 1,000 topics × ~1.5 KiB per connection. Before: no limit (10,000 accepted).
    const token = await clientToken(node.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const connection = officialClient(`${node.baseUrl}${TRADE_HUB_PATH}`, { accessTokenFactory: () => token });
    connections.push(connection);
    await connection.start();
    const before = residentBytes();
    let subscribed = 0;
    const refusals = new Set<string>();
    for (let call = 0; call < 100; call++) {
      const topics = Array.from({ length: 100 }, (_, index) => Topics.ticks('demo', `S${call * 100 + index}`));
      const results = await connection.invoke<Array<{ status: string; error?: string }>>('Subscribe', topics);
      for (const result of results) {
        if (result.status === 'error') refusals.add(String(result.error));
        else subscribed++;
      }
    }
    assert.equal(subscribed, 1_000);
    assert.deepEqual([...refusals], ['A connection may be subscribed to at most 1000 topics; unsubscribe from some first.']);
    const [long] = await connection.invoke<Array<{ status: string; error?: string }>>('Subscribe', [`platforms/demo/ticks/${'x'.repeat(300)}`]);
    assert.deepEqual(long, { topic: `platforms/demo/ticks/${'x'.repeat(300)}`, status: 'error', error: 'Topic names are at most 256 characters long.' });
    assertGrowth(before, '10,000 topic subscriptions');
  });
});
