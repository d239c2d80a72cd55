import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subject, type HubConnection } from '@microsoft/signalr';
import { clientStream, defineHub, HubError, hubMethod, streamHubMethod } from '@tradehub/server';
import { z } from 'zod';
import { startHubServer, type RunningHubServer } from './support/hub-server.js';
import { startInteropServer, type RunningInteropServer } from './support/interop-server.js';
import { officialClient } from './support/official-client.js';
import { RawHubSocket, RS } from './support/raw-socket.js';
import { StreamReader } from './support/streams.js';
import { waitUntil } from './support/wait.js';

/** What a test hub's producer did, by the name the test gave its stream. */
interface ProducerState {
  produced: number;
  stopped: boolean;
  abortedWhenStopped: boolean;
}

/** A hub whose methods let tests watch producers and consumers from the server side. */
/** What the test lets a Gated method read, and what it read. */
interface Gate {
  permits: number;
  read: number[];
  /** Return without reading further once this many items were read. */
  stopAt?: number;
}

function observableHub(producers: Map<string, ProducerState>, drained: Map<string, string>, gates = new Map<string, Gate>()) {
  const track = (name: string): ProducerState => {
    const state = { produced: 0, stopped: false, abortedWhenStopped: false };
    producers.set(name, state);
    return state;
  };
  return defineHub({
    methods: {
      /** Streams 0, 1, 2... every 10 ms until stopped. */
      Ticker: streamHubMethod([z.string()], async function* (context, name) {
        const state = track(name);
        try {
          for (let index = 0; ; index++) {
            state.produced++;
            yield index;
            await sleep(10, undefined, { signal: context.streamAborted });
          }
        } finally {
          state.stopped = true;
          state.abortedWhenStopped = context.streamAborted.aborted;
        }
      }),
      /** Streams `size`-character strings as fast as it is allowed to. */
      Firehose: streamHubMethod([z.string(), z.number().int().positive()], async function* (_context, name, size) {
        const state = track(name);
        const chunk = 'x'.repeat(size);
        try {
          for (;;) {
            state.produced++;
            yield chunk;
          }
        } finally {
          state.stopped = true;
        }
      }),
      Faulty: streamHubMethod([], async function* () {
        yield 'first';
        throw new Error('kaput');
      }),
      FailsToStart: streamHubMethod([z.boolean()], async (_context, hubError): Promise<AsyncIterable<number>> => {
        throw hubError ? new HubError('not today') : new Error('secret detail');
      }),
      /** Reads a client stream to its end and records how it ended ('reading' until then). */
      Drain: hubMethod([z.string(), clientStream(z.unknown())], async (_context, name, source) => {
        drained.set(name, 'reading');
        try {
          for await (const _item of source) { /* reading is all */ }
          drained.set(name, 'completed');
        } catch (error) {
          drained.set(name, (error as Error).message);
        }
      }),
      /** Reads an item of its client stream only when the test gives it a permit, and records it. */
      Echo: hubMethod([z.unknown()], (_context, value) => value),
      /** Returns once the test gives gate `name` a permit (and leaves the permit for the next call). */
      Hold: hubMethod([z.string()], async (_context, name) => {
        await waitUntil(() => (gates.get(name)?.permits ?? 0) > 0, `a permit for gate '${name}'`, 20_000);
        return name;
      }),
      Gated: hubMethod([z.string(), clientStream(z.number())], async (_context, name, source) => {
        const gate = gates.get(name);
        if (!gate) throw new Error(`no gate '${name}'`);
        const iterator = source[Symbol.asyncIterator]();
        for (;;) {
          if (gate.read.length === gate.stopAt) return gate.read.length;
          await waitUntil(() => gate.permits > 0, `a permit for gate '${name}'`, 20_000);
          gate.permits--;
          const next = await iterator.next();
          if (next.done) return gate.read.length;
          gate.read.push(next.value);
        }
      }),
    },
  });
}

