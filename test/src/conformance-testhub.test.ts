import assert from 'node:assert/strict';
import { HttpTransportType, Subject, type HubConnection } from '@microsoft/signalr';
import { nextCall, type ClientOptions } from './support/official-client.js';
import { useInteropServer } from './support/interop-server.js';
import { rejectionOf, within } from './support/interop-fixtures.js';
import { openRaw } from './support/raw-connection.js';
import { streamItems } from './support/streams.js';
import { RS } from './support/raw-socket.js';
import { waitUntil } from './support/wait.js';

/**
 * The behaviours that ASP.NET Core's own TypeScript client suite (FunctionalTests) checks against
 * its TestHub, checked here with the official client against tradehub's `/testhub`, over every
 * transport and protocol pair the official client supports. The server runs with detailed errors,
 * as ASP.NET's test server does.
 */

const TRANSPORTS = [
  { name: 'WebSockets', type: HttpTransportType.WebSockets },
  { name: 'ServerSentEvents', type: HttpTransportType.ServerSentEvents },
  { name: 'LongPolling', type: HttpTransportType.LongPolling },
] as const;
const PROTOCOLS = [{ name: 'json', messagePack: false }, { name: 'messagepack', messagePack: true }] as const;

const unexpected = (method: string): string => `An unexpected error occurred invoking '${method}' on the server.`;

