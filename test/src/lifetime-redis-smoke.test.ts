import assert from 'node:assert/strict';
import { nextCall } from './support/official-client.js';
import { SHARED_REDIS_URL } from './support/redis-server.js';
import { NodeGroup } from './support/tradehub-app.js';

describe('SignalR targets across two nodes through Redis (smoke)', () => {
  let group: NodeGroup;
  before(async () => {
    group = await NodeGroup.start(2, SHARED_REDIS_URL, { interopHub: true });
  });
  after(async () => {
    await group.close();
  });

  it('SendToAll and groups reach connections on both nodes', async () => {
    const nodeB = group.node(1);
    const a = await group.interop(0);
    const b = await group.interop(1);
    const both = [nextCall(a, 'Message'), nextCall(b, 'Message')];
    await a.invoke('SendToAll', 'hello');
    assert.deepEqual(await Promise.all(both), [['hello'], ['hello']]);
    await b.invoke('JoinGroup', 'g1');
    const groupMessage = nextCall(b, 'GroupMessage');
    await a.invoke('SendToGroup', 'g1', 'to g1');
    assert.deepEqual(await groupMessage, ['g1', 'to g1']);
    // A connection on node A is added to a group by id from node B's side.
    const idOfA = await a.invoke('GetConnectionId') as string;
    await group.interopEndpoint(1).groups.add(idOfA, 'g2');
    const onA = nextCall(a, 'GroupMessage');
    await group.interopEndpoint(1).clients.group('g2').send('GroupMessage', 'g2', 'cross');
    assert.deepEqual(await onA, ['g2', 'cross']);
    const direct = nextCall(a, 'Message');
    await group.interopEndpoint(1).clients.client(idOfA).send('Message', 'direct');
    assert.deepEqual(await direct, ['direct']);
  });

  it('applies the group limits of the node that has the connection, to adds from another node too', async () => {
    const a = await group.interop(0);
    const idOfA = await a.invoke('GetConnectionId') as string;
    const fromB = group.interopEndpoint(1).groups;
    await assert.rejects(fromB.add(idOfA, 'n'.repeat(257)), { name: 'HubException', message: 'Group names are at most 256 characters long.' });
    for (let index = 0; index < 100; index++) await fromB.add(idOfA, `limit-${index}`);
    await assert.rejects(fromB.add(idOfA, 'limit-100'), { name: 'HubException', message: 'A connection may be in at most 100 groups.' });
    await assert.rejects(a.invoke('JoinGroup', 'limit-101'), /HubException: A connection may be in at most 100 groups\.$/);
  });
});
