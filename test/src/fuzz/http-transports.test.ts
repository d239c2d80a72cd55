import assert from 'node:assert/strict';
import fc from 'fast-check';
import { byteEdits, fuzzRuns, mutate, ProcessProblems } from '../support/fuzz.js';
import { startInteropServer, type RunningInteropServer } from '../support/interop-server.js';
import { assertServerServes } from '../support/protocol-helpers.js';

/**
 * The connection endpoint of the HTTP transports (long polling, Server-Sent Events) driven by
 * arbitrary sequences of requests after a negotiate: any method, the right or a wrong id, any
 * Accept header, handshakes and hub frames right, mutated or arbitrary as bodies. Every answer
 * has a status below 500, nothing goes unhandled, and the server keeps serving.
 */

const RS = '\x1e';

/** What a client may POST: a handshake, hub messages, or something else entirely. */
const postBody = fc.oneof(
  fc.constant(`{"protocol":"json","version":1}${RS}`),
  fc.constant(`{"protocol":"messagepack","version":1}${RS}`),
  fc.constant(`{"type":1,"invocationId":"1","target":"Echo","arguments":["x"]}${RS}`),
  fc.constant(`{"type":7}${RS}`),
  fc.tuple(fc.constant(`{"protocol":"json","version":1}${RS}{"type":1,"invocationId":"2","target":"Add","arguments":[1,2]}${RS}`), byteEdits)
    .map(([text, edits]) => mutate(Buffer.from(text), edits).toString('latin1')),
  fc.string({ unit: 'binary', maxLength: 80 }),
);

const step = fc.record({
  method: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('GET', 'POST') }, { weight: 1, arbitrary: fc.constantFrom('DELETE', 'PUT', 'PATCH') }),
  id: fc.oneof({ weight: 4, arbitrary: fc.constant('negotiated') }, { weight: 1, arbitrary: fc.constantFrom('', 'unknown', '%zz', 'negotiated-twice') }),
  events: fc.boolean(),
  body: postBody,
});

describe('fuzz: HTTP transport requests', function () {
  this.timeout(120_000);
  const problems = new ProcessProblems();
  let server: RunningInteropServer;

  before(async () => {
    problems.start();
    // Short long polls: a poll with nothing to send is answered (204/200) quickly instead of after 90 s.
    server = await startInteropServer({}, { longPollTimeoutMs: 100 });
  });
  after(async () => {
    await server.close();
    problems.stop();
  });
  afterEach(() => problems.assertNone());

  async function negotiateToken(): Promise<string> {
    const response = await fetch(`${server.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(response.status, 200);
    return ((await response.json()) as { connectionToken: string }).connectionToken;
  }

  it('answers every request of any sequence with a status below 500', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
      const token = await negotiateToken();
      const aborts: AbortController[] = [];
      try {
        for (const { method, id, events, body } of steps) {
          const realId = id === 'negotiated' ? token : id === 'negotiated-twice' ? `${token}&id=${token}` : id;
          const abort = new AbortController();
          aborts.push(abort);
          const response = await fetch(`${server.hubUrl}?id=${realId}`, {
            method,
            signal: abort.signal,
            headers: events ? { accept: 'text/event-stream' } : { 'content-type': 'text/plain' },
            ...(method !== 'GET' ? { body } : {}),
          });
          assert.ok(response.status < 500, `${response.status} for ${method} ${id} ${JSON.stringify(body).slice(0, 100)}`);
          // An event stream stays open: its status was the answer; the rest is read elsewhere.
          if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) abort.abort();
          else await response.arrayBuffer();
        }
      } finally {
        for (const abort of aborts) abort.abort();
        // Ends the connection whatever state the sequence left it in.
        await fetch(`${server.hubUrl}?id=${token}`, { method: 'DELETE' }).then((r) => r.arrayBuffer()).catch(() => undefined);
      }
    }), fuzzRuns(0xd001, 200));
    await assertServerServes(server.hubUrl);
  });
});
