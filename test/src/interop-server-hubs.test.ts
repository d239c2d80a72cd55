import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { HttpTransportType, type HubConnection } from '@microsoft/signalr';
import jwt from 'jsonwebtoken';
import {
  CLIENT_RESULT_METHOD, INTEROP_HUB_PATH, INTEROP_TOKEN_AUDIENCE, INTEROP_TOKEN_ISSUER, INTEROP_TOKEN_USER, InteropRoute,
} from '@tradehub/shared';
import WebSocket from 'ws';
import { officialClient, type ClientOptions } from './support/official-client.js';
import { CallRecorder, ConnectionPool, closeOf, reconnectedOf, rejectionOf, within } from './support/interop-fixtures.js';
import { startInteropApp, type RunningInteropApp } from './support/interop-server.js';
import { waitUntil } from './support/wait.js';

const ALL_TRANSPORTS = [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling];
const UNAUTHORIZED = "Failed to complete negotiation with the server: Error: Unauthorized: Status code '401'";

/** How the server answers a WebSocket upgrade it refuses. */
function refusedUpgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'));
    socket.once('open', () => {
      socket.close();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.once('error', () => undefined);
  });
}

async function negotiate(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/negotiate?negotiateVersion=1`, { method: 'POST', headers });
}

/** Induces a reconnect as the ASP.NET suite does: the client acts as if the server timed out. */
function induceReconnect(connection: HubConnection): void {
  (connection as unknown as { serverTimeout(): void }).serverTimeout();
}

describe('interop server: the hubs beside /testhub', () => {
  let server: RunningInteropApp;
  const pool = new ConnectionPool();
  const url = (path: string): string => `${server.baseUrl}${path}`;

  async function connect(path: string, options: ClientOptions = {}): Promise<HubConnection> {
    const connection = pool.add(officialClient(url(path), options));
    await connection.start();
    return connection;
  }

  async function token(): Promise<string> {
    const answer = await fetch(url(InteropRoute.GenerateJwtToken));
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
    return answer.text();
  }

  before(async () => {
    server = await startInteropApp();
  });
  afterEach(async () => {
    await pool.stopAll();
  });
  after(async () => {
    await server.close();
  });

  describe('/testhub-nowebsockets', () => {
    it('negotiates Server-Sent Events and long polling only, while /testhub offers all three', async () => {
      const limited = await (await negotiate(url(InteropRoute.NoWebSocketsHub))).json() as { availableTransports: Array<{ transport: string; transferFormats: string[] }> };
      assert.deepEqual(limited.availableTransports, [
        { transport: 'ServerSentEvents', transferFormats: ['Text'] },
        { transport: 'LongPolling', transferFormats: ['Text', 'Binary'] },
      ]);
      const full = await (await negotiate(url(INTEROP_HUB_PATH))).json() as { availableTransports: Array<{ transport: string }> };
      assert.deepEqual(full.availableTransports.map((entry) => entry.transport), ['WebSockets', 'ServerSentEvents', 'LongPolling']);
    });

    it('is served over Server-Sent Events for JSON and long polling for MessagePack when the client may choose', async () => {
      const json = await connect(InteropRoute.NoWebSocketsHub, { transport: undefined });
      assert.equal(await json.invoke('GetActiveTransportName'), 'ServerSentEvents');
      assert.equal(await json.invoke('Echo', 'no sockets'), 'no sockets');
      const messagePack = await connect(InteropRoute.NoWebSocketsHub, { transport: undefined, messagePack: true });
      assert.equal(await messagePack.invoke('GetActiveTransportName'), 'LongPolling');
    });

    it('refuses WebSockets: the client finds no transport, an upgrade is 404 as ASP.NET answers it', async () => {
      const connection = pool.add(officialClient(url(InteropRoute.NoWebSocketsHub), { transport: HttpTransportType.WebSockets }));
      const error = await rejectionOf(connection.start());
      assert.match(error.message, /^Unable to connect to the server with any of the available transports\./);

      const { connectionToken } = await (await negotiate(url(InteropRoute.NoWebSocketsHub))).json() as { connectionToken: string };
      assert.deepEqual(await refusedUpgrade(`${url(InteropRoute.NoWebSocketsHub)}?id=${connectionToken}`),
        { status: 404, body: 'WebSockets transport not supported by this end point type' });
      // Skip-negotiation too: no connection is made for a transport that is not offered.
      assert.deepEqual(await refusedUpgrade(url(InteropRoute.NoWebSocketsHub)),
        { status: 404, body: 'WebSockets transport not supported by this end point type' });
      const skipping = pool.add(officialClient(url(InteropRoute.NoWebSocketsHub), { skipNegotiation: true }));
      await rejectionOf(skipping.start());
    });

    it('shares one lifetime manager with /testhub, as one hub class mapped twice: SendToAll reaches both', async () => {
      const full = await connect(INTEROP_HUB_PATH);
      const limited = await connect(InteropRoute.NoWebSocketsHub, { transport: HttpTransportType.LongPolling });
      const received = new CallRecorder(limited, 'Message');
      await full.invoke('SendToAll', 'to every endpoint');
      await received.waitForArgs(['to every endpoint']);
    });
  });

  describe('/authorizedhub with /generateJwtToken', () => {
    for (const transport of ALL_TRANSPORTS) {
      it(`serves a client with a token over ${HttpTransportType[transport]}, from a token or an async token factory`, async () => {
        const fixed = await token();
        const connection = await connect(InteropRoute.AuthorizedHub, { transport, accessTokenFactory: () => fixed });
        assert.equal(await connection.invoke('Echo', '你好，世界！'), '你好，世界！');
        assert.equal(await connection.invoke('GetUserNameIdentifier'), INTEROP_TOKEN_USER);
        const closed = closeOf(connection);
        await connection.stop();
        assert.equal(await within(closed, 5_000, 'onclose'), undefined);

        const fetching = await connect(InteropRoute.AuthorizedHub, { transport, accessTokenFactory: () => token() });
        assert.equal(await fetching.invoke('Echo', 'async'), 'async');
      });

      it(`refuses a client without a token over ${HttpTransportType[transport]} with the 401 the suite expects`, async () => {
        const connection = pool.add(officialClient(url(InteropRoute.AuthorizedHub), { transport }));
        assert.equal((await rejectionOf(connection.start())).message, UNAUTHORIZED);
      });
    }

    it('answers negotiate without a token 401 with an empty body and a Bearer challenge; accepts the token in the header or the query', async () => {
      const refused = await negotiate(url(InteropRoute.AuthorizedHub));
      assert.equal(refused.status, 401);
      assert.equal(await refused.text(), '');
      assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer\b/);

      const valid = await token();
      assert.equal((await negotiate(url(InteropRoute.AuthorizedHub), { Authorization: `Bearer ${valid}` })).status, 200);
      const byQuery = await fetch(`${url(InteropRoute.AuthorizedHub)}/negotiate?negotiateVersion=1&access_token=${encodeURIComponent(valid)}`, { method: 'POST' });
      assert.equal(byQuery.status, 200);
    });

    it('issues HS256 tokens for testuser from SignalRTestServer to SignalRTests, valid for 5 s', async () => {
      const decoded = jwt.decode(await token(), { complete: true });
      assert.ok(decoded && typeof decoded.payload === 'object');
      assert.equal(decoded.header.alg, 'HS256');
      const claims = decoded.payload;
      assert.equal(claims.iss, INTEROP_TOKEN_ISSUER);
      assert.equal(claims.aud, INTEROP_TOKEN_AUDIENCE);
      // JwtSecurityTokenHandler writes .NET's ClaimTypes.NameIdentifier as `nameid`; the long form is there too.
      assert.equal(claims.nameid, 'testuser');
      assert.equal(claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier'], 'testuser');
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 5);
      assert.ok(Math.abs((claims.exp ?? 0) * 1000 - (Date.now() + 5_000)) < 2_000, `exp ${claims.exp} is not about 5 s from now`);
    });

    it('refuses tokens it did not sign, and tampered ones', async () => {
      const claims = { nameid: INTEROP_TOKEN_USER };
      const foreign = jwt.sign(claims, randomBytes(32), { algorithm: 'HS256', issuer: INTEROP_TOKEN_ISSUER, audience: INTEROP_TOKEN_AUDIENCE, expiresIn: 60, jwtid: 'x' });
      const [header, , signature] = (await token()).split('.');
      const tampered = [header, Buffer.from(JSON.stringify({ ...claims, exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url'), signature].join('.');
      for (const refused of [foreign, tampered, 'not-a-jwt']) {
        const answer = await negotiate(url(InteropRoute.AuthorizedHub), { Authorization: `Bearer ${refused}` });
        assert.equal(answer.status, 401, refused);
        assert.equal(await answer.text(), '');
        assert.match(answer.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      }
    });
  });

  describe('/clientresult/{id}', () => {
    const cases: Array<{ transport: HttpTransportType; messagePack: boolean }> = ALL_TRANSPORTS.flatMap((transport) => [
      { transport, messagePack: false },
      ...(transport === HttpTransportType.ServerSentEvents ? [] : [{ transport, messagePack: true }]),
    ]);
    for (const { transport, messagePack } of cases) {
      it(`answers the client's Result over ${HttpTransportType[transport]} with ${messagePack ? 'MessagePack' : 'JSON'}: its value, its error, or that it gave none`, async () => {
        const answering = await connect(INTEROP_HUB_PATH, { transport, messagePack });
        answering.on(CLIENT_RESULT_METHOD, () => 10);
        const throwing = await connect(INTEROP_HUB_PATH, { transport, messagePack });
        throwing.on(CLIENT_RESULT_METHOD, () => {
          throw new Error('from callback');
        });
        const silent = await connect(INTEROP_HUB_PATH, { transport, messagePack });
        const answerOf = async (connection: HubConnection): Promise<string> => {
          const answer = await fetch(url(`${InteropRoute.ClientResult}/${connection.connectionId ?? ''}`));
          assert.equal(answer.status, 200);
          return answer.text();
        };
        assert.equal(await answerOf(answering), '10');
        assert.equal(await answerOf(throwing), 'Error: from callback');
        assert.equal(await answerOf(silent), "Client didn't provide a result.");
      });
    }

    it('reaches connections of /testhub-nowebsockets too, and names a connection that does not exist', async () => {
      const limited = await connect(InteropRoute.NoWebSocketsHub, { transport: HttpTransportType.LongPolling });
      limited.on(CLIENT_RESULT_METHOD, () => 42);
      assert.equal(await (await fetch(url(`${InteropRoute.ClientResult}/${limited.connectionId ?? ''}`))).text(), '42');
      assert.equal(await (await fetch(url(`${InteropRoute.ClientResult}/no-such-connection`))).text(), "Connection 'no-such-connection' does not exist.");
    });
  });

  describe('/redirect', () => {
    const redirectUrl = (): string => `${url(InteropRoute.Redirect)}?numRedirects=0&baseUrl=${server.baseUrl}`;

    for (const transport of [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling, undefined]) {
      it(`sends the official client to the interop hub over ${transport === undefined ? 'the transport it picks' : HttpTransportType[transport]}, and again when it reconnects`, async () => {
        const before = server.app.redirects.count;
        const connection = pool.add(officialClient(redirectUrl(), { transport, automaticReconnect: true }));
        await connection.start();
        assert.equal(server.app.redirects.count, before + 1);
        assert.equal(await connection.invoke('Echo', 'redirected'), 'redirected');
        const firstId = connection.connectionId;
        assert.equal(await connection.invoke('GetConnectionId'), firstId);

        const reconnected = reconnectedOf(connection);
        induceReconnect(connection);
        const newId = await within(reconnected, 10_000, 'onreconnected');
        assert.notEqual(newId, firstId);
        assert.equal(await connection.invoke('GetConnectionId'), newId);
        assert.ok(server.app.redirects.count > before + 1, 'the reconnect did not negotiate through the redirect');
      });
    }

    it('answers {url} to {baseUrl}/testHub?numRedirects=N, N counting up; sets no cookies', async () => {
      const answers = [];
      for (let index = 0; index < 2; index++) {
        const answer = await fetch(`${url(InteropRoute.Redirect)}/negotiate?baseUrl=${encodeURIComponent(`${server.baseUrl}/`)}&negotiateVersion=1`, { method: 'POST' });
        assert.equal(answer.status, 200);
        assert.deepEqual(answer.headers.getSetCookie(), []);
        answers.push(await answer.json() as { url: string });
      }
      const numbers = answers.map((answer) => {
        const target = new URL(answer.url);
        assert.equal(`${target.origin}${target.pathname}`, `${server.baseUrl}/testHub`);
        return Number(target.searchParams.get('numRedirects'));
      });
      assert.equal(numbers[1], (numbers[0] ?? 0) + 1);
    });

    it('redirects to its own origin without baseUrl, and refuses a baseUrl that is not an http(s) URL', async () => {
      const own = await (await fetch(url(InteropRoute.Redirect), { method: 'POST' })).json() as { url: string };
      assert.match(own.url, new RegExp(`^${server.baseUrl}/testHub\\?numRedirects=\\d+$`));
      for (const bad of ['javascript:alert(1)', 'not a url', `${server.baseUrl}?x=1`]) {
        const answer = await fetch(`${url(InteropRoute.Redirect)}?baseUrl=${encodeURIComponent(bad)}`, { method: 'POST' });
        assert.equal(answer.status, 400, bad);
        assert.match(await answer.text(), /baseUrl must be one absolute http or https URL/);
      }
    });
  });
});

