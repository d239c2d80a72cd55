import assert from 'node:assert/strict';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { RS } from './support/raw-socket.js';
import { waitUntil } from './support/wait.js';
import {
  assertEchoes, assertServerServes, frame, handshakeRequest, http, invocation, negotiate, refusedUpgrade,
  SocketTracker, stringField,
} from './support/protocol-helpers.js';

/** Ids are 16 random bytes in URL-safe base64, the length of ASP.NET's. */
const ID = /^[A-Za-z0-9_-]{22}$/;

const ALL_TRANSPORTS = [
  { transport: 'WebSockets', transferFormats: ['Text', 'Binary'] },
  { transport: 'ServerSentEvents', transferFormats: ['Text'] },
  { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
];

describe('negotiate and the connection endpoint', () => {
  let server: RunningInteropServer;
  const sockets = new SocketTracker();

  before(async () => {
    server = await startInteropServer();
  });
  afterEach(() => sockets.closeAll());
  after(async () => {
    sockets.closeAll();
    await server.close();
  });

  describe('POST {hub}/negotiate', () => {
    it('answers negotiateVersion=1 with an id, a separate token and the WebSockets transport', async () => {
      const answer = await negotiate(server.hubUrl, 'negotiateVersion=1');
      assert.equal(answer.status, 200);
      assert.match(answer.contentType, /^application\/json\b/);
      const connectionId = stringField(answer.body, 'connectionId');
      const connectionToken = stringField(answer.body, 'connectionToken');
      assert.match(connectionId, ID);
      assert.match(connectionToken, ID);
      assert.notEqual(connectionToken, connectionId);
      assert.deepEqual(answer.body, { connectionId, connectionToken, negotiateVersion: 1, availableTransports: ALL_TRANSPORTS });
    });

    it('answers a request without negotiateVersion with a version 0 body that has no connectionToken', async () => {
      const answer = await negotiate(server.hubUrl, '');
      assert.equal(answer.status, 200);
      const connectionId = stringField(answer.body, 'connectionId');
      assert.match(connectionId, ID);
      assert.equal('connectionToken' in answer.body, false);
      assert.deepEqual(answer.body, { connectionId, negotiateVersion: 0, availableTransports: ALL_TRANSPORTS });
    });

    it('answers negotiateVersion=5 with its own latest version, 1', async () => {
      const answer = await negotiate(server.hubUrl, 'negotiateVersion=5');
      assert.equal(answer.status, 200);
      assert.equal(answer.body.negotiateVersion, 1);
      assert.match(stringField(answer.body, 'connectionToken'), ID);
      assert.notEqual(answer.body.connectionToken, answer.body.connectionId);
    });

    it('treats an unreadable negotiateVersion as version 0', async () => {
      const answer = await negotiate(server.hubUrl, 'negotiateVersion=abc');
      assert.equal(answer.status, 200);
      assert.equal(answer.body.negotiateVersion, 0);
      assert.equal('connectionToken' in answer.body, false);
    });

    it('gives every negotiation a new id and token', async () => {
      const first = await negotiate(server.hubUrl);
      const second = await negotiate(server.hubUrl);
      assert.notEqual(first.body.connectionId, second.body.connectionId);
      assert.notEqual(first.body.connectionToken, second.body.connectionToken);
    });

    for (const method of ['GET', 'PUT', 'DELETE']) {
      it(`refuses ${method} with 405`, async () => {
        const answer = await http(`${server.hubUrl}/negotiate?negotiateVersion=1`, method);
        assert.equal(answer.status, 405);
        assert.equal(answer.text, 'Method Not Allowed: negotiate accepts POST only.');
      });
    }
  });

  describe('GET {hub} without an upgrade', () => {
    it('answers 400 "Connection ID required" without an id', async () => {
      const answer = await http(server.hubUrl, 'GET');
      assert.equal(answer.status, 400);
      assert.match(answer.contentType, /^text\/plain\b/);
      assert.equal(answer.text, 'Connection ID required');
    });

    it('answers 404 for an unknown id', async () => {
      const answer = await http(`${server.hubUrl}?id=unknown`, 'GET');
      assert.equal(answer.status, 404);
      assert.equal(answer.text, 'No Connection with that ID');
    });

    it('starts long polling for a known token: the first poll is answered at once, without data', async () => {
      const token = stringField((await negotiate(server.hubUrl)).body, 'connectionToken');
      const answer = await http(`${server.hubUrl}?id=${token}`, 'GET');
      assert.equal(answer.status, 200);
      assert.equal(answer.text, '');
      const deleted = await http(`${server.hubUrl}?id=${token}`, 'DELETE');
      assert.equal(deleted.status, 202);
    });
  });

  describe('WebSocket upgrade', () => {
    it('is refused with 404 for an unknown id', async () => {
      assert.deepEqual(await refusedUpgrade(`${server.hubUrl}?id=unknown`), { status: 404, body: 'No Connection with that ID' });
    });

    it('is refused with 404 for an unknown path', async () => {
      assert.deepEqual(await refusedUpgrade(`${server.baseUrl}/nohub`), { status: 404, body: 'Not Found' });
      assert.deepEqual(await refusedUpgrade(`${server.hubUrl}/negotiate`), { status: 404, body: 'Not Found' });
    });

    it('to the negotiated connectionToken is accepted, and the hub sees the negotiated connectionId', async () => {
      const body = (await negotiate(server.hubUrl)).body;
      const connectionId = stringField(body, 'connectionId');
      const connectionToken = stringField(body, 'connectionToken');
      const socket = await sockets.open(`${server.hubUrl}?id=${connectionToken}`);
      socket.send(handshakeRequest());
      assert.equal(await socket.nextText(), `{}${RS}`);
      socket.send(frame(invocation('1', 'GetConnectionId', [])));
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '1', result: connectionId });
      await assertEchoes(socket, '2', 'negotiated');
    });

    it('with negotiate version 1 does not accept the public connectionId as ?id=', async () => {
      const body = (await negotiate(server.hubUrl)).body;
      const connectionId = stringField(body, 'connectionId');
      assert.deepEqual(await refusedUpgrade(`${server.hubUrl}?id=${connectionId}`), { status: 404, body: 'No Connection with that ID' });
      // The token still works afterwards: the wrong id did not spoil the connection.
      const socket = await sockets.connected(`${server.hubUrl}?id=${stringField(body, 'connectionToken')}`);
      await assertEchoes(socket, '1', 'token');
    });

    it('with negotiate version 0 addresses the connection by its connectionId', async () => {
      const connectionId = stringField((await negotiate(server.hubUrl, '')).body, 'connectionId');
      const socket = await sockets.connected(`${server.hubUrl}?id=${connectionId}`);
      socket.send(frame(invocation('1', 'GetConnectionId', [])));
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '1', result: connectionId });
    });

    it('is refused with 409 when the token already has a WebSocket, and the first one keeps working', async () => {
      const token = stringField((await negotiate(server.hubUrl)).body, 'connectionToken');
      const first = await sockets.connected(`${server.hubUrl}?id=${token}`);
      assert.deepEqual(await refusedUpgrade(`${server.hubUrl}?id=${token}`), {
        status: 409,
        body: 'Connection already has an active transport.',
      });
      await assertEchoes(first, '1', 'first');
    });

    it('is refused with 404 once the connection of the token has ended', async () => {
      const token = stringField((await negotiate(server.hubUrl)).body, 'connectionToken');
      const first = await sockets.connected(`${server.hubUrl}?id=${token}`);
      first.socket.close(1000);
      await first.waitClosed();
      // The server forgets the token when its side of the socket closes, a moment later.
      await waitUntil(() => server.endpoint.connections.get(token) === undefined, 'the server to forget the token');
      assert.deepEqual(await refusedUpgrade(`${server.hubUrl}?id=${token}`), { status: 404, body: 'No Connection with that ID' });
    });

    it('without an id skips negotiation and gets a connection of its own', async () => {
      const first = await sockets.connected(server.hubUrl);
      const second = await sockets.connected(server.hubUrl);
      first.send(frame(invocation('a', 'GetConnectionId', [])));
      second.send(frame(invocation('b', 'GetConnectionId', [])));
      const firstAnswer = await first.nextNonPing();
      const secondAnswer = await second.nextNonPing();
      assert.equal(firstAnswer.invocationId, 'a');
      assert.equal(secondAnswer.invocationId, 'b');
      const firstId = stringField(firstAnswer, 'result');
      const secondId = stringField(secondAnswer, 'result');
      assert.match(firstId, ID);
      assert.match(secondId, ID);
      assert.notEqual(firstId, secondId);
      assert.deepEqual(firstAnswer, { type: 3, invocationId: 'a', result: firstId });
    });
  });

  // Child suites run after the tests of their parent: this one runs last.
  describe('at the end', () => {
    it('the server still serves fresh connections', async () => {
      await assertServerServes(server.hubUrl);
    });
  });
});

