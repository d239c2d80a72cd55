import assert from 'node:assert/strict';
import { Subject, type HubConnection } from '@microsoft/signalr';
import type { SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { nextCall, nextClose, officialClient } from './support/official-client.js';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { RawHubSocket, RS } from './support/raw-socket.js';
import { SHARED_REDIS_URL } from './support/redis-server.js';
import { NodeGroup } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

describe('MessagePack hub protocol with the official client', () => {
  let server: RunningInteropServer;
  const open: HubConnection[] = [];
  before(async () => {
    server = await startInteropServer();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((connection) => connection.stop()));
  });
  after(async () => {
    await server.close();
  });

  async function connect(): Promise<HubConnection> {
    const connection = officialClient(server.hubUrl, { messagePack: true });
    open.push(connection);
    await connection.start();
    return connection;
  }

  it('echoes values of every MessagePack kind', async () => {
    const connection = await connect();
    for (const value of [null, true, 0, -1, 2 ** 40, 1.5, 'text', '\u001e and ünïcode', [1, [2, 'x']], { a: { b: [null] } }]) {
      assert.deepEqual(await connection.invoke('Echo', value), value);
    }
    const bytes = new Uint8Array([0, 1, 254, 255]);
    assert.deepEqual(await connection.invoke('Echo', bytes), bytes);
    const when = new Date(1_795_443_306_329);
    assert.deepEqual(await connection.invoke('Echo', when), when);
    assert.deepEqual(await connection.invoke('EchoMany', 1, 'two', null), [1, 'two', null]);
  });

  it('carries server-to-client invocations, groups, errors and completions without a result', async () => {
    const connection = await connect();
    const message = nextCall(connection, 'Message');
    await connection.invoke('InvokeWithString', 'packed');
    assert.deepEqual(await message, ['packed']);
    await connection.invoke('JoinGroup', 'mp');
    const group = nextCall(connection, 'GroupMessage');
    await connection.send('SendToGroup', 'mp', 'to the group');
    assert.deepEqual(await group, ['mp', 'to the group']);
    assert.equal(await connection.invoke('Delay', 10), undefined);
    await assert.rejects(connection.invoke('ThrowHubException', 'told you'), /HubException: told you$/);
    await assert.rejects(connection.invoke('Nope'), /HubException: Method does not exist\.$/);
  });

  it('streams both ways and answers client results', async () => {
    const connection = await connect();
    const items: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      connection.stream('Counter', 5, 0).subscribe({ next: (item) => items.push(item), complete: resolve, error: reject });
    });
    assert.deepEqual(items, [0, 1, 2, 3, 4]);
    const numbers = new Subject<number>();
    const sum = connection.invoke('SumStream', numbers);
    for (const n of [1, 2, 3.5]) numbers.next(n);
    numbers.complete();
    assert.equal(await sum, 6.5);
    connection.on('GetValue', () => ({ packed: true }));
    assert.deepEqual(await connection.invoke('GetClientResult', 'GetValue'), { packed: true });
  });

  it('a JSON client and a MessagePack client receive the same broadcast', async () => {
    const packed = await connect();
    const json = officialClient(server.hubUrl);
    open.push(json);
    await json.start();
    const both = [nextCall(packed, 'Message'), nextCall(json, 'Message')];
    await json.invoke('SendToAll', 'to every protocol');
    assert.deepEqual(await Promise.all(both), [['to every protocol'], ['to every protocol']]);
  });

  it('closes a connection whose message is not MessagePack, with the reason', async () => {
    const socket = await RawHubSocket.open(server.hubUrl);
    try {
      socket.send(JSON.stringify({ protocol: 'messagepack', version: 1 }) + RS);
      assert.equal(await socket.nextText(), `{}${RS}`);
      // A length prefix of 3 followed by bytes that are not a MessagePack array.
      socket.sendBinary(new Uint8Array([3, 0xc1, 0xc1, 0xc1]));
      const frame = await socket.next();
      assert.equal(frame.isBinary, true);
      assert.ok(frame.data.toString('latin1').includes('Connection closed with an error. InvalidDataException: Error reading MessagePack.'));
      await socket.waitClosed();
    } finally {
      socket.close();
    }
  });

  it('closes an oversized MessagePack message with the size error', async () => {
    const connection = await connect();
    const closed = nextClose(connection);
    void connection.invoke('Echo', 'x'.repeat(40_000)).catch(() => undefined);
    const error = await closed;
    assert.match(String(error?.message), /The maximum message size of 32768B was exceeded\./);
  });
});

describe('the trade hub over MessagePack', () => {
  let group: NodeGroup;
  before(async () => {
    group = await NodeGroup.start(1);
  });
  after(async () => {
    await group.close();
  });

  it('delivers snapshots and events to a MessagePack subscriber from a JSON publisher', async () => {
    const reader = await group.trade(0, 'demo-reader', 'demo-reader-secret', { messagePack: true });
    const publisher = await group.trade(0, 'demo-publisher', 'demo-publisher-secret');
    const received: TradeEnvelope[] = [];
    reader.on('OnEvent', (envelope: TradeEnvelope) => received.push(envelope));
    const [result] = await reader.invoke('Subscribe', ['platforms/demo/ticks/GBPUSD']) as SubscribeResult[];
    assert.equal(result?.status, 'snapshot');
    const tick = { symbol: 'GBPUSD', bid: 1.2701, ask: 1.2703, time: 1_795_443_306_329 };
    await publisher.invoke('Publish', [{ type: 'tick', platformId: 'demo', data: tick }]);
    await waitUntil(() => received.length > 0, 'the event');
    assert.equal(received.length, 1);
    assert.deepEqual(received[0]?.data, tick);
    assert.equal(received[0]?.seq, 1);
  });
});

describe('MessagePack values across nodes', () => {
  let group: NodeGroup;
  before(async () => {
    group = await NodeGroup.start(2, SHARED_REDIS_URL, { interopHub: true });
  });
  after(async () => {
    await group.close();
  });

  it('bytes and dates sent to one connection reach a MessagePack client on another node intact', async () => {
    const receiver = await group.interop(1, { messagePack: true });
    const idOfReceiver = await receiver.invoke('GetConnectionId') as string;
    const values = [new Uint8Array([1, 2, 3]), new Date(1_795_443_306_329)];
    const received = nextCall(receiver, 'Values');
    await group.interopEndpoint(0).clients.client(idOfReceiver).send('Values', ...values);
    assert.deepEqual(await received, values);
  });
});
