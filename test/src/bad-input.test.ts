import assert from 'node:assert/strict';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { RS, type RawHubSocket } from './support/raw-socket.js';
import {
  assertClosedWith, assertEchoes, assertServerServes, frame, invocation, SocketTracker,
} from './support/protocol-helpers.js';

const CLOSED_WITH_ERROR = 'Connection closed with an error.';

/** The Close error for input the JSON protocol cannot accept. */
function invalidData(reason: string): string {
  return `${CLOSED_WITH_ERROR} InvalidDataException: ${reason}`;
}

describe('bad input after the handshake', () => {
  let server: RunningInteropServer;
  const sockets = new SocketTracker();
  let socket: RawHubSocket;

  before(async () => {
    server = await startInteropServer();
  });
  beforeEach(async () => {
    socket = await sockets.connected(server.hubUrl);
  });
  afterEach(() => sockets.closeAll());
  after(async () => {
    sockets.closeAll();
    await server.close();
  });

  /** The connection must be closed with exactly `error`, and the server must still serve others. */
  async function expectConnectionClosed(error: string): Promise<void> {
    await assertClosedWith(socket, error);
    await assertServerServes(server.hubUrl);
  }

  /** Like `expectConnectionClosed`, for a Close message that was already read. */
  async function expectClosedAfter(message: Record<string, unknown>, error: string): Promise<void> {
    assert.deepEqual(message, { type: 7, error });
    assert.equal((await socket.waitClosed(2_000)).code, 1000);
    await assertServerServes(server.hubUrl);
  }

  describe('that closes the connection', () => {
    it('malformed JSON: Close "Error reading JSON." then the socket closes', async () => {
      socket.send(`{"type":1,"invocationId":"1",${RS}`);
      await expectConnectionClosed(invalidData('Error reading JSON.'));
    });

    it('a JSON value that is not an object', async () => {
      socket.send(`[1,2]${RS}`);
      await expectConnectionClosed(invalidData('Expected a JSON object.'));
    });

    it("a message without 'type'", async () => {
      socket.send(frame({ invocationId: '1', target: 'Echo', arguments: ['x'] }));
      await expectConnectionClosed(invalidData("Missing required property 'type'."));
    });

    it("a message whose 'type' is a string", async () => {
      socket.send(frame({ type: '1', invocationId: '1', target: 'Echo', arguments: ['x'] }));
      await expectConnectionClosed(invalidData("Expected 'type' to be of type Integer."));
    });

    it("an invocation whose 'invocationId' is not a string", async () => {
      socket.send(frame({ type: 1, invocationId: 7, target: 'Echo', arguments: ['x'] }));
      await expectConnectionClosed(invalidData("Expected 'invocationId' to be of type String."));
    });

    it('an invocation with a non-string target and no invocationId', async () => {
      socket.send(frame({ type: 1, target: 42, arguments: [] }));
      await expectConnectionClosed(invalidData("Expected 'target' to be a non-empty String."));
    });

    it('an invocation whose arguments are not an array and that has no invocationId', async () => {
      socket.send(frame({ type: 1, target: 'Echo', arguments: 'x' }));
      await expectConnectionClosed(invalidData("Expected 'arguments' to be of type Array."));
    });

    it('a binary frame on a JSON connection', async () => {
      socket.sendBinary(Buffer.from(frame(invocation('1', 'Echo', ['binary'])), 'utf8'));
      await expectConnectionClosed(invalidData("Binary data was received on a connection using the text-based 'json' protocol."));
    });

    it('a binary frame that arrives right after the handshake, while the connection is starting', async () => {
      const fresh = await sockets.open(server.hubUrl);
      // Both frames leave in the same tick, so the server reads the binary one before the connection is ready.
      fresh.send(JSON.stringify({ protocol: 'json', version: 1 }) + RS);
      fresh.sendBinary(Buffer.from(frame(invocation('1', 'Echo', ['binary'])), 'utf8'));
      assert.equal(await fresh.nextText(), `{}${RS}`);
      await assertClosedWith(fresh, invalidData("Binary data was received on a connection using the text-based 'json' protocol."));
      await assertServerServes(server.hubUrl);
    });

    it('a message larger than the maximum size (Echo of a 40 KB string with the 32 KB default)', async () => {
      socket.send(frame(invocation('1', 'Echo', ['x'.repeat(40 * 1024)])));
      await expectConnectionClosed(invalidData('The maximum message size of 32768B was exceeded.'));
    });

    it('data without a record separator larger than the maximum size, in one frame', async () => {
      socket.send(`{"type":1,"invocationId":"1","target":"Echo","arguments":["${'x'.repeat(33 * 1024)}`);
      await expectConnectionClosed(invalidData('The maximum message size of 32768B was exceeded.'));
    });

    it('data without a record separator that grows past the maximum size over several frames', async () => {
      socket.send(`{"type":1,"invocationId":"1","target":"Echo","arguments":["${'x'.repeat(20 * 1024)}`);
      socket.send('y'.repeat(20 * 1024));
      // Frames come in order: an answer to the first part would arrive before the Close.
      const close = await socket.nextNonPing();
      assert.equal(close.type, 7);
      assert.equal(typeof close.error, 'string');
      assert.ok(String(close.error).includes('The maximum message size of'), `error: ${String(close.error)}`);
      assert.deepEqual(close, { type: 7, error: invalidData('The maximum message size of 32768B was exceeded.') });
      assert.equal((await socket.waitClosed(2_000)).code, 1000);
      await assertServerServes(server.hubUrl);
    });

    it('a valid invocation before malformed JSON in the same frame still runs before the Close', async () => {
      // ASP.NET's HubConnectionHandler parses and dispatches one message at a time, so an
      // invocation that precedes the bad message in the same read runs (and is even answered).
      const observer = await sockets.connected(server.hubUrl);
      socket.send(frame(invocation('1', 'SendToAll', ['ran before the bad message'])) + `{"type":${RS}`);
      assert.deepEqual(await observer.nextNonPing(1_000), { type: 1, target: 'Message', arguments: ['ran before the bad message'] });
      // The caller gets its own Message and the call's Completion before the Close.
      assert.deepEqual(await socket.nextNonPing(), { type: 1, target: 'Message', arguments: ['ran before the bad message'] });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '1' });
      await expectClosedAfter(await socket.nextNonPing(), invalidData('Error reading JSON.'));
    });

    it('a slow call received before malformed JSON is answered before the Close', async () => {
      socket.send(frame(invocation('1', 'Delay', [300])) + `{"type":${RS}`);
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '1' });
      await expectClosedAfter(await socket.nextNonPing(), invalidData('Error reading JSON.'));
    });
  });

  describe('that is answered while the connection stays up', () => {
    it('a message missing its record separator is held until the separator arrives in the next frame', async () => {
      socket.send(JSON.stringify(invocation('1', 'Echo', ['held'])));
      socket.send(RS);
      // Frames come in order: an answer to the message without its separator would arrive first.
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '1', result: 'held' });
      await assertEchoes(socket, '2', 'after');
    });

    it('a message split over three frames is put back together', async () => {
      const text = frame(invocation('1', 'Echo', ['in three parts']));
      socket.send(text.slice(0, 10));
      socket.send(text.slice(10, 30));
      socket.send(text.slice(30));
      // Frames come in order: an answer to a part would arrive before the Completion.
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '1', result: 'in three parts' });
    });

    it('a non-string target with an invocationId gets a Completion error that names the target', async () => {
      socket.send(frame({ type: 1, invocationId: 't1', target: 42, arguments: [] }));
      assert.deepEqual(await socket.nextNonPing(), {
        type: 3,
        invocationId: 't1',
        error: "Failed to read an invocation. InvalidDataException: Expected 'target' to be a non-empty String.",
      });
      await assertEchoes(socket, '2', 'still up');
    });

    it('arguments that are not an array, with an invocationId, get a Completion error', async () => {
      socket.send(frame({ type: 1, invocationId: 'a1', target: 'Echo', arguments: { 0: 'x' } }));
      assert.deepEqual(await socket.nextNonPing(), {
        type: 3,
        invocationId: 'a1',
        error: "Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Expected 'arguments' to be of type Array.",
      });
      await assertEchoes(socket, '2', 'still up');
    });

    it('missing arguments, with an invocationId, get a Completion error', async () => {
      socket.send(frame({ type: 1, invocationId: 'a2', target: 'Echo' }));
      assert.deepEqual(await socket.nextNonPing(), {
        type: 3,
        invocationId: 'a2',
        error: "Failed to invoke 'Echo' due to an error on the server. InvalidDataException: Missing required property 'arguments'.",
      });
      await assertEchoes(socket, '2', 'still up');
    });

    it('an unknown method gets a Completion error', async () => {
      socket.send(frame(invocation('m1', 'NoSuchMethod', [])));
      assert.deepEqual(await socket.nextNonPing(), {
        type: 3,
        invocationId: 'm1',
        error: "Failed to invoke 'NoSuchMethod' due to an error on the server. HubException: Method does not exist.",
      });
      await assertEchoes(socket, '2', 'still up');
    });

    it('an invocationId reused while its call is pending gets a Completion error, and the first call still completes', async () => {
      const sentAt = Date.now();
      socket.send(frame(invocation('x', 'Delay', [500])));
      socket.send(frame(invocation('x', 'Echo', ['duplicate'])));
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 'x', error: "Invocation ID 'x' is already in use." });
      assert.deepEqual(await socket.nextNonPing(2_000), { type: 3, invocationId: 'x' });
      const elapsed = Date.now() - sentAt;
      assert.ok(elapsed >= 450, `Delay(500) completed after ${elapsed} ms`);
      // Once the first call completed, the id is free again.
      await assertEchoes(socket, 'x', 'reused later');
    });

    it('an unknown message type is ignored and the connection keeps working', async () => {
      socket.send(frame({ type: 99, invocationId: 'u1', whatever: [1, 2, 3] }));
      // The Echo is the sentinel: messages are handled in order, so an answer to the unknown one would come first.
      await assertEchoes(socket, '2', 'still up');
    });

    it('several messages in one frame are all answered, in order', async () => {
      socket.send(
        frame(invocation('1', 'Echo', ['one']))
        + frame(invocation('2', 'Add', [2, 3]))
        + frame({ type: 6 })
        + frame(invocation('3', 'EchoMany', ['a', 'b']))
        + frame(invocation('4', 'Echo', [{ four: 4 }])),
      );
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '1', result: 'one' });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '2', result: 5 });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '3', result: ['a', 'b'] });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '4', result: { four: 4 } });
      // Sentinel: nothing more was answered before it.
      await assertEchoes(socket, 'sentinel', 'nothing before me');
    });

    it('an invocation without invocationId runs but gets no Completion', async () => {
      socket.send(frame(invocation(undefined, 'Echo', ['no id'])) + frame(invocation(undefined, 'InvokeWithString', ['ran'])));
      socket.send(frame(invocation('after', 'Echo', ['with id'])));
      // The fire-and-forget InvokeWithString ran (its client call arrives), but no Completion precedes the invoked Echo's.
      assert.deepEqual(await socket.nextNonPing(), { type: 1, target: 'Message', arguments: ['ran'] });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 'after', result: 'with id' });
      // Sentinel: a late Completion of the calls without id would come before it.
      await assertEchoes(socket, 'sentinel', 'nothing before me');
    });

    it('an empty invocationId counts as none: no Completion', async () => {
      socket.send(frame({ type: 1, invocationId: '', target: 'Echo', arguments: ['empty id'] }));
      // The Echo is the sentinel: calls are handled in order, so a Completion for the empty id would come first.
      await assertEchoes(socket, 'after', 'with id');
    });

    it('a Ping is accepted and not answered', async () => {
      socket.send(frame({ type: 6 }));
      // The Echo is the sentinel: an answer to the Ping would come before it (nextNonPing skips
      // only Pings, which the server may send for keep-alive anyway).
      await assertEchoes(socket, '1', 'after ping');
    });

    it('a StreamInvocation of a non-streaming method gets a Completion error', async () => {
      socket.send(frame({ type: 4, invocationId: 's1', target: 'Echo', arguments: ['x'] }));
      assert.deepEqual(await socket.nextNonPing(), {
        type: 3,
        invocationId: 's1',
        error: "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.",
      });
      await assertEchoes(socket, '2', 'still up');
    });

    it('a StreamInvocation of an unknown method gets a Completion error', async () => {
      socket.send(frame({ type: 4, invocationId: 's2', target: 'NoSuchStream', arguments: [] }));
      assert.deepEqual(await socket.nextNonPing(), {
        type: 3,
        invocationId: 's2',
        error: "Failed to invoke 'NoSuchStream' due to an error on the server. HubException: Method does not exist.",
      });
      await assertEchoes(socket, '2', 'still up');
    });
  });

  // Child suites run after the tests of their parent: this one runs last.
  describe('at the end', () => {
    it('the server still serves fresh connections', async () => {
      await assertServerServes(server.hubUrl);
    });
  });
});