describe('negotiated connections that no transport claims', () => {
  let server: RunningInteropServer;
  const sockets = new SocketTracker();

  before(async () => {
    server = await startInteropServer({}, { negotiatedConnectionTimeoutMs: 300 });
  });
  afterEach(() => sockets.closeAll());
  after(async () => {
    sockets.closeAll();
    await server.close();
  });

  it('expire: after the time-out the upgrade to their token is refused with 404', async () => {
    const negotiatedAt = Date.now();
    const token = stringField((await negotiate(server.hubUrl)).body, 'connectionToken');
    await waitUntil(() => server.endpoint.connections.get(token) === undefined, 'the unclaimed connection to be dropped');
    assert.ok(Date.now() - negotiatedAt >= 300, 'dropped before its 300 ms time-out');
    assert.deepEqual(await refusedUpgrade(`${server.hubUrl}?id=${token}`), { status: 404, body: 'No Connection with that ID' });
    assert.equal((await http(`${server.hubUrl}?id=${token}`, 'GET')).text, 'No Connection with that ID');
  });

  it('do not expire once a WebSocket claimed them', async () => {
    const token = stringField((await negotiate(server.hubUrl)).body, 'connectionToken');
    const socket = await sockets.connected(`${server.hubUrl}?id=${token}`);
    // Sentinel: a connection negotiated later and never claimed. Once a sweep dropped it, the
    // claimed one, older, was past its time-out too and would have gone in the same sweep.
    const sentinel = stringField((await negotiate(server.hubUrl)).body, 'connectionToken');
    await waitUntil(() => server.endpoint.connections.get(sentinel) === undefined, 'the unclaimed sentinel connection to be dropped');
    await assertEchoes(socket, '1', 'still connected');
    assert.equal(socket.closed, undefined);
  });

  it('still serves fresh connections at the end', async () => {
    await assertServerServes(server.hubUrl);
  });
});
