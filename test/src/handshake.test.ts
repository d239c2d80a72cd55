import assert from 'node:assert/strict';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { RS, type RawHubSocket } from './support/raw-socket.js';
import {
  assertClosedWith, assertClosedWithoutMore, assertEchoes, assertServerServes, frame, handshakeRequest, invocation, SocketTracker,
} from './support/protocol-helpers.js';

const HANDSHAKE_FAILED = 'An unexpected error occurred during connection handshake.';

/** The exact handshake reply frame for an error. */
function errorReply(error: string): string {
  return JSON.stringify({ error }) + RS;
}

describe('handshake', () => {
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

  /** Opens a socket, sends `request` as one text frame, and returns the socket and the reply frame. */
  async function handshakeWith(request: string): Promise<{ reply: string; socket: RawHubSocket }> {
    const socket = await sockets.open(server.hubUrl);
    socket.send(request);
    return { reply: await socket.nextText(), socket };
  }

  describe('accepted', () => {
    it('answers {"protocol":"json","version":1} with {} and then serves the connection', async () => {
      const { reply, socket } = await handshakeWith(`{"protocol":"json","version":1}${RS}`);
      assert.equal(reply, `{}${RS}`);
      await assertEchoes(socket, '1', 'v1');
    });

    it('answers json version 2 with {}', async () => {
      const { reply, socket } = await handshakeWith(handshakeRequest('json', 2));
      assert.equal(reply, `{}${RS}`);
      await assertEchoes(socket, '1', 'v2');
    });

    it('accepts a handshake split across two frames', async () => {
      const socket = await sockets.open(server.hubUrl);
      socket.send('{"protocol":"js');
      socket.send(`on","version":1}${RS}`);
      // Nothing is answered until the record separator arrives: frames come in order, so an answer
      // to the first half would be received before this one.
      assert.equal(await socket.nextText(), `{}${RS}`);
      await assertEchoes(socket, '1', 'split');
    });

    it('accepts a handshake whose record separator arrives alone in the next frame', async () => {
      const socket = await sockets.open(server.hubUrl);
      socket.send('{"protocol":"json","version":1}');
      socket.send(RS);
      // In order: an answer to the request without its separator would be received first.
      assert.equal(await socket.nextText(), `{}${RS}`);
      await assertEchoes(socket, '1', 'separator later');
    });

    it('answers a message that follows the handshake in the same frame', async () => {
      const { reply, socket } = await handshakeWith(
        handshakeRequest() + frame(invocation('1', 'Echo', ['same frame'])) + frame(invocation('2', 'Echo', ['and another'])),
      );
      assert.equal(reply, `{}${RS}`);
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '1', result: 'same frame' });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '2', result: 'and another' });
    });

    it('accepts the handshake but closes the connection over a malformed message in the same frame', async () => {
      const { reply, socket } = await handshakeWith(`${handshakeRequest()}{"type":${RS}`);
      assert.equal(reply, `{}${RS}`);
      await assertClosedWith(socket, 'Connection closed with an error. InvalidDataException: Error reading JSON.');
    });

    it('answers a message that follows the handshake in the next frame at once', async () => {
      const socket = await sockets.open(server.hubUrl);
      socket.send(handshakeRequest());
      socket.send(frame(invocation('1', 'Echo', ['right after'])));
      assert.equal(await socket.nextText(), `{}${RS}`);
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '1', result: 'right after' });
    });

    it('keeps an unfinished message that followed the handshake until its separator arrives', async () => {
      const socket = await sockets.open(server.hubUrl);
      const message = frame(invocation('1', 'Echo', ['tail']));
      socket.send(handshakeRequest() + message.slice(0, 20));
      assert.equal(await socket.nextText(), `{}${RS}`);
      socket.send(message.slice(20));
      // In order: an answer to the unfinished message would be received before this one.
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '1', result: 'tail' });
    });
  });

  describe('refused', () => {
    const refusals: Array<{ title: string; request: string; error: string }> = [
      {
        title: "protocol 'xml'",
        request: handshakeRequest('xml', 1),
        error: "The protocol 'xml' is not supported.",
      },
      {
        title: 'json version 3',
        request: handshakeRequest('json', 3),
        error: "The server does not support version 3 of the 'json' protocol.",
      },
      {
        title: 'invalid JSON',
        request: `{"protocol":"json",${RS}`,
        error: `${HANDSHAKE_FAILED} InvalidDataException: Error reading JSON.`,
      },
      {
        title: 'a JSON array',
        request: `["json",1]${RS}`,
        error: `${HANDSHAKE_FAILED} InvalidDataException: Expected a JSON object.`,
      },
      {
        title: 'a missing protocol',
        request: `{"version":1}${RS}`,
        error: `${HANDSHAKE_FAILED} InvalidDataException: Missing required property 'protocol'.`,
      },
      {
        title: 'a protocol that is not a string',
        request: `{"protocol":1,"version":1}${RS}`,
        error: `${HANDSHAKE_FAILED} InvalidDataException: Expected 'protocol' to be of type String.`,
      },
      {
        title: 'a missing version',
        request: `{"protocol":"json"}${RS}`,
        error: `${HANDSHAKE_FAILED} InvalidDataException: Missing required property 'version'.`,
      },
      {
        title: 'a fractional version',
        request: `{"protocol":"json","version":1.5}${RS}`,
        error: `${HANDSHAKE_FAILED} InvalidDataException: Expected 'version' to be of type Integer.`,
      },
      {
        title: 'a version given as a string',
        request: `{"protocol":"json","version":"1"}${RS}`,
        error: `${HANDSHAKE_FAILED} InvalidDataException: Expected 'version' to be of type Integer.`,
      },
      {
        title: 'a handshake larger than the maximum message size without a separator',
        request: `{"protocol":"json","version":1,"pad":"${'x'.repeat(33 * 1024)}"`,
        error: `${HANDSHAKE_FAILED} InvalidDataException: The maximum message size of 32768B was exceeded.`,
      },
    ];

    it('refuses a handshake larger than the maximum message size even when its record separator is in the same frame', async () => {
      // The size limit must not depend on whether the separator came with the oversized data.
      const { reply, socket } = await handshakeWith(handshakeRequest().replace('}', `,"pad":"${'x'.repeat(40 * 1024)}"}`));
      assert.equal(reply, errorReply(`${HANDSHAKE_FAILED} InvalidDataException: The maximum message size of 32768B was exceeded.`));
      await assertClosedWithoutMore(socket);
    });

    for (const { title, request, error } of refusals) {
      it(`refuses ${title} with exactly ${JSON.stringify(error)}, then closes the socket`, async () => {
        const { reply, socket } = await handshakeWith(request);
        assert.equal(reply, errorReply(error));
        await assertClosedWithoutMore(socket);
      });
    }

    it('ignores a message that followed a refused handshake in the same frame', async () => {
      const { reply, socket } = await handshakeWith(handshakeRequest('xml', 1) + frame(invocation('1', 'Echo', ['ignored'])));
      assert.equal(reply, errorReply("The protocol 'xml' is not supported."));
      await assertClosedWithoutMore(socket);
    });
  });

  // Child suites run after the tests of their parent: this one runs last.
  describe('at the end', () => {
    it('the server still serves fresh connections', async () => {
      await assertServerServes(server.hubUrl);
    });
  });
});

