import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import { nextCall, officialClient } from './support/official-client.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';

describe('SignalR targets across two nodes through Redis (smoke)', () => {
  const prefix = uniqueKeyPrefix();
  let nodeA: RunningTradehub;
  let nodeB: RunningTradehub;
  const open: HubConnection[] = [];
  before(async () => {
    nodeA = await startTradehub({ redis: { url: SHARED_REDIS_URL, keyPrefix: prefix } });
    nodeB = await startTradehub({ redis: { url: SHARED_REDIS_URL, keyPrefix: prefix } });
  });
  after(async () => {
    await Promise.all(open.map((c) => c.stop()));
    await nodeA.close();
    await nodeB.close();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  async function connect(node: RunningTradehub): Promise<HubConnection> {
    const connection = officialClient(`${node.baseUrl}/testhub`);
    await connection.start();
    open.push(connection);
    return connection;
  }

  it('SendToAll and groups reach connections on both nodes', async () => {
    const a = await connect(nodeA);
    const b = await connect(nodeB);
    const both = [nextCall(a, 'Message'), nextCall(b, 'Message')];
    await a.invoke('SendToAll', 'hello');
    assert.deepEqual(await Promise.all(both), [['hello'], ['hello']]);
    await b.invoke('JoinGroup', 'g1');
    const groupMessage = nextCall(b, 'GroupMessage');
    await a.invoke('SendToGroup', 'g1', 'to g1');
    assert.deepEqual(await groupMessage, ['g1', 'to g1']);
    // A connection on node A is added to a group by id from node B's side.
    const idOfA = await a.invoke('GetConnectionId') as string;
    await nodeB.app.interopHub.groups.add(idOfA, 'g2');
    const onA = nextCall(a, 'GroupMessage');
    await nodeB.app.interopHub.clients.group('g2').send('GroupMessage', 'g2', 'cross');
    assert.deepEqual(await onA, ['g2', 'cross']);
    const direct = nextCall(a, 'Message');
    await nodeB.app.interopHub.clients.client(idOfA).send('Message', 'direct');
    assert.deepEqual(await direct, ['direct']);
  });
});
