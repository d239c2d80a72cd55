import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { HttpTransportType } from '@microsoft/signalr';
import { BAD_NEGOTIATE_BODY, InteropRoute, UNCREATABLE_HUB_ERROR } from '@tradehub/shared';
import { officialClient } from './support/official-client.js';
import { closeOf, ConnectionPool, rejectionOf, within } from './support/interop-fixtures.js';
import { startInteropApp, type RunningInteropApp } from './support/interop-server.js';

const ALL_TRANSPORTS = [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling];
const CLOSED_WITH_ERROR = 'Server returned an error on close: Connection closed with an error.';

/**
 * The official client's view of a connection the server ends at once: start may still succeed
 * (the Close message arrives after it), then onclose gets the error; or start itself fails with it.
 */
async function failureOfStart(url: string, transport: HttpTransportType, pool: ConnectionPool): Promise<string> {
  const connection = pool.add(officialClient(url, { transport }));
  const closed = closeOf(connection);
  try {
    await connection.start();
  } catch (error) {
    return (error as Error).message;
  }
  return (await within(closed, 5_000, 'onclose'))?.message ?? 'closed without an error';
}

describe('interop server: /uncreatable, /bad-negotiate, /echoredirect, /deployment and the web-worker client', () => {
  let server: RunningInteropApp;
  const pool = new ConnectionPool();
  const url = (path: string): string => `${server.baseUrl}${path}`;

  before(async () => {
    server = await startInteropApp({ hubOptions: { detailedErrors: true } });
  });
  afterEach(async () => {
    await pool.stopAll();
  });
  after(async () => {
    await server.close();
  });

  for (const transport of ALL_TRANSPORTS) {
    it(`/uncreatable closes every ${HttpTransportType[transport]} connection with .NET's activation error`, async () => {
      assert.equal(await failureOfStart(url(InteropRoute.Uncreatable), transport, pool), `${CLOSED_WITH_ERROR} InvalidOperationException: ${UNCREATABLE_HUB_ERROR}`);
    });
  }

  it('/uncreatable without detailed errors closes with the generic text only', async () => {
    const quiet = await startInteropApp();
    try {
      assert.equal(await failureOfStart(`${quiet.baseUrl}${InteropRoute.Uncreatable}`, HttpTransportType.WebSockets, pool), CLOSED_WITH_ERROR);
    } finally {
      await pool.stopAll();
      await quiet.close();
    }
  });

  it('/bad-negotiate answers 400 with its text to any request under it, and the official client reports it', async () => {
    for (const [path, method] of [[InteropRoute.BadNegotiate, 'GET'], [`${InteropRoute.BadNegotiate}/negotiate?negotiateVersion=1`, 'POST']] as const) {
      const answer = await fetch(url(path), { method });
      assert.equal(answer.status, 400, path);
      assert.equal(await answer.text(), BAD_NEGOTIATE_BODY);
    }
    const connection = pool.add(officialClient(url(InteropRoute.BadNegotiate), { transport: HttpTransportType.LongPolling }));
    const failure = await rejectionOf(connection.start());
    assert.equal(failure.message, `Failed to complete negotiation with the server: Error: ${BAD_NEGOTIATE_BODY}: Status code '400'`);
  });

  it('/echoredirect redirects to the same place under /echo with 307, the query kept', async () => {
    const redirect = await fetch(url(`${InteropRoute.EchoRedirect}/negotiate?negotiateVersion=1&x=a%20b`), { method: 'POST', redirect: 'manual' });
    assert.equal(redirect.status, 307);
    assert.equal(redirect.headers.get('location'), `${InteropRoute.Echo}/negotiate?negotiateVersion=1&x=a%20b`);
    const bare = await fetch(url(InteropRoute.EchoRedirect), { redirect: 'manual' });
    assert.equal(bare.headers.get('location'), InteropRoute.Echo);
    // Followed, a POST stays a POST: the echo connection's negotiate answers.
    const followed = await fetch(url(`${InteropRoute.EchoRedirect}/negotiate?negotiateVersion=1`), { method: 'POST' });
    assert.equal(followed.status, 200);
    assert.equal(typeof ((await followed.json()) as { connectionToken?: unknown }).connectionToken, 'string');
  });

  it('/deployment answers a JSON object naming the server', async () => {
    const answer = await fetch(url(InteropRoute.Deployment));
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    const body = await answer.json() as Record<string, unknown>;
    assert.equal(body.Server, 'tradehub interop server');
  });

  it('/lib/signalr-webworker/signalr.js answers the official client\'s web-worker build, loadable from other origins', async () => {
    const answer = await fetch(url(InteropRoute.WebWorkerClient));
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/javascript/);
    assert.equal(answer.headers.get('cross-origin-resource-policy'), 'cross-origin');
    const published = readFileSync(createRequire(import.meta.url).resolve('@microsoft/signalr/dist/webworker/signalr.js'), 'utf8');
    assert.equal(await answer.text(), published);
  });
});
