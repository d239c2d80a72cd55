import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { HttpTransportType } from '@microsoft/signalr';
import { WebSocket } from 'ws';
import { Topics, type ServerInfo } from '@tradehub/shared';
import { ClientPool, PUBLISHER, READER, tradeEvents } from './support/client-fixtures.js';
import { HubProcess } from './support/hub-process.js';
import { NginxProcess, NGINX_PATH, nginxInstalled, renderTradehubConf } from './support/nginx.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { TradeClient } from './support/trade-helpers.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

const NODE_IDS = ['node-a', 'node-b'] as const;
const TRANSPORTS = [
  ['WebSockets', HttpTransportType.WebSockets],
  ['ServerSentEvents', HttpTransportType.ServerSentEvents],
  ['LongPolling', HttpTransportType.LongPolling],
] as const;

/** The status nginx answers a WebSocket upgrade with: 101 when it opened (then closed at once). */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      resolve(response.statusCode ?? 0);
    });
    socket.once('error', reject);
  });
}

describe('deployment: deploy/nginx/tradehub.conf in front of two hub nodes sharing Redis', function () {
  this.timeout(30_000);
  const keyPrefix = uniqueKeyPrefix();
  const nodes: HubProcess[] = [];
  const clients: TradeClient[] = [];
  const pool = new ClientPool();
  let nginx: NginxProcess | undefined;
  let readerToken: string;
  let publisherToken: string;
  let sequence = 0;

  before(async function () {
    if (!nginxInstalled()) {
      console.warn(`    skipped: nginx is not at ${NGINX_PATH} (apt-get install nginx, or set NGINX_PATH; .ci/run installs it)`);
      this.skip();
    }
    // As in production: the nodes share one signing secret, so a token of one works on the other.
    const env = { REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix, TRADEHUB_JWT_SECRET: randomBytes(32).toString('hex') };
    // One after the other, so that each started node is in `nodes` (and disposed) even if the next fails.
    for (const id of NODE_IDS) nodes.push(await HubProcess.start({ ...env, NODE_ID: id }));
    const [a, b] = nodes.map((node) => new URL(node.baseUrl).host) as [string, string];
    nginx = await NginxProcess.start((port) => renderTradehubConf([a, b], port));
    readerToken = await clientToken(nginx.baseUrl, READER.clientId, READER.clientSecret);
    publisherToken = await clientToken(nginx.baseUrl, PUBLISHER.clientId, PUBLISHER.clientSecret);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
    await pool.closeAll();
  });
  after(async () => {
    await nginx?.dispose();
    await Promise.all(nodes.map((node) => node.dispose()));
    await deleteKeys(SHARED_REDIS_URL, keyPrefix);
  });

  const proxy = (): NginxProcess => {
    if (!nginx) throw new Error('nginx did not start');
    return nginx;
  };
  const hubThroughNginx = (): string => `${proxy().baseUrl}/hubs/trade`;

  async function connect(url: string, token: string, transport: HttpTransportType, skipNegotiation = false): Promise<TradeClient> {
    const client = await TradeClient.connect(url, token, { transport, skipNegotiation });
    clients.push(client);
    return client;
  }

  async function nodeOf(client: TradeClient): Promise<string> {
    return ((await client.connection.invoke('GetServerInfo')) as ServerInfo).nodeId;
  }

  /** A publisher connected straight to the node that is not `nodeId`. */
  async function publisherBeside(nodeId: string): Promise<TradeClient> {
    const other = NODE_IDS.indexOf(nodeId as (typeof NODE_IDS)[number]) === 0 ? nodes[1] : nodes[0];
    assert.ok(other, `a node beside ${nodeId}`);
    return connect(other.tradeHubUrl, publisherToken, HttpTransportType.WebSockets);
  }

  const freshAccount = (): string => String(7_000 + (++sequence));

  it('passes WebSockets, Server-Sent Events and long polling to the nodes; events published on the other node arrive through Redis', async () => {
    for (const [name, transport] of TRANSPORTS) {
      const login = freshAccount();
      const topic = Topics.account('demo', login);
      const reader = await connect(hubThroughNginx(), readerToken, transport);
      const nodeId = await nodeOf(reader);
      assert.ok(NODE_IDS.includes(nodeId as (typeof NODE_IDS)[number]), `${name}: served by ${nodeId}`);
      await reader.subscribeOne(topic);
      const publisher = await publisherBeside(nodeId);
      await publisher.publish([tradeEvents.account(login, 1_000, `${name}-1`)]);
      const [event] = await reader.waitForEvents(1, topic);
      assert.equal(event?.id, `${name}-1`, `${name}: the event published on the other node`);
    }
  });

  it('spreads connections over both nodes, and a publisher through nginx reaches subscribers on both', async () => {
    const login = freshAccount();
    const topic = Topics.account('demo', login);
    const readers = new Map<string, TradeClient[]>();
    // Each connection negotiates afresh and gets a random affinity key: 24 tries miss a node with probability 2^-23.
    for (let attempt = 0; attempt < 24 && readers.size < 2; attempt++) {
      const [, transport] = TRANSPORTS[attempt % TRANSPORTS.length] as (typeof TRANSPORTS)[number];
      const reader = await connect(hubThroughNginx(), readerToken, transport);
      const nodeId = await nodeOf(reader);
      readers.set(nodeId, [...(readers.get(nodeId) ?? []), reader]);
    }
    assert.deepEqual([...readers.keys()].sort(), [...NODE_IDS], 'connections through nginx reach both nodes');
    const subscribers = [...readers.values()].flat();
    for (const reader of subscribers) await reader.subscribeOne(topic);
    const publisher = await connect(hubThroughNginx(), publisherToken, HttpTransportType.LongPolling);
    await publisher.publish([tradeEvents.account(login, 2_000, 'to-both')]);
    for (const reader of subscribers) assert.equal((await reader.waitForEvents(1, topic))[0]?.id, 'to-both');
  });

  it('carries the typed client @tradehub/client (long polling, which negotiates) through nginx', async () => {
    const login = freshAccount();
    const topic = Topics.account('demo', login);
    const reader = await pool.connect({ url: proxy().baseUrl, credentials: READER, transport: 'longPolling' });
    const stream = reader.events(topic);
    const received: (string | undefined)[] = [];
    const reading = (async () => {
      for await (const item of stream) {
        if (item.kind !== 'event') continue;
        received.push(item.event.id);
        break;
      }
    })();
    await waitUntil(() => stream.started, 'the subscription through nginx');
    const [first] = nodes;
    assert.ok(first);
    const publisher = await connect(first.tradeHubUrl, publisherToken, HttpTransportType.WebSockets);
    await publisher.publish([tradeEvents.account(login, 4_000, 'typed-1')]);
    await reading;
    assert.deepEqual(received, ['typed-1']);
  });

  it('passes Server-Sent Events unbuffered: each event arrives before the next is published', async () => {
    const login = freshAccount();
    const topic = Topics.account('demo', login);
    const reader = await connect(hubThroughNginx(), readerToken, HttpTransportType.ServerSentEvents);
    await reader.subscribeOne(topic);
    const publisher = await publisherBeside(await nodeOf(reader));
    for (let n = 1; n <= 5; n++) {
      await publisher.publish([tradeEvents.account(login, 1_000 + n, `sse-${n}`)]);
      // Small events: a buffering proxy would hold them until a buffer filled or the stream ended.
      await waitUntil(() => reader.eventsOf(topic).length === n, `event sse-${n} through nginx`, 2_000);
    }
    assert.deepEqual(reader.eventsOf(topic).map((event) => event.id), ['sse-1', 'sse-2', 'sse-3', 'sse-4', 'sse-5']);
  });

  it('needs no affinity for WebSockets with skipNegotiation', async () => {
    const login = freshAccount();
    const topic = Topics.account('demo', login);
    const reader = await connect(hubThroughNginx(), readerToken, HttpTransportType.WebSockets, true);
    await reader.subscribeOne(topic);
    const publisher = await publisherBeside(await nodeOf(reader));
    await publisher.publish([tradeEvents.account(login, 3_000, 'skip-1')]);
    assert.equal((await reader.waitForEvents(1, topic))[0]?.id, 'skip-1');
  });

  it('sets the affinity cookie on a hub request without one, and only there', async () => {
    const negotiate = (cookie?: string): Promise<Response> => fetch(`${hubThroughNginx()}/negotiate?negotiateVersion=1`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${readerToken}`, ...(cookie ? { Cookie: cookie } : {}) },
    });
    const first = await negotiate();
    assert.equal(first.status, 200);
    assert.match(first.headers.get('set-cookie') ?? '', /^tradehub_affinity=[0-9a-f]{32}; Path=\/hubs\/; HttpOnly; SameSite=Lax$/);
    const again = await negotiate('tradehub_affinity=kept');
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('set-cookie'), null, 'a client with the cookie keeps it');
    const health = await fetch(`${proxy().baseUrl}/health/live`);
    assert.equal(health.headers.get('set-cookie'), null, 'requests outside /hubs/ need no affinity');
  });

  it('sends a negotiated connection to the node that negotiated it only by the affinity cookie', async () => {
    const cookie = 'tradehub_affinity=first';
    /** Negotiates with `cookie`, then opens the WebSocket of that connection with `upgradeCookie`. */
    async function upgradeAfterNegotiate(upgradeCookie: string): Promise<number> {
      const response = await fetch(`${hubThroughNginx()}/negotiate?negotiateVersion=1`, {
        method: 'POST', headers: { Authorization: `Bearer ${readerToken}`, Cookie: cookie },
      });
      const { connectionToken } = (await response.json()) as { connectionToken: string };
      return upgradeStatus(`${hubThroughNginx().replace(/^http/, 'ws')}?id=${encodeURIComponent(connectionToken)}`, {
        Authorization: `Bearer ${readerToken}`, Cookie: upgradeCookie,
      });
    }
    assert.equal(await upgradeAfterNegotiate(cookie), 101, 'the same cookie reaches the node that knows the connection');
    // Another key hashes to the other node about every second try: there the connection is unknown.
    const statuses: number[] = [];
    for (let n = 0; n < 24 && !statuses.includes(404); n++) statuses.push(await upgradeAfterNegotiate(`tradehub_affinity=other-${n}`));
    assert.ok(statuses.includes(404), `a WebSocket after negotiate fails on the other node: ${statuses.join(', ')}`);
    assert.ok(statuses.every((status) => status === 101 || status === 404), `only 101 (same node) or 404 (other node): ${statuses.join(', ')}`);
  });

});

describe('deployment: login limits behind nginx count the client address (trustProxy)', function () {
  this.timeout(20_000);
  let node: RunningTradehub | undefined;
  let nginx: NginxProcess | undefined;

  before(async function () {
    if (!nginxInstalled()) this.skip();
    node = await startTradehub({
      // The test's clients and nginx are all on loopback: here loopback stands for nginx's address.
      config: (base) => ({ ...base, trustProxy: ['loopback'], auth: { ...base.auth, login: { ...base.auth.login, maxFailuresPerAddress: 3 } } }),
    });
    const address = new URL(node.baseUrl).host;
    nginx = await NginxProcess.start((port) => renderTradehubConf([address, address], port));
  });
  after(async () => {
    await nginx?.dispose();
    await node?.close();
  });

  /** A client-credentials login through nginx by a client at `address` (X-Forwarded-For, which nginx extends). */
  async function login(address: string, clientId: string, secret: string): Promise<number> {
    if (!nginx) throw new Error('nginx did not start');
    const response = await fetch(`${nginx.baseUrl}/connect/token`, {
      method: 'POST',
      headers: { 'X-Forwarded-For': address },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
    });
    await response.arrayBuffer();
    return response.status;
  }

  it('blocks the address that failed too often, not every client behind the proxy', async () => {
    const [attacker, client] = ['198.51.100.9', '203.0.113.7'];
    const statuses: number[] = [];
    for (let n = 0; n < 4; n++) statuses.push(await login(attacker, `guess-${n}`, 'wrong'));
    assert.deepEqual(statuses, [401, 401, 401, 429], 'the fourth failure from one address is refused');
    assert.equal(await login(attacker, READER.clientId, READER.clientSecret), 429, 'the address stays blocked');
    assert.equal(await login(client, READER.clientId, READER.clientSecret), 200, 'another client through the same proxy signs in');
  });
});
