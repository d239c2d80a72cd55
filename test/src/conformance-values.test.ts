import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ConnectionRequest, hubBytes, hubDateTime, JsonHubProtocol, MessagePackHubProtocol, MessageType } from '@tradehub/server';
import { decode } from '@msgpack/msgpack';

/**
 * The values side of conformance, without a network: what the JSON protocol writes for bytes and
 * dates, what the value schemas accept from either protocol, and what hub code reads of the
 * request that opened its connection.
 */
describe('conformance: bytes and dates as .NET peers write and read them', () => {
  const json = new JsonHubProtocol();
  const completion = (result: unknown): unknown => {
    const text = json.writeMessage({ type: MessageType.Completion, invocationId: '1', result });
    return (JSON.parse(text.slice(0, -1)) as { result: unknown }).result;
  };

  it('writes bytes as base64 and dates as ISO-8601 UTC with only the fraction there is, at any depth', () => {
    assert.deepEqual(completion({
      buffer: Buffer.from([1, 2, 3]),
      view: new Uint8Array([0, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0]).subarray(1, 6),
      whole: new Date(Date.UTC(2000, 0, 1)),
      half: new Date(Date.UTC(2002, 3, 1, 10, 20, 15, 500)),
      millis: new Date(Date.UTC(2002, 3, 1, 10, 20, 15, 123)),
      invalid: new Date(Number.NaN),
      nested: [{ at: [new Date(0)] }],
    }), {
      buffer: 'AQID',
      view: 'aGVsbG8=',
      whole: '2000-01-01T00:00:00Z',
      half: '2002-04-01T10:20:15.5Z',
      millis: '2002-04-01T10:20:15.123Z',
      invalid: null,
      nested: [{ at: ['1970-01-01T00:00:00Z'] }],
    });
    assert.equal(completion(Uint8Array.of()), '');
    assert.equal(completion(new Date(Date.UTC(1999, 11, 31, 23, 59, 59))), '1999-12-31T23:59:59Z');
  });

  it('writes every other value exactly as JSON.stringify does', () => {
    const value = { a: [1, 'two', null, true], b: { c: { toJSON: () => 'custom' } }, d: 1.5, e: 'x\u001ey' };
    assert.equal(json.writeMessage({ type: MessageType.Completion, invocationId: '1', result: value }),
      `${JSON.stringify({ type: MessageType.Completion, invocationId: '1', result: value })}\u001e`);
  });

  it('writes bin and the Timestamp extension for the same values in MessagePack', () => {
    const written = new MessagePackHubProtocol().writeMessage({
      type: MessageType.Completion, invocationId: '1', result: { bytes: Buffer.from([1, 2, 3]), at: new Date(Date.UTC(2000, 0, 1)) },
    });
    // A one-byte length prefix, then the message array.
    const [, , , , result] = decode(written.subarray(1)) as [number, unknown, string, number, { bytes: unknown; at: unknown }];
    assert.ok(result.bytes instanceof Uint8Array && [...result.bytes].join() === '1,2,3', 'bytes arrive as bin');
    assert.ok(result.at instanceof Date && result.at.getTime() === Date.UTC(2000, 0, 1), 'the date arrives as a Timestamp');
  });

  it('reads bytes from base64 text or bin, and dates from ISO-8601 text or a Timestamp, refusing anything else', () => {
    const bytes = hubBytes();
    assert.deepEqual([...bytes.parse('aGVsbG8=')], [0x68, 0x65, 0x6c, 0x6c, 0x6f]);
    const frame = Uint8Array.of(9, 1, 2, 9);
    const fromBin = bytes.parse(frame.subarray(1, 3));
    assert.deepEqual([...fromBin], [1, 2]);
    assert.equal(fromBin.buffer === frame.buffer, false, 'a copy, not a view into the received frame');
    assert.equal(bytes.safeParse('not base64!').success, false);
    assert.equal(bytes.safeParse([1, 2]).success, false);

    const dateTime = hubDateTime();
    assert.equal(dateTime.parse('2002-04-01T10:20:15Z').getTime(), Date.UTC(2002, 3, 1, 10, 20, 15));
    assert.equal(dateTime.parse('2002-04-01T12:20:15+02:00').getTime(), Date.UTC(2002, 3, 1, 10, 20, 15));
    assert.equal(dateTime.parse('2002-04-01T10:20:15').getTime(), Date.UTC(2002, 3, 1, 10, 20, 15), 'no offset: UTC');
    assert.equal(dateTime.parse(new Date(5)).getTime(), 5);
    assert.equal(dateTime.safeParse('yesterday').success, false);
    assert.equal(dateTime.safeParse(new Date(Number.NaN)).success, false);
    assert.equal(dateTime.safeParse(1_000).success, false);
  });
});

describe('conformance: the request a hub reads (Context.GetHttpContext)', () => {
  const request = new ConnectionRequest('GET', '/testHub?id=abc&numRedirects=2&tag=a&tag=b&access_token=SECRET-QUERY-TOKEN', [
    'Host', '127.0.0.1',
    'User-Agent', 'Microsoft SignalR/10.0',
    'X-Multi', 'one',
    'x-multi', 'two',
    'Cookie', 'a=1; quoted="two words"; escaped=x%20y',
    'cookie', 'late=3; a=ignored',
    'Authorization', 'Bearer SECRET-HEADER-TOKEN',
  ]);

  it('reads headers by any letter case, joining repeated ones as Node does', () => {
    assert.equal(request.header('user-agent'), 'Microsoft SignalR/10.0');
    assert.equal(request.header('USER-AGENT'), 'Microsoft SignalR/10.0');
    assert.equal(request.header('X-Multi'), 'one, two');
    assert.equal(request.headers.get('x-multi'), 'one, two');
    assert.equal(request.header('X-Absent'), undefined);
    assert.equal(request.method, 'GET');
    assert.equal(request.path, '/testHub');
  });

  it('reads the query (repeated names joined with commas, as .NET StringValues) and the cookies', () => {
    assert.equal(request.query.get('numRedirects'), '2');
    assert.equal(request.query.get('tag'), 'a,b');
    assert.equal(request.query.get('absent'), undefined);
    assert.deepEqual([...request.cookies], [['a', '1'], ['quoted', 'two words'], ['escaped', 'x y'], ['late', '3']]);
    assert.equal(new ConnectionRequest('GET', '/hub', []).cookies.size, 0);
    assert.equal(new ConnectionRequest('GET', '/hub', []).query.size, 0);
  });

  it('keeps no access token, and shows no cookie value when logged or inspected', () => {
    assert.equal(request.header('Authorization'), undefined);
    assert.equal(request.query.get('access_token'), undefined);
    assert.equal(request.query.get('id'), 'abc', 'the rest of the query stays');
    for (const shown of [JSON.stringify(request), inspect(request, { depth: 5 })]) {
      assert.doesNotMatch(shown, /SECRET|quoted|two words/);
      assert.match(shown, /numRedirects/);
      assert.match(shown, /\[redacted\]/);
    }
    const onlyToken = new ConnectionRequest('GET', '/hub?access_token=SECRET', []);
    assert.equal(onlyToken.path, '/hub');
    assert.equal(onlyToken.query.size, 0);
    // The token reader decodes names, so an encoded name is a token too; other pairs stay as they came.
    const encoded = new ConnectionRequest('GET', '/hub?a=x%20y&access%5Ftoken=SECRET&access_token&b=%E2%82%AC', []);
    assert.doesNotMatch(JSON.stringify(encoded), /SECRET|access/);
    assert.equal(encoded.query.get('a'), 'x y');
    assert.equal(encoded.query.get('b'), '€');
  });
});