describe('client time-out', () => {
  let server: RunningInteropServer;
  const sockets = new SocketTracker();

  before(async () => {
    server = await startInteropServer({ clientTimeoutMs: 400, keepAliveIntervalMs: 100 });
  });
  afterEach(() => sockets.closeAll());
  after(async () => {
    sockets.closeAll();
    await server.close();
  });

  it('sends Pings to a silent client, then closes it with a "Client timeout" error', async () => {
    const socket = await sockets.connected(server.hubUrl);
    const handshakeAt = Date.now();
    let pings = 0;
    let message = await socket.nextMessage(2_000);
    while (message.type === 6) {
      assert.deepEqual(message, { type: 6 });
      pings++;
      message = await socket.nextMessage(2_000);
    }
    const elapsed = Date.now() - handshakeAt;
    assert.ok(pings >= 2, `only ${pings} Ping(s) before the Close`);
    assert.ok(elapsed >= 350, `closed after ${elapsed} ms, before the 400 ms time-out`);
    assert.equal(typeof message.error, 'string');
    assert.ok(String(message.error).startsWith('Client timeout'), `error: ${String(message.error)}`);
    assert.deepEqual(message, { type: 7, error: 'Client timeout (400ms) elapsed without receiving a message from the client.' });
    assert.equal((await socket.waitClosed(2_000)).code, 1000);
  });

  it('does not close a client that sends a Ping every 100 ms', async () => {
    const socket = await sockets.connected(server.hubUrl);
    const pinger = setInterval(() => socket.send(frame({ type: 6 })), 100);
    try {
      // The server's own Pings, at least 100 ms apart, are the clock: twelve of them span more than
      // two 400 ms client time-outs, and nothing else may arrive in between.
      const started = Date.now();
      for (let pings = 0; pings < 12; pings++) {
        assert.deepEqual(await socket.nextMessage(), { type: 6 }, 'only keep-alive Pings are expected');
      }
      assert.ok(Date.now() - started >= 800, `twelve pings within ${Date.now() - started} ms`);
      assert.equal(socket.closed, undefined);
      await assertEchoes(socket, '1', 'still connected');
    } finally {
      clearInterval(pinger);
    }
  });

  it('still serves fresh connections at the end', async () => {
    await assertServerServes(server.hubUrl);
  });
});
