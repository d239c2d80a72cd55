import assert from 'node:assert/strict';
import {
  ConfigurationError, CredentialsRefusedError, MalformedServerMessageError, NotSignalRServerError, ProtocolNotSupportedError,
  ServerUnreachableError, TimeoutError, TokenRefusedError, Topics, connect, type ConnectionStateChange, type TopicItem, type TradehubError,
} from '@tradehub/client';
import { nowSeconds, signToken, validClaims } from './support/auth-helpers.js';
import { READER } from './support/client-fixtures.js';
import { waitUntil } from './support/wait.js';
import { accountEnvelope, closedPort, MisbehavingHub, plainHttpServer, silentServer } from './support/misbehaving-hub.js';
import { nodeWithClientPool } from './support/tradehub-app.js';

/** Runs `work` and checks that it failed with `type` within `withinMs`. */
async function failsFast<E extends Error>(work: () => Promise<unknown>, type: new (...args: never[]) => E, withinMs: number): Promise<E> {
  const started = Date.now();
  let caught: unknown;
  try {
    await work();
  } catch (error) {
    caught = error;
  }
  const elapsed = Date.now() - started;
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
  assert.ok(elapsed <= withinMs, `failed after ${elapsed} ms, expected within ${withinMs} ms`);
  return caught;
}

