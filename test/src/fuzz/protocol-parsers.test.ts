import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Encoder } from '@msgpack/msgpack';
import {
  InvalidDataError, JsonHubProtocol, MessagePackHubProtocol, MessageType, RECORD_SEPARATOR, readHandshakeRequest, splitFrames,
  splitRecords, writeFrame, type HubMessage, type HubProtocol, type ParsedMessage,
} from '@tradehub/server';
import { byteEdits, fuzzRuns, mutate } from '../support/fuzz.js';

/** Properties of the pure parsers: bytes in, messages or the protocol's own error out, never anything else. */

const MAX_SIZE = 4096;
const json = new JsonHubProtocol();
const messagepack = new MessagePackHubProtocol();
const protocols: HubProtocol[] = [json, messagepack];

const KNOWN_TYPES: ReadonlySet<unknown> = new Set([...Object.values(MessageType), 'invalid']);

/** Calls `parse` and checks that it either returns or throws InvalidDataError, nothing else. */
function onlyInvalidData<T>(parse: () => T): T | InvalidDataError {
  try {
    return parse();
  } catch (error) {
    assert.ok(error instanceof InvalidDataError, `threw ${String(error)}`);
    return error;
  }
}

function assertWellFormed(messages: ParsedMessage[]): void {
  for (const message of messages) {
    assert.ok(KNOWN_TYPES.has(message.type), `unknown type in ${JSON.stringify(message)}`);
    if (message.type === 'invalid') {
      assert.equal(typeof message.reason, 'string');
      assert.ok(message.invocationId === undefined || typeof message.invocationId === 'string');
    }
  }
}

function parseAll(protocol: HubProtocol, input: Buffer): ReturnType<HubProtocol['parseMessages']> {
  const result = onlyInvalidData(() => protocol.parseMessages(input, MAX_SIZE));
  assert.ok(!(result instanceof InvalidDataError), `parseMessages threw ${String(result)} instead of returning it`);
  if (result.error) assert.ok(result.error instanceof InvalidDataError);
  assertWellFormed(result.messages);
  return result;
}

/** Feeds `input` in the pieces given by `cuts`, carrying `remaining` over as a connection does. */
function parseInPieces(protocol: HubProtocol, input: Buffer, cuts: number[]): ParsedMessage[] {
  const bounds = [...new Set(cuts.map((cut) => cut % (input.length + 1)))].sort((a, b) => a - b);
  const messages: ParsedMessage[] = [];
  let carried = Buffer.alloc(0);
  let start = 0;
  for (const end of [...bounds, input.length]) {
    const result = parseAll(protocol, Buffer.concat([carried, input.subarray(start, end)]));
    assert.equal(result.error, undefined, `a valid stream cut at ${bounds.join(',')} failed: ${String(result.error)}`);
    messages.push(...result.messages);
    carried = Buffer.from(result.remaining);
    start = end;
  }
  assert.equal(carried.length, 0, 'bytes left over after the whole stream');
  return messages;
}

function bytesOf(framed: string | Uint8Array): Buffer {
  return typeof framed === 'string' ? Buffer.from(framed, 'utf8') : Buffer.from(framed);
}

// --- Generators --------------------------------------------------------------------------

/** Values that survive both JSON and MessagePack unchanged (MessagePack has no -0: JSON's text of it is read back). */
const value = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const text = fc.string({ unit: 'grapheme', maxLength: 20 });
const id = fc.string({ minLength: 1, maxLength: 12 });
const headers = fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3, noNullPrototype: true }), { nil: undefined });
const streamIds = fc.option(fc.array(id, { minLength: 1, maxLength: 3 }), { nil: undefined });
const sequenceId = fc.maxSafeNat();

/** Every message type a peer may send, as writeMessage accepts it. */
const hubMessage: fc.Arbitrary<HubMessage> = fc.oneof(
  fc.record({ type: fc.constant(MessageType.Invocation), headers, invocationId: fc.option(id, { nil: undefined }), target: id, arguments: fc.array(value, { maxLength: 4 }), streamIds }, { requiredKeys: ['type', 'target', 'arguments'] }),
  fc.record({ type: fc.constant(MessageType.StreamInvocation), headers, invocationId: id, target: id, arguments: fc.array(value, { maxLength: 4 }), streamIds }, { requiredKeys: ['type', 'invocationId', 'target', 'arguments'] }),
  fc.record({ type: fc.constant(MessageType.StreamItem), headers, invocationId: id, item: value }, { requiredKeys: ['type', 'invocationId', 'item'] }),
  fc.record({ type: fc.constant(MessageType.Completion), headers, invocationId: id, error: text }, { requiredKeys: ['type', 'invocationId', 'error'] }),
  fc.record({ type: fc.constant(MessageType.Completion), headers, invocationId: id, result: value.filter((v) => v !== null) }, { requiredKeys: ['type', 'invocationId'] }),
  fc.record({ type: fc.constant(MessageType.CancelInvocation), headers, invocationId: id }, { requiredKeys: ['type', 'invocationId'] }),
  fc.constant({ type: MessageType.Ping }),
  fc.record({ type: fc.constant(MessageType.Close), error: text, allowReconnect: fc.boolean() }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant(MessageType.Ack), sequenceId }),
  fc.record({ type: fc.constant(MessageType.Sequence), sequenceId }),
) as fc.Arbitrary<HubMessage>;

