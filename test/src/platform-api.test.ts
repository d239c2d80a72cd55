import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import { BrokerUnavailableError } from '@tradehub/server';
import type { SubscribeResult, TradeEnvelope } from '@tradehub/shared';
import { ApiClient, events, withSecondTenant } from './support/http-api.js';
import { officialClient } from './support/official-client.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

describe('platform REST API', () => {
  let hub: RunningTradehub;
  let api: ApiClient;
  let reader: string;
  let publisher: string;
  let admin: string;
  let otherPublisher: string;
  /** Terminal token for demo / 1001 with the default scopes (trade.read, trade.publish). */
  let terminal: string;
  let terminalPublishOnly: string;

  before(async () => {
    hub = await startTradehub({ config: withSecondTenant });
    api = new ApiClient(hub.baseUrl);
    ({ reader, publisher, admin, otherPublisher, terminal, terminalPublishOnly } = await api.standardTokens());
  });
  after(async () => {
    await hub.close();
  });

  const publish = (token: string, platform: string, list: unknown[]) =>
    api.request('POST', `/api/platforms/${platform}/events`, { token, json: { events: list } });
  const account = (token: string, platform: string, login: string) =>
    api.request('GET', `/api/platforms/${platform}/accounts/${login}`, { token });

  describe('POST /api/platforms/{id}/events', () => {
    it('publishes events that the account endpoint reads back', async () => {
      const published = await publish(publisher, 'demo', [
        events.account('2001', 10_000),
        events.position('2001', '501', 10_000),
        events.position('2001', '502', 20_000),
        events.order('2001', '601', 'placed'),
      ]);
      assert.equal(published.status, 200, published.text);
      assert.equal(published.headers.get('cache-control'), 'no-store');
      assert.deepEqual(published.body, {
        results: [1, 2, 3, 4].map((seq) => ({ topic: 'platforms/demo/accounts/2001', seq, duplicate: false })),
      });

      const read = await account(reader, 'demo', '2001');
      assert.equal(read.status, 200, read.text);
      assert.equal(read.body.platform, 'demo');
      assert.equal(read.body.login, '2001');
      assert.equal(read.body.account.balance, 10_000);
      assert.deepEqual(read.body.positions.map((p: { position: string }) => p.position), ['501', '502']);
      assert.deepEqual(read.body.orders.map((o: { order: string }) => o.order), ['601']);
      assert.equal(read.body.seq, 4);
      assert.equal(typeof read.body.epoch, 'string');

      // A closed position and a filled order leave the snapshot.
      await publish(publisher, 'demo', [events.position('2001', '501', 0), events.order('2001', '601', 'filled')]);
      const after = await account(reader, 'demo', '2001');
      assert.deepEqual(after.body.positions.map((p: { position: string }) => p.position), ['502']);
      assert.deepEqual(after.body.orders, []);
      assert.equal(after.body.seq, 6);
      assert.equal(after.body.epoch, read.body.epoch);
    });

    it('accepts an event that names the platform of the URL', async () => {
      const response = await publish(publisher, 'demo', [{ ...events.account('2002', 1), platformId: 'demo' }]);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.results, [{ topic: 'platforms/demo/accounts/2002', seq: 1, duplicate: false }]);
    });

    it('stores a republished id once and answers it with the original seq', async () => {
      const batch = [events.account('2003', 100, 'acc-2003-1'), events.position('2003', '701', 10_000, 'pos-2003-1')];
      const first = await publish(publisher, 'demo', batch);
      assert.deepEqual(first.body.results, [
        { topic: 'platforms/demo/accounts/2003', seq: 1, duplicate: false },
        { topic: 'platforms/demo/accounts/2003', seq: 2, duplicate: false },
      ]);
      const again = await publish(publisher, 'demo', [events.account('2003', 999, 'acc-2003-1'), events.position('2003', '702', 10_000, 'pos-2003-2')]);
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.body.results, [
        { topic: 'platforms/demo/accounts/2003', seq: 1, duplicate: true },
        { topic: 'platforms/demo/accounts/2003', seq: 3, duplicate: false },
      ]);
      const read = await account(reader, 'demo', '2003');
      assert.equal(read.body.seq, 3);
      assert.equal(read.body.account.balance, 100, 'the duplicate did not change the state');
    });

    it('refuses invalid events by index and field, and stores none of the batch', async () => {
      const token = publisher;
      const connection = officialClient(hub.tradeHubUrl, { accessTokenFactory: () => reader });
      const received: TradeEnvelope[] = [];
      connection.on('OnConnectionStatus', () => undefined);
      connection.on('OnEvent', (envelope: TradeEnvelope) => received.push(envelope));
      await connection.start();
      try {
        const [subscribed] = await connection.invoke('Subscribe', ['platforms/demo/accounts/2004']) as SubscribeResult[];
        assert.equal(subscribed?.status === 'snapshot' && subscribed.seq, 0);

        const invalid = await publish(token, 'demo', [events.account('2004', 5, 'acc-2004'), events.tick('EURUSD', 'x')]);
        assert.equal(invalid.status, 400);
        assert.deepEqual(invalid.body, {
          error: 'invalid_request',
          error_description: 'Invalid events: event 1 (data.bid): Invalid input: expected number, received string',
        });

        const mismatch = await publish(token, 'demo', [events.account('2004', 5), { ...events.account('2004', 6), platformId: 'demo-b' }]);
        assert.equal(mismatch.status, 400);
        assert.equal(mismatch.body.error_description, "Invalid events: event 1 (platformId): must be 'demo', the platform of the URL");

        const several = await publish(token, 'demo', ['text', { type: 'nope', data: {} }, { ...events.account('2004', 1), extra: true }]);
        assert.equal(several.status, 400);
        assert.equal(several.body.error_description, [
          'Invalid events: event 0: Invalid input: expected object, received string',
          "event 1 (type): Invalid discriminator value. Expected 'tick' | 'deal' | 'order' | 'position' | 'account' | 'margin' | 'platform.status' | 'symbol' | 'depth' | 'terminal.status'",
          'event 2: Unrecognized key: "extra"',
        ].join('; '));

        const badLogin = await publish(token, 'demo', [events.account('12a', 5)]);
        assert.equal(badLogin.body.error_description, 'Invalid events: event 0 (data.login): must be a decimal id of at most 20 digits');

        // Nothing reached the subscriber or the state, and the refused batch's id was not recorded.
        const read = await account(reader, 'demo', '2004');
        assert.equal(read.body.seq, 0);
        assert.equal(read.body.account, null);
        const retried = await publish(token, 'demo', [events.account('2004', 5, 'acc-2004')]);
        assert.deepEqual(retried.body.results, [{ topic: 'platforms/demo/accounts/2004', seq: 1, duplicate: false }]);
        // The accepted retry is the sentinel: events of a topic arrive in order, so anything the
        // refused batches had broadcast would have come before it.
        await waitUntil(() => received.length >= 1, 'the retried event');
        assert.deepEqual(received.map((envelope) => envelope.seq), [1]);
      } finally {
        await connection.stop();
      }
    });

    it('refuses bodies that are not {"events": [...]}', async () => {
      const cases: Array<[unknown, string]> = [
        [{ events: [] }, 'Invalid events: events: Too small: expected array to have >=1 items'],
        [{ events: {} }, 'Invalid events: events: Invalid input: expected array, received object'],
        [{}, 'The body must be a JSON object {"events": [...]}.'],
        [[events.account('2005', 1)], 'The body must be a JSON object {"events": [...]}.'],
        [{ events: [events.account('2005', 1)], more: 1 }, 'The body must be a JSON object {"events": [...]}.'],
      ];
      for (const [json, description] of cases) {
        const response = await api.request('POST', '/api/platforms/demo/events', { token: publisher, json });
        assert.equal(response.status, 400, JSON.stringify(json));
        assert.deepEqual(response.body, { error: 'invalid_request', error_description: description });
      }
      const notJson = await api.request('POST', '/api/platforms/demo/events', {
        token: publisher, body: '{"events": [', headers: { 'content-type': 'application/json' },
      });
      assert.equal(notJson.status, 400);
      assert.equal(notJson.body.error_description, 'The request body is not valid JSON.');
      const text = await api.request('POST', '/api/platforms/demo/events', { token: publisher, body: '{"events": []}', headers: { 'content-type': 'text/plain' } });
      assert.equal(text.status, 415);
      assert.equal(text.body.error_description, 'The request body must be application/json.');
    });

    it('answers 413 for a body over 1 MB', async () => {
      const big = JSON.stringify({ events: [{ type: 'tick', data: { symbol: 'EURUSD', pad: 'x'.repeat(1024 * 1024) } }] });
      const response = await api.request('POST', '/api/platforms/demo/events', { token: publisher, body: big, headers: { 'content-type': 'application/json' } });
      assert.equal(response.status, 413);
      assert.equal(response.body.error_description, 'The request body is too large.');
    });

    it('refuses a token without trade.publish, and logins or platforms outside the token (403)', async () => {
      const noScope = await publish(reader, 'demo', [events.account('2006', 1)]);
      assert.equal(noScope.status, 403);
      assert.deepEqual(noScope.body, { error: 'insufficient_scope', error_description: "This request needs the 'trade.publish' scope." });
      assert.match(noScope.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="trade.publish"/);

      const otherLogin = await publish(terminal, 'demo', [events.account('1001', 1), events.account('1002', 1)]);
      assert.equal(otherLogin.status, 403);
      assert.deepEqual(otherLogin.body, {
        error: 'forbidden', error_description: "Event 1: Publishing to topic 'platforms/demo/accounts/1002' is not allowed.",
      });
      // Refused as a whole: not even the allowed event was stored.
      assert.equal((await account(reader, 'demo', '1001')).body.seq, 0);

      const otherPlatform = await publish(terminal, 'demo-b', [events.account('1001', 1)]);
      assert.equal(otherPlatform.status, 403);
      assert.equal(otherPlatform.body.error_description, "This token does not reach platform 'demo-b'.");

      const own = await publish(terminal, 'demo', [events.account('1001', 42)]);
      assert.equal(own.status, 200, own.text);
      assert.equal((await account(terminal, 'demo', '1001')).body.account.balance, 42);
    });

    it("answers another organization's platform as unknown (404)", async () => {
      const foreign = await publish(publisher, 'other-mt5', [events.account('2007', 1)]);
      const unknown = await publish(publisher, 'nowhere', [events.account('2007', 1)]);
      assert.equal(foreign.status, 404);
      assert.deepEqual(foreign.body, { error: 'not_found', error_description: "Unknown platform 'other-mt5'." });
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.body, { error: 'not_found', error_description: "Unknown platform 'nowhere'." });
      const theirs = await publish(otherPublisher, 'demo', [events.account('2007', 1)]);
      assert.equal(theirs.status, 404);
      assert.equal(theirs.body.error_description, "Unknown platform 'demo'.");
      // The other organization publishes to its own platform.
      const own = await publish(otherPublisher, 'other-mt5', [events.account('2007', 1)]);
      assert.equal(own.status, 200, own.text);
      assert.equal((await account(reader, 'demo', '2007')).body.seq, 0, 'nothing leaked into the demo platform');
    });

    it('answers 503 with Retry-After while the broker is unavailable', async () => {
      const broker = hub.app.trade.broker;
      const original = broker.publish;
      broker.publish = async () => {
        throw new BrokerUnavailableError('The event store cannot be reached; retry later.');
      };
      try {
        const response = await publish(publisher, 'demo', [events.account('2008', 1)]);
        assert.equal(response.status, 503);
        assert.equal(response.headers.get('retry-after'), '5');
        assert.deepEqual(response.body, { error: 'temporarily_unavailable', error_description: 'The event store cannot be reached; retry later.' });
      } finally {
        broker.publish = original;
      }
      assert.equal((await publish(publisher, 'demo', [events.account('2008', 1)])).status, 200);
    });

    it('needs a bearer token in the Authorization header', async () => {
      const none = await api.request('POST', '/api/platforms/demo/events', { json: { events: [events.account('2009', 1)] } });
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="tradehub"');
      const bad = await api.request('POST', '/api/platforms/demo/events', { token: 'not-a-token', json: { events: [] } });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.error, 'invalid_token');
      const inQuery = await api.request('POST', `/api/platforms/demo/events?access_token=${publisher}`, { json: { events: [] } });
      assert.equal(inQuery.status, 400);
      assert.equal(inQuery.body.error, 'invalid_request');
    });
  });

  describe('GET /api/platforms/{id}/ping', () => {
    it('answers the latest platform status, or null before any', async () => {
      const before = await api.request('GET', '/api/platforms/demo-b/ping', { token: reader });
      assert.equal(before.status, 200, before.text);
      assert.equal(before.body.platform, 'demo-b');
      assert.equal(before.body.status, null);
      assert.ok(Math.abs(before.body.serverTime - Date.now()) < 5_000);

      await publish(publisher, 'demo-b', [events.status('connected'), events.status('stale')]);
      const after = await api.request('GET', '/api/platforms/demo-b/ping', { token: reader });
      assert.equal(after.body.status.state, 'stale');
      assert.equal(after.body.status.serverTimeOffsetMs, 7_200_000);
    });

    it('works for any token that reaches the platform, and no other', async () => {
      const publishOnly = await api.request('GET', '/api/platforms/demo/ping', { token: terminalPublishOnly });
      assert.equal(publishOnly.status, 200, publishOnly.text);
      assert.equal(publishOnly.body.platform, 'demo');
      const notReached = await api.request('GET', '/api/platforms/demo-b/ping', { token: terminal });
      assert.equal(notReached.status, 403);
      const foreign = await api.request('GET', '/api/platforms/demo/ping', { token: otherPublisher });
      assert.equal(foreign.status, 404);
      assert.deepEqual(foreign.body, { error: 'not_found', error_description: "Unknown platform 'demo'." });
      const none = await api.request('GET', '/api/platforms/demo/ping');
      assert.equal(none.status, 401);
    });
  });

  describe('GET /api/platforms/{id}/accounts/{login}', () => {
    it('answers an empty state for a login without events', async () => {
      const response = await account(reader, 'demo', '3999');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.deepEqual({ ...response.body, epoch: undefined }, {
        platform: 'demo', login: '3999', account: null, positions: [], orders: [], epoch: undefined, seq: 0,
      });
    });

    it('shows a login-restricted token only its own login', async () => {
      const own = await account(terminal, 'demo', '1001');
      assert.equal(own.status, 200, own.text);
      const other = await account(terminal, 'demo', '1002');
      assert.equal(other.status, 403);
      assert.deepEqual(other.body, { error: 'forbidden', error_description: "Access to topic 'platforms/demo/accounts/1002' is not allowed." });
    });

    it('refuses without trade.read (403), a foreign platform (404) and a malformed login (400)', async () => {
      const noScope = await account(terminalPublishOnly, 'demo', '1001');
      assert.equal(noScope.status, 403);
      assert.equal(noScope.body.error, 'insufficient_scope');
      const foreign = await account(reader, 'other-mt5', '2007');
      assert.equal(foreign.status, 404);
      assert.deepEqual(foreign.body, { error: 'not_found', error_description: "Unknown platform 'other-mt5'." });
      const theirs = await account(otherPublisher, 'demo', '2001');
      assert.equal(theirs.status, 404);
      const malformed = await account(reader, 'demo', 'abc');
      assert.equal(malformed.status, 400);
      assert.deepEqual(malformed.body, { error: 'invalid_request', error_description: 'The login must be a decimal MetaTrader id of at most 20 digits.' });
      const weird = await account(reader, '%22%3Cscript%3E', '1001');
      assert.equal(weird.status, 404);
      assert.equal(weird.body.error_description, 'Unknown platform.');
    });
  });
});