describe('client: bad input gives clear typed errors, bounded in time', function () {
  this.timeout(20_000);
  const { node, pool } = nodeWithClientPool();

  it('refuses options that cannot work before touching the network', async () => {
    await assert.rejects(connect({ url: node().baseUrl, credentials: READER, protocol: 'xml' as 'json' }), (error: unknown) => {
      assert.ok(error instanceof ProtocolNotSupportedError);
      assert.equal(error.message, "tradehub does not speak the 'xml' hub protocol; use 'json' or 'msgpack'.");
      return true;
    });
    await assert.rejects(connect({ url: node().baseUrl, credentials: READER, protocol: 'msgpack', transport: 'serverSentEvents' }), ConfigurationError);
    await assert.rejects(connect({ url: node().baseUrl }), ConfigurationError);
    await assert.rejects(connect({ url: node().baseUrl, token: 'a', credentials: READER }), ConfigurationError);
    await assert.rejects(connect({ url: 'ftp://example.test', token: 'a' }), ConfigurationError);
    await assert.rejects(connect({ url: 'not a url', token: 'a' }), ConfigurationError);
    await assert.rejects(connect({ url: [], token: 'a' }), ConfigurationError);
  });

  it('a wrong URL: nothing listening is ServerUnreachableError, quickly, with any kind of credentials', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const byCredentials = await failsFast(() => connect({ url, credentials: READER }), ServerUnreachableError, 3_000);
    assert.equal(byCredentials.url, url);
    await failsFast(() => connect({ url, token: 'some-token' }), ServerUnreachableError, 3_000);
  });

  it('refused client credentials: CredentialsRefusedError with the OAuth error, without the secret', async () => {
    const wrong = 'wrong-secret-0123456789';
    const error = await failsFast(() => connect({ url: node().baseUrl, credentials: { clientId: 'demo-reader', clientSecret: wrong } }), CredentialsRefusedError, 3_000);
    assert.equal(error.status, 401);
    assert.equal(error.oauthError, 'invalid_client');
    assert.ok(!error.message.includes(wrong));
    const scope = await failsFast(() => connect({ url: node().baseUrl, credentials: { ...READER, scope: 'admin' } }), CredentialsRefusedError, 3_000);
    assert.equal(scope.oauthError, 'invalid_scope');
  });

  it('a refused token: TokenRefusedError; a fixed token that expires ends the client with it, streams included', async () => {
    await failsFast(() => connect({ url: node().baseUrl, token: 'not-a-valid-token-at-all' }), TokenRefusedError, 3_000);
    const client = await pool.connect({ url: node().baseUrl, token: signToken(validClaims({ exp: nowSeconds() + 2 })) });
    const changes: ConnectionStateChange[] = [];
    client.on('connection', (change) => changes.push(change));
    const items: TopicItem[] = [];
    const failure = (async () => {
      for await (const item of client.events(Topics.status('demo'))) items.push(item);
    })().then(() => undefined, (error: unknown) => error);
    const error = await failure;
    assert.ok(error instanceof TokenRefusedError, String(error));
    assert.deepEqual(items.map((i) => i.kind), ['snapshot']);
    assert.equal(changes.at(-1)?.state, 'disconnected');
    assert.ok(changes.at(-1)?.reason instanceof TokenRefusedError);
    assert.equal(client.connectionState, 'disconnected');
  });

  it('a server that is not SignalR: NotSignalRServerError, for 404s and for pages that are not negotiations', async () => {
    const notFound = await plainHttpServer(404, 'Not Found', 'text/plain');
    const page = await plainHttpServer(200, '<html><body>hello</body></html>');
    try {
      await failsFast(() => connect({ url: notFound.baseUrl, token: 'some-token' }), NotSignalRServerError, 3_000);
      await failsFast(() => connect({ url: notFound.baseUrl, credentials: READER }), NotSignalRServerError, 3_000);
      const error = await failsFast(() => connect({ url: page.baseUrl, token: 'some-token' }), NotSignalRServerError, 3_000);
      assert.equal(error.url, page.baseUrl);
    } finally {
      await notFound.close();
      await page.close();
    }
  });

  it('a server that never answers: TimeoutError within the configured time-outs', async () => {
    const silent = await silentServer();
    try {
      await failsFast(() => connect({ url: silent.baseUrl, token: 'some-token', timeouts: { connectMs: 500 } }), TimeoutError, 2_000);
      await failsFast(() => connect({ url: silent.baseUrl, credentials: READER, timeouts: { requestMs: 500 } }), TimeoutError, 2_000);
    } finally {
      await silent.close();
    }
  });

  it('with several nodes, skips a dead one and connects to the next', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const client = await pool.connect({ url: [dead, node().baseUrl], credentials: READER });
    assert.equal(client.node, node().baseUrl);
    assert.equal((await client.serverInfo()).nodeId, node().app.nodeId);
  });

  describe('a misbehaving server', () => {
    const topic = Topics.account('demo', '5001');
    let bad: MisbehavingHub;
    afterEach(async () => {
      await bad.close();
    });

    it('drops malformed envelopes, reports each, and delivers the valid ones', async () => {
      bad = await MisbehavingHub.start({
        subscribeAnswer: (topics) => topics.map((name) => ({
          topic: name, status: 'snapshot', epoch: 'e1', seq: 0,
          snapshot: { kind: 'accounts', accounts: [{ login: '5001', account: null, positions: [], orders: [] }] },
        })),
        afterSubscribe: [
          ['OnEvent', { hello: 'not an envelope' }],
          ['OnEvent', accountEnvelope(topic, '5001', 1, 'e1')],
          ['OnEvent', { ...accountEnvelope(topic, '5001', 2, 'e1'), data: { login: '5001', volume: 'lots' } }],
          ['OnEvent', accountEnvelope(topic, '5001', 2, 'e1')],
          ['OnEvent', { ...accountEnvelope(topic, '5001', 3, 'e1'), topic: Topics.account('demo', '5002') }],
          ['OnResync', { topic, reason: 'no such reason' }],
        ],
        serverInfoDelayMs: 0,
      });
      const client = await pool.connect({ url: bad.baseUrl, token: 'anything-goes-here' });
      const reported: TradehubError[] = [];
      client.on('error', (error) => reported.push(error));
      const items: TopicItem[] = [];
      await client.subscribe(topic, (item) => items.push(item));
      await waitUntil(() => items.length === 3 && reported.length === 4, 'two events and four reports');
      assert.deepEqual(items.map((i) => i.kind === 'event' ? i.event.seq : i.kind), ['snapshot', 1, 2]);
      assert.ok(reported.every((error) => error instanceof MalformedServerMessageError));
      assert.match(reported[0]?.message ?? '', /Dropped a malformed OnEvent envelope/);
      assert.match(reported[2]?.message ?? '', /a 'deal' event does not belong on topic 'platforms\/demo\/accounts\/5002'/);
      assert.match(reported[3]?.message ?? '', /OnResync/);
    });

    it('a malformed Subscribe answer is reported, and the subscription times out instead of hanging', async () => {
      bad = await MisbehavingHub.start({ subscribeAnswer: (topics) => topics.map((name) => ({ topic: name, status: 'snapshot' })), afterSubscribe: [], serverInfoDelayMs: 0 });
      const client = await pool.connect({ url: bad.baseUrl, token: 'anything-goes-here', timeouts: { requestMs: 800 } });
      const reported: TradehubError[] = [];
      client.on('error', (error) => reported.push(error));
      await failsFast(() => client.subscribe(topic, () => undefined), TimeoutError, 2_000);
      assert.ok(reported.some((error) => error instanceof MalformedServerMessageError && /Subscribe answer/.test(error.message)));
    });

    it('a Subscribe answer without the topic is reported and asked again with backoff, not in a loop', async () => {
      bad = await MisbehavingHub.start({ subscribeAnswer: () => [], afterSubscribe: [], serverInfoDelayMs: 0 });
      const client = await pool.connect({ url: bad.baseUrl, token: 'anything-goes-here', timeouts: { requestMs: 1_000 } });
      const reported: TradehubError[] = [];
      client.on('error', (error) => reported.push(error));
      await failsFast(() => client.subscribe(topic, () => undefined), TimeoutError, 2_000);
      assert.ok(reported.some((error) => /has no result for/.test(error.message)));
      assert.ok(bad.subscribeCalls >= 2 && bad.subscribeCalls <= 6, `${bad.subscribeCalls} Subscribe calls in 1 s`);
    });

    it('a hub method that does not answer in time: TimeoutError', async () => {
      bad = await MisbehavingHub.start({ subscribeAnswer: () => [], afterSubscribe: [], serverInfoDelayMs: 3_000 });
      const client = await pool.connect({ url: bad.baseUrl, token: 'anything-goes-here', timeouts: { requestMs: 300 } });
      await failsFast(() => client.serverInfo(), TimeoutError, 1_500);
    });
  });

  it('never writes a token or a secret to its logger', async () => {
    const lines: string[] = [];
    const logger = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const tokens: string[] = [];
    const client = await pool.connect({
      url: node().baseUrl,
      logger,
      tokenFactory: () => {
        tokens.push(signToken(validClaims({ exp: nowSeconds() + 2 })));
        return tokens.at(-1) as string;
      },
    });
    await client.subscribe(Topics.status('demo'), () => undefined);
    await waitUntil(() => tokens.length >= 3, 'a reconnect after the token expired', 6_000);
    const withCredentials = await pool.connect({ url: node().baseUrl, credentials: READER, logger });
    await withCredentials.serverInfo();
    await failsFast(() => connect({ url: node().baseUrl, credentials: { clientId: 'demo-reader', clientSecret: 'a-wrong-secret-value' }, logger }), CredentialsRefusedError, 3_000);
    assert.ok(lines.length > 5, 'the logger was used');
    const text = lines.join('\n');
    for (const token of tokens) assert.ok(!text.includes(token), 'a token reached the log');
    assert.ok(!text.includes(READER.clientSecret) && !text.includes('a-wrong-secret-value'), 'a secret reached the log');
    assert.ok(!/eyJ[\w-]+\.[\w-]+\./.test(text), 'something shaped like a JWT reached the log');
  });
});