describe('interop server: expired tokens on /authorizedhub', () => {
  let server: RunningInteropApp;
  const pool = new ConnectionPool();

  before(async () => {
    // Short-lived tokens, so that the test does not wait the 5 s of the default.
    server = await startInteropApp({ tokenLifetimeSeconds: 2 });
  });
  afterEach(async () => {
    await pool.stopAll();
  });
  after(async () => {
    await server.close();
  });

  it('ends a connection when its token expires, and refuses the same token at negotiate with 401', async () => {
    const hubUrl = `${server.baseUrl}${InteropRoute.AuthorizedHub}`;
    const expiring = await (await fetch(`${server.baseUrl}${InteropRoute.GenerateJwtToken}`)).text();
    const connection = pool.add(officialClient(hubUrl, { accessTokenFactory: () => expiring }));
    await connection.start();
    const closed = closeOf(connection);
    assert.equal(await connection.invoke('Echo', 'while valid'), 'while valid');
    const error = await within(closed, 5_000, 'close at expiry');
    assert.match(error?.message ?? '', /expired/);

    // Reconnecting with the token it has is refused, at negotiate, as the client reports it.
    assert.equal((await rejectionOf(connection.start())).message, UNAUTHORIZED);
    const answer = await fetch(`${hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST', headers: { Authorization: `Bearer ${expiring}` } });
    assert.equal(answer.status, 401);
    assert.equal(await answer.text(), '');
    assert.match(answer.headers.get('www-authenticate') ?? '', /error="invalid_token", error_description="The token expired\."/);
    await waitUntil(() => server.app.authorizedHub.handler.connectionCount === 0, 'the expired connection to be gone');
  });
});