describe('conformance with ASP.NET Core\'s client test hub', function () {
  this.timeout(20_000);
  const fixture = useInteropServer({ detailedErrors: true });
  const connect = (options: ClientOptions, url?: string): Promise<HubConnection> => fixture.connect(options, url);

  for (const transport of TRANSPORTS) {
    for (const protocol of PROTOCOLS) {
      // MessagePack needs binary frames, which Server-Sent Events do not carry: the official client refuses it.
      if (protocol.messagePack && transport.type === HttpTransportType.ServerSentEvents) continue;
      const options: ClientOptions = { transport: transport.type, messagePack: protocol.messagePack };

      describe(`${protocol.name} over ${transport.name}`, () => {
        it('echoes, and sends a custom object to the caller with its property names', async () => {
          const connection = await connect(options);
          assert.equal(await connection.invoke('Echo', '你好，世界！'), '你好，世界！');
          const custom = nextCall(connection, 'CustomObject');
          await connection.send('SendCustomObject', { Name: 'test', Value: 42 });
          assert.deepEqual(await custom, [{ Name: 'test', Value: 42 }]);
        });

        it('streams a, b, c; an empty stream; and a stream that fails before it starts', async () => {
          const connection = await connect(options);
          assert.deepEqual(await streamItems(connection.stream('Stream')), ['a', 'b', 'c']);
          assert.deepEqual(await streamItems(connection.stream('EmptyStream')), []);
          const error = await rejectionOf(streamItems(connection.stream('StreamThrowException', 'An error occurred.')));
          assert.equal(error.message, `${unexpected('StreamThrowException')} InvalidOperationException: An error occurred.`);
        });

        it('tells the caller StreamCanceled once it cancels the infinite stream', async () => {
          const connection = await connect(options);
          const canceled = nextCall(connection, 'StreamCanceled');
          const subscription = connection.stream('InfiniteStream').subscribe({ next: () => undefined, error: () => undefined, complete: () => undefined });
          // The stream is open on the server once an invocation after it was answered: calls of one client run in order.
          assert.equal(typeof await connection.invoke('GetCallerConnectionId'), 'string');
          subscription.dispose();
          assert.deepEqual(await canceled, []);
        });

        it('names an ordinary exception by its type, and refuses invoke and stream of the wrong kind', async () => {
          const connection = await connect(options);
          const thrown = await rejectionOf(connection.invoke('ThrowException', 'An error occurred.'));
          assert.equal(thrown.message, `${unexpected('ThrowException')} InvalidOperationException: An error occurred.`);
          const invokedStream = await rejectionOf(connection.invoke('EmptyStream'));
          assert.equal(invokedStream.message, "The client attempted to invoke the streaming 'EmptyStream' method with a non-streaming invocation.");
          const streamedPlain = await rejectionOf(streamItems(connection.stream('Echo', '42')));
          assert.equal(streamedPlain.message, "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.");
        });

        it('round-trips a complex object (bytes, date, Guid, ints, string) in the protocol\'s own forms', async () => {
          const connection = await connect(options);
          const sent = {
            String: 'Hello, World!',
            IntArray: [0x01, 0x02, 0x03, 0xff],
            ByteArray: protocol.messagePack ? Uint8Array.of(0x68, 0x65, 0x6c, 0x6c, 0x6f) : 'aGVsbG8=',
            Guid: '00010203-0405-0607-0706-050403020100',
            DateTime: protocol.messagePack ? new Date(Date.UTC(2002, 3, 1, 10, 20, 15)) : '2002-04-01T10:20:15Z',
          };
          const echoed = await connection.invoke<Record<string, unknown>>('EchoComplexObject', sent);
          assert.deepEqual(normalised(echoed), normalised(sent));
          assert.deepEqual(normalised(await connection.invoke('SendComplexObject')), normalised({
            String: 'hello world',
            IntArray: [1, 2, 3],
            ByteArray: protocol.messagePack ? Uint8Array.of(1, 2, 3) : 'AQID',
            Guid: '00010203-0405-0607-0706-050403020100',
            DateTime: protocol.messagePack ? new Date(Date.UTC(2000, 0, 1)) : '2000-01-01T00:00:00Z',
          }));
          const badBytes = await rejectionOf(connection.invoke('EchoComplexObject', { ...sent, ByteArray: 42 }));
          assert.match(badBytes.message, /InvalidDataException: .* Argument 1 \(ByteArray\): Expected bytes: base64 text, or bin in MessagePack\.$/);
          const badDate = await rejectionOf(connection.invoke('EchoComplexObject', { ...sent, DateTime: 'yesterday' }));
          assert.match(badDate.message, /Argument 1 \(DateTime\): .*(ISO|date)/i);
          if (protocol.messagePack) {
            // Not just equal after normalising: the client decoded a bin and a Timestamp.
            const received = await connection.invoke<Record<string, unknown>>('SendComplexObject');
            assert.ok(received.ByteArray instanceof Uint8Array, 'ByteArray arrives as bytes');
            assert.ok(received.DateTime instanceof Date, 'DateTime arrives as a Date');
          }
        });

        it('concatenates a client stream, and reports a client stream ended with an error as .NET does', async () => {
          const connection = await connect(options);
          const parts = new Subject<string>();
          const concatenated = connection.invoke<string>('StreamingConcat', parts);
          for (const part of ['Hello ', 'world', '!']) parts.next(part);
          parts.complete();
          assert.equal(await concatenated, 'Hello world!');

          const failing = new Subject<string>();
          const failed = rejectionOf(connection.invoke<string>('StreamingConcat', failing));
          failing.next('Hello ');
          failing.error(new Error('Something bad'));
          assert.equal((await failed).message, `${unexpected('StreamingConcat')} HubException: Something bad`);
        });

        it('gives the hub the request that opened the connection: headers and cookies', async () => {
          const connection = await connect({
            ...options,
            headers: { 'X-HEADER': 'VALUE', 'User-Agent': 'Custom Agent', Cookie: 'testCookie=testValue; testCookie2=test%20Value2' },
            // The interop hub takes anyone; the token is sent all the same, and must not be kept.
            accessTokenFactory: () => 'SECRET-TOKEN',
          });
          assert.equal(await connection.invoke('GetHeader', 'X-HEADER'), 'VALUE');
          assert.equal(await connection.invoke('GetHeader', 'x-header'), 'VALUE');
          assert.equal(await connection.invoke('GetHeader', 'User-Agent'), 'Custom Agent');
          assert.equal(await connection.invoke('GetHeader', 'X-Not-Sent'), null);
          assert.equal(await connection.invoke('GetHeader', 'Authorization'), null, 'the access token is not kept');
          assert.equal(await connection.invoke('GetCookie', 'testCookie'), 'testValue');
          assert.equal(await connection.invoke('GetCookie', 'testCookie2'), 'test Value2');
          assert.equal(await connection.invoke('GetCookie', 'expiredCookie'), null);
          // The request that opened the transport is a GET (or an upgrade), which has no body.
          assert.equal(await connection.invoke('GetContentTypeHeader'), null);
        });

        it('knows its caller\'s connection id and the redirect count of its URL', async () => {
          const connection = await connect(options, `${fixture.server.hubUrl}?numRedirects=3`);
          assert.equal(await connection.invoke('GetCallerConnectionId'), connection.connectionId);
          assert.equal(await connection.invoke('GetNumRedirects'), 3);
          const plain = await connect(options);
          assert.equal(await plain.invoke('GetNumRedirects'), 0);
        });
      });
    }
  }

  it('sets the official client\'s user agent header on every transport', async () => {
    for (const transport of TRANSPORTS) {
      const connection = await connect({ transport: transport.type });
      const agent = await connection.invoke<string>('GetHeader', 'User-Agent');
      assert.match(agent, /^Microsoft SignalR\/\d+\.\d+ \(/, `${transport.name}: ${agent}`);
      await connection.stop();
    }
  });

  it('tells the caller StreamCanceled even when the cancel is read before the stream yielded anything', async () => {
    // Both records in one WebSocket frame: the server reads the cancel before its stream pump
    // pulls a first item, which a browser client provokes by cancelling right after invoking.
    const session = await openRaw(fixture.server.hubUrl, HttpTransportType.WebSockets);
    try {
      await session.connection.send(`{"protocol":"json","version":1}${RS}`);
      await waitUntil(() => session.received.join('').includes(`{}${RS}`), 'the handshake response');
      await session.connection.send(`{"type":4,"invocationId":"1","target":"InfiniteStream","arguments":[]}${RS}{"type":5,"invocationId":"1"}${RS}`);
      await waitUntil(() => session.received.join('').includes('"target":"StreamCanceled"'), () => `StreamCanceled, having received ${session.received.join('')}`);
    } finally {
      await session.connection.stop();
    }
  });
});

describe('conformance: errors without detailed errors', function () {
  this.timeout(20_000);
  const fixture = useInteropServer();

  for (const protocol of PROTOCOLS) {
    it(`keeps the generic text for ordinary errors, and a client stream's own error text is a HubException (${protocol.name})`, async () => {
      const connection = await fixture.connect({ messagePack: protocol.messagePack });
      assert.equal((await rejectionOf(connection.invoke('ThrowException', 'secret'))).message, unexpected('ThrowException'));
      assert.equal((await rejectionOf(streamItems(connection.stream('StreamThrowException', 'secret')))).message, unexpected('StreamThrowException'));
      const failing = new Subject<string>();
      const failed = rejectionOf(connection.invoke<string>('StreamingConcat', failing));
      failing.error(new Error('secret'));
      assert.equal((await within(failed, 5_000, 'the failed client stream')).message, `${unexpected('StreamingConcat')} HubException: secret`);
    });
  }
});

/** Bytes as plain arrays, so that a Buffer and a Uint8Array of the same bytes compare equal. */
function normalised(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: [...value] };
  if (value instanceof Date) return { date: value.toISOString() };
  if (Array.isArray(value)) return value.map(normalised);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalised(item)]));
  }
  return value;
}