function sendRaw(socket: RawHubSocket, message: Record<string, unknown>): void {
  socket.send(JSON.stringify(message) + RS);
}

describe('streaming', () => {
  let interop: RunningInteropServer;
  let custom: RunningHubServer;
  let detailed: RunningHubServer;
  const producers = new Map<string, ProducerState>();
  const drained = new Map<string, string>();
  const gates = new Map<string, Gate>();
  const connections: HubConnection[] = [];
  const sockets: RawHubSocket[] = [];

  before(async () => {
    interop = await startInteropServer();
    custom = await startHubServer(observableHub(producers, drained, gates), { maximumStreamsPerClient: 3, clientStreamBufferCapacity: 4 });
    detailed = await startHubServer(observableHub(new Map(), new Map()), { detailedErrors: true });
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.stop()));
    for (const socket of sockets.splice(0)) socket.close();
  });
  after(async () => {
    await Promise.all([interop.close(), custom.close(), detailed.close()]);
  });

  async function connect(url: string): Promise<HubConnection> {
    const connection = officialClient(url);
    await connection.start();
    connections.push(connection);
    return connection;
  }

  async function rawSocket(url: string): Promise<RawHubSocket> {
    const socket = await RawHubSocket.open(url);
    sockets.push(socket);
    await socket.handshake();
    return socket;
  }

  describe('server to client', () => {
    it('streams Counter items in order, then completes', async () => {
      const connection = await connect(interop.hubUrl);
      const reader = await new StreamReader<number>(connection.stream('Counter', 5, 10)).waitForEnd();
      assert.deepEqual(reader.items, [0, 1, 2, 3, 4]);
      assert.equal(reader.completed, true);
      assert.equal(reader.error, undefined);
      const empty = await new StreamReader<number>(connection.stream('counter', 0, 0)).waitForEnd();
      assert.deepEqual(empty.items, []);
      assert.equal(empty.completed, true);
    });

    it('ends the stream with the HubError text when the method fails mid-stream', async () => {
      const connection = await connect(interop.hubUrl);
      const reader = await new StreamReader<number>(connection.stream('StreamError', 2, 'boom')).waitForEnd();
      assert.deepEqual(reader.items, [0, 1]);
      assert.equal(reader.error?.message, 'An error occurred on the server while streaming results. HubException: boom');
    });

    it('hides other errors mid-stream unless detailed errors are on', async () => {
      const hidden = await new StreamReader<string>((await connect(custom.hubUrl)).stream('Faulty')).waitForEnd();
      assert.deepEqual(hidden.items, ['first']);
      assert.equal(hidden.error?.message, 'An error occurred on the server while streaming results.');
      const shown = await new StreamReader<string>((await connect(detailed.hubUrl)).stream('Faulty')).waitForEnd();
      assert.equal(shown.error?.message, 'An error occurred on the server while streaming results. Error: kaput');
    });

    it('reports a failure before the first item as a failed invocation', async () => {
      const connection = await connect(custom.hubUrl);
      const plain = await new StreamReader<number>(connection.stream('FailsToStart', false)).waitForEnd();
      assert.equal(plain.error?.message, "An unexpected error occurred invoking 'FailsToStart' on the server.");
      const hub = await new StreamReader<number>(connection.stream('FailsToStart', true)).waitForEnd();
      assert.equal(hub.error?.message, "An unexpected error occurred invoking 'FailsToStart' on the server. HubException: not today");
    });

    it('refuses stream() of a plain method and invoke() of a streaming one', async () => {
      const connection = await connect(interop.hubUrl);
      const reader = await new StreamReader<unknown>(connection.stream('Echo', 1)).waitForEnd();
      assert.equal(reader.error?.message, "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.");
      await assert.rejects(connection.invoke('Counter', 3, 0), {
        message: "The client attempted to invoke the streaming 'Counter' method with a non-streaming invocation.",
      });
      // A send expects no answer, not even an error; the connection goes on.
      await connection.send('Counter', 3, 0);
      assert.equal(await connection.invoke('Add', 1, 2), 3);
    });

    it('stops the producer when the client disposes of the subscription', async () => {
      const connection = await connect(custom.hubUrl);
      const reader = new StreamReader<number>(connection.stream('Ticker', 'disposed'));
      await reader.waitForItems(3);
      reader.dispose();
      const state = producers.get('disposed');
      await waitUntil(() => state?.stopped === true, 'the producer to stop');
      // `stopped` is set in the generator's finally: it has returned and cannot yield again.
      assert.equal(state?.abortedWhenStopped, true);
    });

    it('stops the producer when the connection closes', async () => {
      const connection = await connect(custom.hubUrl);
      const reader = new StreamReader<number>(connection.stream('Ticker', 'disconnected'));
      await reader.waitForItems(2);
      await connection.stop();
      const state = producers.get('disconnected');
      await waitUntil(() => state?.stopped === true, 'the producer to stop');
      assert.equal(state?.abortedWhenStopped, true);
    });

    it('pulls items only as fast as the client reads them', async () => {
      const socket = await rawSocket(custom.hubUrl);
      // Stop reading: the kernel buffers fill up, then the server's send buffer.
      socket.socket.pause();
      sendRaw(socket, { type: 4, invocationId: 'f', target: 'Firehose', arguments: ['firehose', 16 * 1024] });
      await waitUntil(() => (producers.get('firehose')?.produced ?? 0) > 0, 'the producer to start');
      const state = producers.get('firehose') as ProducerState;
      // A pause has no event of its own: it is a count that stays the same for a while.
      let before = -1;
      let unchangedSince = Date.now();
      await waitUntil(() => {
        if (state.produced !== before) {
          before = state.produced;
          unchangedSince = Date.now();
        }
        return Date.now() - unchangedSince >= 200;
      }, 'the producer to pause', 4_000);
      // Without backpressure the server would have closed the connection at 8 MiB buffered.
      assert.equal(state.stopped, false, 'the stream ended instead of waiting');
      socket.socket.resume();
      await waitUntil(() => state.produced > before + 10, 'the producer to go on once the client reads');
      socket.close();
      await waitUntil(() => state.stopped, 'the producer to stop after the disconnect');
    }).timeout(8_000);

    it('sends no item after CancelInvocation, then a Completion without error', async () => {
      const socket = await rawSocket(interop.hubUrl);
      sendRaw(socket, { type: 4, invocationId: 'c', target: 'counter', arguments: [1_000, 20] });
      for (let index = 0; index < 3; index++) {
        assert.deepEqual(await socket.nextNonPing(), { type: 2, invocationId: 'c', item: index });
      }
      sendRaw(socket, { type: 5, invocationId: 'c' });
      // An item already on its way may cross the cancel.
      let message = await socket.nextNonPing();
      if (message.type === 2) message = await socket.nextNonPing();
      assert.deepEqual(message, { type: 3, invocationId: 'c' });
      // Sentinel: a second counter at the same pace. Frames of one connection arrive in order, so
      // by its completion a first counter still running would have sent items of its own.
      sendRaw(socket, { type: 4, invocationId: 'sentinel', target: 'counter', arguments: [3, 20] });
      const afterCompletion: Array<Record<string, unknown>> = [];
      for (let next = await socket.nextNonPing(); !(next.type === 3 && next.invocationId === 'sentinel'); next = await socket.nextNonPing()) {
        afterCompletion.push(next);
      }
      assert.deepEqual(afterCompletion, [0, 1, 2].map((item) => ({ type: 2, invocationId: 'sentinel', item })));
      // A cancel of a stream that has ended is ignored.
      sendRaw(socket, { type: 5, invocationId: 'c' });
      sendRaw(socket, { type: 1, invocationId: 'e', target: 'Echo', arguments: ['still here'] });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 'e', result: 'still here' });
    });

    it('refuses a stream invocation whose id is in use, and the first stream goes on', async () => {
      const socket = await rawSocket(interop.hubUrl);
      sendRaw(socket, { type: 4, invocationId: 'd', target: 'Counter', arguments: [1_000, 20] });
      assert.deepEqual(await socket.nextNonPing(), { type: 2, invocationId: 'd', item: 0 });
      sendRaw(socket, { type: 4, invocationId: 'd', target: 'Counter', arguments: [3, 0] });
      let message = await socket.nextNonPing();
      let last = 0;
      while (message.type === 2) {
        last = message.item as number;
        message = await socket.nextNonPing();
      }
      assert.deepEqual(message, { type: 3, invocationId: 'd', error: "Invocation ID 'd' is already in use." });
      assert.deepEqual(await socket.nextNonPing(), { type: 2, invocationId: 'd', item: last + 1 });
      sendRaw(socket, { type: 5, invocationId: 'd' });
    });

    it('refuses more open streams than maximumStreamsPerClient', async () => {
      const connection = await connect(custom.hubUrl);
      const open = ['limit-1', 'limit-2', 'limit-3'].map((name) => new StreamReader<number>(connection.stream('Ticker', name)));
      await Promise.all(open.map((reader) => reader.waitForItems(1)));
      const refused = await new StreamReader<number>(connection.stream('Ticker', 'limit-4')).waitForEnd();
      assert.equal(refused.error?.message,
        "An unexpected error occurred invoking 'Ticker' on the server. HubException: Too many streams are open on this connection (at most 3).");
      open[0]?.dispose();
      await waitUntil(() => producers.get('limit-1')?.stopped === true, 'the first stream to end');
      const accepted = new StreamReader<number>(connection.stream('Ticker', 'limit-5'));
      await accepted.waitForItems(1);
    });
  });

  describe('client to server', () => {
    it('StreamEcho streams back the items of a Subject as they come', async () => {
      const connection = await connect(interop.hubUrl);
      const subject = new Subject<unknown>();
      const reader = new StreamReader<unknown>(connection.stream('StreamEcho', subject));
      subject.next(1);
      subject.next('two');
      assert.deepEqual(await reader.waitForItems(2), [1, 'two']);
      subject.next({ three: [3] });
      subject.next(null);
      subject.complete();
      await reader.waitForEnd();
      assert.deepEqual(reader.items, [1, 'two', { three: [3] }, null]);
      assert.equal(reader.completed, true);
    });

    it('SumStream sums a Subject of numbers', async () => {
      const connection = await connect(interop.hubUrl);
      const subject = new Subject<number>();
      const sum = connection.invoke('SumStream', subject);
      for (let value = 1; value <= 100; value++) subject.next(value);
      subject.complete();
      assert.equal(await sum, 5050);
      const empty = new Subject<number>();
      const zero = connection.invoke('sumstream', empty);
      empty.complete();
      assert.equal(await zero, 0);
    });

    it('fails the method when the client ends its stream with an error', async () => {
      const connection = await connect(interop.hubUrl);
      const subject = new Subject<number>();
      const sum = connection.invoke('SumStream', subject);
      subject.next(1);
      subject.error(new Error('client broke'));
      // Like ASP.NET, the client's error reaches the method as a HubException, so its text comes back even without detailed errors.
      await assert.rejects(sum, { message: "An unexpected error occurred invoking 'SumStream' on the server. HubException: client broke" });
    });

    it('fails the method on an item that does not match the parameter, naming it', async () => {
      const connection = await connect(interop.hubUrl);
      const subject = new Subject<unknown>();
      const sum = connection.invoke('SumStream', subject);
      subject.next(1);
      subject.next('two');
      subject.next(3);
      subject.complete();
      await assert.rejects(sum, (error: Error) => {
        assert.match(error.message,
          /^An unexpected error occurred invoking 'SumStream' on the server\. HubException: Item 2 of stream '\d+' is invalid: .*expected number/);
        return true;
      });
    });

    it('refuses an invocation whose stream count does not match the method', async () => {
      const connection = await connect(interop.hubUrl);
      await assert.rejects(connection.invoke('SumStream'), {
        message: "An unexpected error occurred invoking 'SumStream' on the server. HubException: Client sent 0 stream(s), Hub method expects 1.",
      });
      const socket = await rawSocket(interop.hubUrl);
      sendRaw(socket, { type: 1, invocationId: 'm', target: 'Echo', arguments: [1], streamIds: ['s'] });
      assert.deepEqual(await socket.nextNonPing(), {
        type: 3, invocationId: 'm',
        error: "An unexpected error occurred invoking 'Echo' on the server. HubException: Client sent 1 stream(s), Hub method expects 0.",
      });
      sendRaw(socket, { type: 4, invocationId: 'n', target: 'StreamEcho', arguments: [], streamIds: ['a', 'a'] });
      assert.deepEqual(await socket.nextNonPing(), {
        type: 3, invocationId: 'n',
        error: "An unexpected error occurred invoking 'StreamEcho' on the server. HubException: Client sent 2 stream(s), Hub method expects 1.",
      });
    });

    it('feeds raw StreamItems to the method and ignores those of unknown streams', async () => {
      const socket = await rawSocket(interop.hubUrl);
      sendRaw(socket, { type: 2, invocationId: 'nobody', item: 1 });
      sendRaw(socket, { type: 3, invocationId: 'nobody' });
      sendRaw(socket, { type: 1, invocationId: 's', target: 'SumStream', arguments: [], streamIds: ['x'] });
      sendRaw(socket, { type: 2, invocationId: 'x', item: 2 });
      sendRaw(socket, { type: 2, invocationId: 'x', item: 3 });
      sendRaw(socket, { type: 3, invocationId: 'x' });
      // After its Completion, the stream is gone: this item is ignored.
      sendRaw(socket, { type: 2, invocationId: 'x', item: 100 });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 's', result: 5 });
      sendRaw(socket, { type: 1, invocationId: 'e', target: 'Echo', arguments: ['open'] });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 'e', result: 'open' });
    });

    it('refuses a stream id that is already open', async () => {
      const socket = await rawSocket(custom.hubUrl);
      sendRaw(socket, { type: 1, invocationId: '1', target: 'Drain', arguments: ['dup'], streamIds: ['s'] });
      sendRaw(socket, { type: 1, invocationId: '2', target: 'Drain', arguments: ['dup2'], streamIds: ['s'] });
      assert.deepEqual(await socket.nextNonPing(), {
        type: 3, invocationId: '2',
        error: "An unexpected error occurred invoking 'Drain' on the server. HubException: Stream ID 's' is already in use.",
      });
      sendRaw(socket, { type: 3, invocationId: 's' });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: '1' });
      assert.equal(drained.get('dup'), 'completed');
    });

    it('stops reading the connection while a method leaves its stream buffer full, without timing the client out', async () => {
      // Before: the 5th unread item closed the connection ("sent more than 4 items the hub method has not read yet").
      // Now, as ASP.NET: the connection is not read until the method reads; its silence meanwhile is not a time-out.
      const gates = new Map<string, Gate>([['g', { permits: 0, read: [] }]]);
      const paced = await startHubServer(observableHub(new Map(), new Map(), gates), {
        clientStreamBufferCapacity: 4, clientTimeoutMs: 300, keepAliveIntervalMs: 100,
      });
      try {
        const socket = await RawHubSocket.open(paced.hubUrl);
        sockets.push(socket);
        await socket.handshake();
        sendRaw(socket, { type: 1, invocationId: 'g', target: 'Gated', arguments: ['g'], streamIds: ['s'] });
        for (let item = 0; item < 10; item++) sendRaw(socket, { type: 2, invocationId: 's', item });
        sendRaw(socket, { type: 3, invocationId: 's' });
        // Behind the stream: answered only once the stream's items were all taken.
        sendRaw(socket, { type: 1, invocationId: 'echo', target: 'Echo', arguments: ['after'] });
        const paused = async (): Promise<number> => (await paced.metrics.pausedConnections.get()).values[0]?.value ?? 0;
        await waitUntil(async () => (await paused()) === 1, 'the connection to be paused');
        // Several client time-outs pass while the server does not read (a wait on purpose: nothing must happen).
        await sleep(1_000);
        assert.equal(socket.closed, undefined, 'the paused connection stayed open');
        assert.deepEqual(gates.get('g')?.read, []);
        (gates.get('g') as Gate).permits = 100;
        assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 'g', result: 10 });
        assert.deepEqual(gates.get('g')?.read, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 'echo', result: 'after' });
        assert.equal(await paused(), 0);
      } finally {
        await paced.close();
      }
    });

    it('frees the buffer of a method that returns without reading, and reads on', async () => {
      const socket = await rawSocket(custom.hubUrl);
      gates.set('quitter', { permits: 0, read: [], stopAt: 2 });
      sendRaw(socket, { type: 1, invocationId: 'g', target: 'Gated', arguments: ['quitter'], streamIds: ['s'] });
      for (let item = 0; item < 10; item++) sendRaw(socket, { type: 2, invocationId: 's', item });
      sendRaw(socket, { type: 1, invocationId: 'echo', target: 'Echo', arguments: ['after'] });
      const paused = async (): Promise<number> => (await custom.metrics.pausedConnections.get()).values[0]?.value ?? 0;
      await waitUntil(async () => (await paused()) === 1, 'the connection to be paused');
      (gates.get('quitter') as Gate).permits = 2;
      // It returns with items left unread: they are dropped, the rest of the stream ignored, and reading goes on.
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 'g', result: 2 });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 'echo', result: 'after' });
      assert.equal(await paused(), 0);
    });

    it('holds the answer to a long-polling POST while the stream buffer is full, and refuses another POST meanwhile', async () => {
      gates.set('lp', { permits: 0, read: [] });
      const negotiated = await (await fetch(`${custom.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' })).json() as { connectionToken: string };
      const url = `${custom.hubUrl}?id=${encodeURIComponent(negotiated.connectionToken)}`;
      const post = (body: string): Promise<Response> => fetch(url, { method: 'POST', body });
      let received = '';
      const poll = async (): Promise<boolean> => {
        received += await (await fetch(url)).text();
        return true;
      };
      try {
        assert.equal((await fetch(url)).status, 200, 'the first GET opens long polling');
        assert.equal((await post(`{"protocol":"json","version":1}${RS}`)).status, 200);
        await waitUntil(async () => (await poll()) && received.includes(`{}${RS}`), 'the handshake answer');
        const messages = [
          { type: 1, invocationId: 'g', target: 'Gated', arguments: ['lp'], streamIds: ['s'] },
          ...Array.from({ length: 10 }, (_, item) => ({ type: 2, invocationId: 's', item })),
          { type: 3, invocationId: 's' },
        ];
        let answered = false;
        const held = post(messages.map((message) => JSON.stringify(message) + RS).join('')).then((response) => {
          answered = true;
          return response;
        });
        const paused = async (): Promise<number> => (await custom.metrics.pausedConnections.get()).values[0]?.value ?? 0;
        await waitUntil(async () => (await paused()) === 1, 'the connection to be paused');
        const other = await post(`{"type":6}${RS}`);
        assert.equal(other.status, 409);
        assert.equal(await other.text(), 'The server is not reading this connection now; wait for the previous send to be answered.');
        assert.equal(answered, false, 'the POST that filled the buffer waits');
        (gates.get('lp') as Gate).permits = 100;
        assert.equal((await held).status, 200);
        await waitUntil(async () => (await poll()) && received.includes(`{"type":3,"invocationId":"g","result":10}${RS}`), 'the method to have read all 10 items');
        assert.deepEqual(gates.get('lp')?.read, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      } finally {
        await fetch(url, { method: 'DELETE' });
      }
    });

    it('stops reading while the queue of calls waiting to run is full, instead of closing the connection', async () => {
      // Before: the 65th waiting call closed the connection ("Too many hub method calls waiting to run.").
      gates.set('queue', { permits: 0, read: [] });
      const socket = await rawSocket(custom.hubUrl);
      socket.send(Array.from({ length: 100 }, (_, index) =>
        JSON.stringify({ type: 1, invocationId: String(index), target: 'Hold', arguments: ['queue'] }) + RS).join('')
        + JSON.stringify({ type: 1, invocationId: 'echo', target: 'Echo', arguments: ['last'] }) + RS);
      const paused = async (): Promise<number> => (await custom.metrics.pausedConnections.get()).values[0]?.value ?? 0;
      await waitUntil(async () => (await paused()) === 1, 'the connection to be paused');
      (gates.get('queue') as Gate).permits = 1;
      for (let index = 0; index < 100; index++) {
        assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: String(index), result: 'queue' });
      }
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 'echo', result: 'last' });
      assert.equal(await paused(), 0);
    });

    it('no longer counts a connection as paused once it closed', async () => {
      gates.set('closing', { permits: 0, read: [] });
      const socket = await rawSocket(custom.hubUrl);
      socket.send(Array.from({ length: 100 }, (_, index) =>
        JSON.stringify({ type: 1, invocationId: String(index), target: 'Hold', arguments: ['closing'] }) + RS).join(''));
      const paused = async (): Promise<number> => (await custom.metrics.pausedConnections.get()).values[0]?.value ?? 0;
      await waitUntil(async () => (await paused()) === 1, 'the connection to be paused');
      socket.close();
      await waitUntil(async () => (await paused()) === 0, 'the closed connection to be no longer counted');
      // Lets the call that was running end.
      (gates.get('closing') as Gate).permits = 1;
    });

    it('refuses more client streams than maximumClientStreamsPerClient (10)', async () => {
      const socket = await rawSocket(detailed.hubUrl);
      for (let index = 0; index < 11; index++) {
        sendRaw(socket, { type: 1, invocationId: `d${index}`, target: 'Drain', arguments: [`d${index}`], streamIds: [`s${index}`] });
      }
      assert.deepEqual(await socket.nextNonPing(), {
        type: 3, invocationId: 'd10',
        error: "An unexpected error occurred invoking 'Drain' on the server. HubException: Too many client streams are open on this connection (at most 10).",
      });
      // Once one ends, another may open.
      sendRaw(socket, { type: 3, invocationId: 's0' });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 'd0' });
      sendRaw(socket, { type: 1, invocationId: 'd11', target: 'Drain', arguments: ['d11'], streamIds: ['s11'] });
      sendRaw(socket, { type: 3, invocationId: 's11' });
      assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId: 'd11' });
    });

    it('ends client streams with an error when the connection closes', async () => {
      const connection = await connect(custom.hubUrl);
      const subject = new Subject<number>();
      const call = connection.invoke('Drain', 'closed', subject).catch((error: Error) => error.message);
      subject.next(1);
      await waitUntil(() => drained.get('closed') === 'reading', 'the method to start reading its stream');
      await connection.stop();
      await waitUntil(() => drained.get('closed') !== 'reading', 'the method to see the end of its stream');
      assert.equal(drained.get('closed'), 'The connection closed before the stream completed.');
      assert.match(String(await call), /underlying connection being closed/);
    });
  });
});