describe('handshake time-out', () => {
  let server: RunningInteropServer;
  const sockets = new SocketTracker();

  before(async () => {
    server = await startInteropServer({ handshakeTimeoutMs: 300 });
  });
  afterEach(() => sockets.closeAll());
  after(async () => {
    sockets.closeAll();
    await server.close();
  });

  it('answers {"error":"Handshake was canceled."} to a silent client, then closes the socket', async () => {
    const openedAt = Date.now();
    const socket = await sockets.open(server.hubUrl);
    assert.equal(await socket.nextText(2_000), errorReply('Handshake was canceled.'));
    const elapsed = Date.now() - openedAt;
    assert.ok(elapsed >= 250, `canceled after ${elapsed} ms, before the 300 ms time-out`);
    await assertClosedWithoutMore(socket);
  });

  it('cancels a handshake that never receives its record separator', async () => {
    const socket = await sockets.open(server.hubUrl);
    socket.send('{"protocol":"json","version":1}');
    assert.equal(await socket.nextText(2_000), errorReply('Handshake was canceled.'));
    await assertClosedWithoutMore(socket);
  });

  it('does not cancel a handshake completed in time', async () => {
    const socket = await sockets.connected(server.hubUrl);
    // Sentinel: a socket opened later that never handshakes. Once its handshake is canceled, the
    // time-out has passed for the older, completed one as well.
    const silent = await sockets.open(server.hubUrl);
    assert.equal(await silent.nextText(2_000), errorReply('Handshake was canceled.'));
    await assertEchoes(socket, '1', 'in time');
    assert.equal(socket.closed, undefined);
  });

  it('still serves fresh connections at the end', async () => {
    await assertServerServes(server.hubUrl);
  });
});
