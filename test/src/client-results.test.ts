import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import { officialClient } from './support/official-client.js';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { SHARED_REDIS_URL } from './support/redis-server.js';
import { NodeGroup } from './support/tradehub-app.js';

const UNEXPECTED = "An unexpected error occurred invoking 'GetClientResult' on the server.";

describe('client results: the server asks a client for a value', () => {
  let server: RunningInteropServer;
  const open: HubConnection[] = [];
  before(async () => {
    server = await startInteropServer({ clientResultTimeoutMs: 500 });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((connection) => connection.stop()));
  });
  after(async () => {
    await server.close();
  });

  async function connect(): Promise<HubConnection> {
    const connection = officialClient(server.hubUrl);
    open.push(connection);
    await connection.start();
    return connection;
  }

  it("returns what the caller's handler returns, sync or async", async () => {
    const connection = await connect();
    connection.on('GetValue', () => ({ answer: 42 }));
    connection.on('GetLater', async () => {
      await new Promise((resolve) => setTimeout(resolve, 50)); // the subject: a handler that answers later
      return 'later';
    });
    assert.deepEqual(await connection.invoke('GetClientResult', 'GetValue'), { answer: 42 });
    assert.equal(await connection.invoke('GetClientResult', 'GetLater'), 'later');
  });

  it("passes the client's error on as a HubException", async () => {
    const connection = await connect();
    connection.on('Fails', () => {
      throw new Error('no value here');
    });
    await assert.rejects(connection.invoke('GetClientResult', 'Fails'), (error: Error) => {
      assert.equal(error.message, `${UNEXPECTED} HubException: Error: no value here`);
      return true;
    });
  });

  it("answers a missing handler with the official client's own error", async () => {
    const connection = await connect();
    await assert.rejects(connection.invoke('GetClientResult', 'NoSuchHandler'), (error: Error) => {
      assert.equal(error.message, `${UNEXPECTED} HubException: Client didn't provide a result.`);
      return true;
    });
  });

  it('times out when the client never answers', async () => {
    const connection = await connect();
    connection.on('Never', () => new Promise(() => undefined));
    await assert.rejects(connection.invoke('GetClientResult', 'Never'), (error: Error) => {
      assert.equal(error.message, UNEXPECTED);
      return true;
    });
    // The connection is still fine afterwards.
    assert.equal(await connection.invoke('Echo', 'still here'), 'still here');
  });

  it('asks another connection by id', async () => {
    const asker = await connect();
    const answerer = await connect();
    answerer.on('WhoAreYou', () => 'the answerer');
    assert.equal(await asker.invoke('GetClientResultFrom', answerer.connectionId, 'WhoAreYou'), 'the answerer');
    await assert.rejects(asker.invoke('GetClientResultFrom', 'no-such-connection', 'WhoAreYou'));
  });
});

describe('client results across nodes through Redis', () => {
  let group: NodeGroup;
  before(async () => {
    group = await NodeGroup.start(2, SHARED_REDIS_URL, { interopHub: true });
  });
  after(async () => {
    await group.close();
  });

  it('a connection on node A gets the result of a connection on node B, and its error', async () => {
    const asker = await group.interop(0);
    const answerer = await group.interop(1);
    answerer.on('WhereAreYou', () => 'on node B');
    answerer.on('Fails', () => {
      throw new Error('not today');
    });
    assert.equal(await asker.invoke('GetClientResultFrom', answerer.connectionId, 'WhereAreYou'), 'on node B');
    await assert.rejects(asker.invoke('GetClientResultFrom', answerer.connectionId, 'Fails'), (error: Error) => {
      assert.equal(error.message, "An unexpected error occurred invoking 'GetClientResultFrom' on the server. HubException: Error: not today");
      return true;
    });
  });
});