/**
 * What a parser gives back for a message it wrote: the same message, up to what each protocol
 * cannot tell apart (empty headers and stream ids; MessagePack always carries headers).
 */
function normalized(message: ParsedMessage, protocol: HubProtocol): unknown {
  const copy: Record<string, unknown> = { ...message };
  for (const key of Object.keys(copy)) if (copy[key] === undefined) delete copy[key];
  if (isEmptyObject(copy.headers)) delete copy.headers;
  if (Array.isArray(copy.streamIds) && copy.streamIds.length === 0) delete copy.streamIds;
  if (protocol === messagepack && copy.type === MessageType.Close && copy.allowReconnect === false) delete copy.allowReconnect;
  return copy;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/** Arbitrary decoded MessagePack values a hostile peer could frame (wrong types at every position). */
const anyPackable = fc.oneof(
  fc.anything({ maxDepth: 2, withNullPrototype: false, withMap: false, withSet: false, withBigInt: false, withDate: true, withTypedArray: false, withSparseArray: false, values: [fc.constant(undefined)] }),
  fc.uint8Array({ maxLength: 8 }),
);
const packEncoder = new Encoder({ ignoreUndefined: true });

// --- Properties ---------------------------------------------------------------------------

describe('fuzz: protocol parsers', () => {
  describe('handshake', () => {
    it('answers arbitrary bytes with a request, "incomplete" or InvalidDataError, nothing else', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = onlyInvalidData(() => readHandshakeRequest(Buffer.from(bytes), MAX_SIZE));
        if (result instanceof InvalidDataError || !result.complete) return;
        assert.equal(typeof result.request.protocol, 'string');
        assert.ok(Number.isInteger(result.request.version));
      }), fuzzRuns(0x4a51, 2000));
    });

    it('answers arbitrary JSON before the separator with a request or InvalidDataError', () => {
      fc.assert(fc.property(fc.json({ maxDepth: 3 }), fc.string({ maxLength: 20 }), (request, rest) => {
        const result = onlyInvalidData(() => readHandshakeRequest(Buffer.from(request + RECORD_SEPARATOR + rest), MAX_SIZE));
        if (!(result instanceof InvalidDataError)) {
          assert.ok(result.complete);
          assert.equal(result.remaining.toString('utf8'), rest);
        }
      }), fuzzRuns(0x4a52, 1000));
    });

    it('reads back any {protocol, version} with extra members, and leaves what follows', () => {
      fc.assert(fc.property(
        fc.string({ maxLength: 20 }), fc.integer(), fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }), fc.uint8Array({ maxLength: 20 }),
        (protocol, version, extra, rest) => {
          const request = JSON.stringify({ ...extra, protocol, version });
          const input = Buffer.concat([Buffer.from(request + RECORD_SEPARATOR), rest]);
          const result = readHandshakeRequest(input, MAX_SIZE);
          assert.ok(result.complete);
          assert.deepEqual(result.request, { protocol, version });
          assert.deepEqual(Buffer.from(result.remaining), Buffer.from(rest));
          // Any prefix without the separator is incomplete, never an error.
          for (let cut = 0; cut <= request.length; cut += 7) assert.deepEqual(readHandshakeRequest(input.subarray(0, cut), MAX_SIZE), { complete: false });
        },
      ), fuzzRuns(0x4a53, 1000));
    });
  });

  describe('framing', () => {
    it('splitRecords and splitFrames return their error, never throw, and give back every byte', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 300 }), (bytes, max) => {
        const input = Buffer.from(bytes);
        const records = splitRecords(input, max);
        if (!records.error) {
          const total = records.records.reduce((sum, record) => sum + record.length + 1, 0) + records.remaining.length;
          assert.equal(total, input.length);
        }
        const frames = splitFrames(input, max);
        for (const frame of frames.frames) assert.ok(frame.length <= max);
        if (frames.error) assert.ok(frames.error instanceof InvalidDataError);
      }), fuzzRuns(0x4652, 3000));
    });

    it('splitFrames reads back any sequence of writeFrame payloads', () => {
      fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), (payloads) => {
        const stream = Buffer.concat(payloads.map((payload) => writeFrame(payload)));
        const { frames, remaining, error } = splitFrames(stream, 300);
        assert.equal(error, undefined);
        assert.equal(remaining.length, 0);
        assert.deepEqual(frames.map((frame) => Buffer.from(frame)), payloads.map((payload) => Buffer.from(payload)));
      }), fuzzRuns(0x4653, 1000));
    });
  });

  for (const protocol of protocols) {
    describe(`${protocol.name} hub protocol`, () => {
      it('parses arbitrary bytes into well-formed messages or returns InvalidDataError', () => {
        fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
          parseAll(protocol, Buffer.from(bytes));
        }), fuzzRuns(0x5001, 3000));
      });

      it('reads back every message it wrote', () => {
        fc.assert(fc.property(hubMessage, (message) => {
          const result = parseAll(protocol, bytesOf(protocol.writeMessage(message)));
          assert.equal(result.error, undefined, String(result.error));
          assert.equal(result.remaining.length, 0);
          assert.deepEqual(result.messages.map((m) => normalized(m, protocol)), [normalized(message, protocol)]);
        }), fuzzRuns(0x5002, 1500));
      });

      it('gives the same messages however a valid stream is cut into reads', () => {
        fc.assert(fc.property(fc.array(hubMessage, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (messages, cuts) => {
          const stream = Buffer.concat(messages.map((message) => bytesOf(protocol.writeMessage(message))));
          const whole = parseAll(protocol, stream).messages;
          assert.deepEqual(parseInPieces(protocol, stream, cuts), whole);
          assert.equal(whole.length, messages.length);
        }), fuzzRuns(0x5003, 800));
      });

      it('answers a mutated valid stream with well-formed messages or InvalidDataError', () => {
        fc.assert(fc.property(fc.array(hubMessage, { minLength: 1, maxLength: 4 }), byteEdits, (messages, changes) => {
          const stream = Buffer.concat(messages.map((message) => bytesOf(protocol.writeMessage(message))));
          parseAll(protocol, mutate(stream, changes));
        }), fuzzRuns(0x5004, 1500));
      });
    });
  }

  it('json: arbitrary JSON records parse into well-formed messages or InvalidDataError', () => {
    const record = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.record({ type: fc.integer({ min: -1, max: 10 }), invocationId: fc.jsonValue({ maxDepth: 1 }), target: fc.jsonValue({ maxDepth: 1 }), arguments: fc.jsonValue({ maxDepth: 2 }), streamIds: fc.jsonValue({ maxDepth: 1 }), headers: fc.jsonValue({ maxDepth: 1 }), item: fc.jsonValue({ maxDepth: 1 }), result: fc.jsonValue({ maxDepth: 1 }), error: fc.jsonValue({ maxDepth: 1 }), sequenceId: fc.jsonValue({ maxDepth: 0 }), allowReconnect: fc.jsonValue({ maxDepth: 0 }) }, { requiredKeys: ['type'] }).map((r) => JSON.stringify(r)),
    );
    fc.assert(fc.property(fc.array(record, { minLength: 1, maxLength: 4 }), (records) => {
      parseAll(json, Buffer.from(records.map((r) => r + RECORD_SEPARATOR).join(''), 'utf8'));
    }), fuzzRuns(0x5005, 2000));
  });

  it('messagepack: arrays with arbitrary fields parse into well-formed messages or InvalidDataError', () => {
    const frameFields = fc.tuple(fc.oneof(fc.integer({ min: -1, max: 10 }), anyPackable), fc.array(anyPackable, { maxLength: 6 }))
      .map(([type, rest]) => [type, ...rest]);
    fc.assert(fc.property(fc.array(frameFields, { minLength: 1, maxLength: 4 }), (frames) => {
      const stream = Buffer.concat(frames.map((fields) => writeFrame(packEncoder.encode(fields))));
      parseAll(messagepack, stream);
    }), fuzzRuns(0x5006, 2000));
  });

  describe('regressions found by these properties', () => {
    it('json refuses an unreadable Completion or StreamItem as a whole (it made an "invalid" message answered under the peer\'s id)', () => {
      for (const record of ['{"type":3,"invocationId":"s1","error":false}', '{"type":3,"invocationId":"s1","error":"e","result":1}', '{"type":2,"invocationId":"s1"}']) {
        const { messages, error } = json.parseMessages(Buffer.from(record + RECORD_SEPARATOR), MAX_SIZE);
        assert.deepEqual(messages, [], record);
        assert.ok(error instanceof InvalidDataError, record);
      }
    });

    it('json keeps the headers of Completion, StreamItem and CancelInvocation, as MessagePack does', () => {
      const input = Buffer.from([
        { type: 3, headers: { '': '' }, invocationId: ' ', error: '' },
        { type: 2, headers: { a: 'b' }, invocationId: '1', item: 5 },
        { type: 5, headers: { c: 'd' }, invocationId: '2' },
      ].map((message) => JSON.stringify(message) + RECORD_SEPARATOR).join(''));
      assert.deepEqual(json.parseMessages(input, MAX_SIZE).messages, [
        { type: 3, headers: { '': '' }, invocationId: ' ', error: '' },
        { type: 2, headers: { a: 'b' }, invocationId: '1', item: 5 },
        { type: 5, headers: { c: 'd' }, invocationId: '2' },
      ]);
    });
  });
});
