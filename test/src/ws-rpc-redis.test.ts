import assert from 'node:assert/strict';
import { WsCloseCode } from '@tradehub/shared';
import { basic, DEMO_READER, postForm } from './support/auth-helpers.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { ev, seqs, TradeClient } from './support/trade-helpers.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';
import { WsRpcClient } from './support/ws-rpc-client.js';

/** Two nodes on the machine's Redis, under a key prefix of their own. */
describe('/ws across two nodes through Redis', function () {
  this.timeout(20_000);
  const keyPrefix = uniqueKeyPrefix();
  let A: RunningTradehub;
  let B: RunningTradehub;
  let publisher: TradeClient;
  const clients: WsRpcClient[] = [];

  before(async () => {
    A = await startTradehub({ redis: { url: SHARED_REDIS_URL, keyPrefix } });
    B = await startTradehub({ redis: { url: SHARED_REDIS_URL, keyPrefix } });
    publisher = await TradeClient.connect(A.tradeHubUrl, await clientToken(A.baseUrl, 'demo-publisher', 'demo-publisher-secret'));
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  after(async () => {
    await publisher?.stop();
    await A?.close();
    await B?.close();
    await deleteKeys(SHARED_REDIS_URL, keyPrefix);
  });

  it('a /ws subscriber on node B gets, in order, the events published on node A', async () => {
    const ws = await WsRpcClient.connect(B.baseUrl, await clientToken(A.baseUrl, DEMO_READER.id, DEMO_READER.secret));
    clients.push(ws);
    const topic = 'platforms/demo/accounts/1001';
    const [result] = await ws.call('subscribe', { topics: [topic] });
    assert.equal(result.status, 'snapshot');
    for (let i = 1; i <= 10; i++) await publisher.publish([ev.deal('1001', String(i))]);
    const received = await ws.waitForEvents(10, topic);
    assert.deepEqual(seqs(received), Array.from({ length: 10 }, (_, i) => result.seq + 1 + i));
    assert.deepEqual(received.map((event) => (event.data as { deal: string }).deal), Array.from({ length: 10 }, (_, i) => String(i + 1)));
  });

  it('a token revoked through node A closes its /ws socket on node B within 1 s', async () => {
    const token = await clientToken(A.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const ws = await WsRpcClient.connect(B.baseUrl, token);
    clients.push(ws);
    assert.equal((await ws.call('ping')).pong, true);
    const started = Date.now();
    const answer = await postForm(`${A.baseUrl}/connect/revocation`, { token }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
    assert.equal(answer.status, 200);
    const closure = await ws.closed(2_000);
    assert.equal(closure.code, WsCloseCode.TokenRevoked);
    assert.ok(closure.at - started < 1_000, `closed after ${closure.at - started} ms`);
  });
});
