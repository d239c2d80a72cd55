import assert from 'node:assert/strict';
import { Topics } from '@tradehub/shared';
import { HubConnectionState } from '@microsoft/signalr';
import { DEMO_PUBLISHER, DEMO_READER, negotiate, signToken, validClaims, withTestSecret } from './support/auth-helpers.js';
import { PrometheusText } from './support/prometheus-text.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { ev, TradeClient, withRedis } from './support/trade-helpers.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

const TICKS = (symbol: string): string => Topics.ticks('demo', symbol);

describe('metrics, health and request ids', () => {
  const running: RunningTradehub[] = [];
  const clients: TradeClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
    await Promise.all(running.splice(0).map((node) => node.close()));
  });

  async function start(options: Parameters<typeof startTradehub>[0] = {}): Promise<RunningTradehub> {
    const node = await startTradehub(options);
    running.push(node);
    return node;
  }

  async function connect(node: RunningTradehub, who: { id: string; secret: string } | string): Promise<TradeClient> {
    const token = typeof who === 'string' ? who : await clientToken(node.baseUrl, who.id, who.secret);
    const client = await TradeClient.connect(node.tradeHubUrl, token);
    clients.push(client);
    return client;
  }

  it('counts connections, invocations, messages, deliveries and refused tokens as they happen', async () => {
    const node = await start({ config: withTestSecret });
    const scrape = (): Promise<PrometheusText> => PrometheusText.scrape(`${node.baseUrl}/metrics`);
    const connection = { hub: 'trade', transport: 'web_sockets', protocol: 'json' };
    const before = await scrape();
    assert.equal(before.value('signalr_server_active_connections', connection), 0);
    assert.ok(before.series.has('process_cpu_seconds_total'), 'process metrics are exposed');

    const readers = [await connect(node, DEMO_READER), await connect(node, DEMO_READER)];
    const publisher = await connect(node, DEMO_PUBLISHER);
    for (const reader of readers) await reader.subscribeOne(TICKS('EURUSD'));
    await publisher.publish([ev.tick('EURUSD', 1.1), ev.tick('EURUSD', 1.2), ev.account('5001', 100)]);
    for (const reader of readers) await reader.waitForEvents(2, TICKS('EURUSD'));
    await readers[0]?.connection.invoke('GetPlatforms');
    await assert.rejects(readers[0]?.connection.invoke('NoSuchMethod') ?? Promise.resolve());
    for (const bad of [signToken(validClaims(), { key: 'not-the-server-secret-but-forty-chars-xx' }), 'garbage']) {
      assert.equal((await negotiate(node.tradeHubUrl, bad)).status, 401);
    }

    const during = await scrape();
    assert.equal(during.value('signalr_server_active_connections', connection), 3);
    assert.equal(during.value('tradehub_hub_invocations_total', { hub: 'trade', method: 'GetPlatforms', outcome: 'ok' }), 1);
    assert.equal(during.value('tradehub_hub_invocations_total', { hub: 'trade', method: 'Subscribe', outcome: 'ok' }), 2);
    assert.equal(during.value('tradehub_hub_invocations_total', { hub: 'trade', method: '_unknown', outcome: 'refused' }), 1);
    assert.equal(during.value('tradehub_hub_invocation_duration_seconds_count', { hub: 'trade', method: 'Publish' }), 1);
    assert.ok(during.value('tradehub_hub_messages_total', { hub: 'trade', direction: 'in' }) >= 5);
    assert.ok(during.value('tradehub_hub_bytes_total', { hub: 'trade', direction: 'out' }) > during.value('tradehub_hub_bytes_total', { hub: 'trade', direction: 'in' }) / 10);
    assert.equal(during.value('tradehub_events_published_total', { kind: 'ticks' }), 2);
    assert.equal(during.value('tradehub_events_published_total', { kind: 'accounts' }), 1);
    assert.equal(during.value('tradehub_events_delivered_total', { kind: 'ticks' }), 4);
    assert.ok(during.value('tradehub_fanout_latency_seconds_count') >= 2);
    assert.ok(during.value('tradehub_auth_successes_total') >= 3);
    assert.equal(during.value('tradehub_auth_failures_total', { reason: 'invalid_token' }), 2);
    assert.equal(during.value('tradehub_logins_total', { outcome: 'valid' }), 3);
    await assert.rejects(clientToken(node.baseUrl, DEMO_READER.id, 'not-the-secret'));
    assert.equal((await scrape()).value('tradehub_logins_total', { outcome: 'invalid' }), 1);

    await Promise.all(clients.splice(0).map((client) => client.stop()));
    await waitUntil(async () => (await scrape()).value('signalr_server_active_connections', connection) === 0, 'the connections to be no longer counted');
    const after = await scrape();
    assert.equal(after.value('signalr_server_connection_duration_seconds_count', { ...connection, status: 'normal_closure' }), 3);
  });

  it('keeps the number of series the same whether 1 or 51 connections follow 1 or 51 topics', async () => {
    const node = await start();
    const scrape = (): Promise<PrometheusText> => PrometheusText.scrape(`${node.baseUrl}/metrics`);
    const own = (text: PrometheusText): string[] => text.seriesStartingWith(['signalr_', 'tradehub_']).sort();
    const publisher = await connect(node, DEMO_PUBLISHER);
    const readerToken = await clientToken(node.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const follow = async (symbol: string): Promise<void> => {
      const reader = await connect(node, readerToken);
      await reader.subscribeOne(TICKS(symbol));
      await publisher.publish([ev.tick(symbol, 1.1)]);
      await reader.waitForEvents(1, TICKS(symbol));
      await reader.connection.invoke('GetPlatforms');
    };
    await follow('FIRST');
    const base = own(await scrape());

    await Promise.all(Array.from({ length: 50 }, (_, index) => follow(`SYM${index}`)));
    const loaded = await scrape();
    assert.equal(loaded.value('signalr_server_active_connections', { hub: 'trade', transport: 'web_sockets', protocol: 'json' }), 52);
    assert.equal(loaded.value('tradehub_events_delivered_total', { kind: 'ticks' }), 51);
    assert.deepEqual(own(loaded), base, 'series appeared with more connections and topics');
    assert.ok(![...loaded.series.keys()].some((series) => /SYM\d|connectionId|topic=/.test(series)), 'a label names a topic or a connection');
  });

  it('answers /metrics only with its bearer token when one is configured', async () => {
    const token = 'metrics-scrape-token-4711';
    const node = await start({ config: (config) => ({ ...config, metrics: { ...config.metrics, token: 'env:METRICS_TOKEN' } }), env: { METRICS_TOKEN: token } });
    const refused = await fetch(`${node.baseUrl}/metrics`);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    assert.equal((await fetch(`${node.baseUrl}/metrics`, { headers: { Authorization: 'Bearer wrong-token' } })).status, 401);
    const scraped = await PrometheusText.scrape(`${node.baseUrl}/metrics`, { Authorization: `Bearer ${token}` });
    assert.ok(scraped.series.has('tradehub_terminals_online'));
  });

  it('serves /metrics on a port of its own when metrics.port is set, and not beside the hubs', async () => {
    const node = await start({ config: (config) => ({ ...config, metrics: { ...config.metrics, port: 0 } }) });
    const address = node.app.metricsAddress;
    assert.ok(address, 'the metrics listener has an address');
    assert.notEqual(address.port, new URL(node.baseUrl).port);
    assert.equal((await fetch(`${node.baseUrl}/metrics`)).status, 404);
    await connect(node, DEMO_READER);
    const scraped = await PrometheusText.scrape(`http://127.0.0.1:${address.port}/metrics`);
    assert.equal(scraped.value('signalr_server_active_connections', { hub: 'trade', transport: 'web_sockets', protocol: 'json' }), 1);
    assert.equal((await fetch(`http://127.0.0.1:${address.port}/health/ready`)).status, 404);
  });

  it('answers readiness 503 draining while a graceful shutdown closes the connections, and refuses new ones', async () => {
    const node = await start({ config: (config) => ({ ...config, shutdown: { drainDelayMs: 3_000 } }) });
    const ready = async (): Promise<{ status: number; body: { status: string } }> => {
      const response = await fetch(`${node.baseUrl}/health/ready`);
      return { status: response.status, body: (await response.json()) as { status: string } };
    };
    assert.deepEqual((await ready()).body.status, 'ready');
    const client = await connect(node, DEMO_READER);
    const token = await clientToken(node.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    running.splice(running.indexOf(node), 1);
    const closing = node.close();
    try {
      await waitUntil(() => client.connection.state !== HubConnectionState.Connected, 'the client to be told to leave');
      const draining = await ready();
      assert.equal(draining.status, 503);
      assert.equal(draining.body.status, 'draining');
      assert.equal((await fetch(`${node.baseUrl}/health/live`)).status, 200);
      assert.equal((await negotiate(node.tradeHubUrl, token)).status, 503);
      const closedByShutdown = async (): Promise<number> => (await PrometheusText.scrape(`${node.baseUrl}/metrics`))
        .value('signalr_server_connection_duration_seconds_count', { hub: 'trade', transport: 'web_sockets', protocol: 'json', status: 'app_shutdown' });
      await waitUntil(async () => (await closedByShutdown()) === 1, 'the connection to be counted as closed by the shutdown');
    } finally {
      await closing;
    }
  });

  it('writes one access log line per request at logging.accessLogLevel, and none when it is off', async () => {
    const linesAt = async (accessLogLevel: 'warn' | 'off'): Promise<Array<{ level: number; msg: string; requestId?: string; status?: number; url?: string }>> => {
      const logLines: string[] = [];
      const node = await start({ logLines, config: (config) => ({ ...config, logging: { accessLogLevel } }) });
      await fetch(`${node.baseUrl}/api/platforms?access_token=not-a-token`, { headers: { 'X-Request-Id': 'scrape-1' } });
      await node.close();
      running.splice(running.indexOf(node), 1);
      return logLines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.msg === 'http request');
    };
    const warned = await linesAt('warn');
    assert.equal(warned.length, 1);
    assert.deepEqual({ ...warned[0], time: undefined, durationMs: undefined, pid: undefined, hostname: undefined }, {
      level: 40, msg: 'http request', requestId: 'scrape-1', method: 'GET', url: '/api/platforms?access_token=[redacted]', status: 400,
      remoteAddress: '127.0.0.1', time: undefined, durationMs: undefined, pid: undefined, hostname: undefined,
    });
    assert.deepEqual(await linesAt('off'), []);
  });

  it('echoes a sane X-Request-Id and replaces any other with a new one', async () => {
    const node = await start();
    const idOf = async (sent?: string): Promise<string | null> =>
      (await fetch(`${node.baseUrl}/health/live`, { headers: sent === undefined ? {} : { 'X-Request-Id': sent } })).headers.get('x-request-id');
    assert.equal(await idOf('edge-7f3a.42'), 'edge-7f3a.42');
    const fresh = await idOf();
    assert.match(fresh ?? '', /^[0-9a-f-]{36}$/);
    for (const insane of ['two words', 'x'.repeat(200), '"quoted"']) {
      const replaced = await idOf(insane);
      assert.match(replaced ?? '', /^[0-9a-f-]{36}$/, `kept '${insane.slice(0, 20)}'`);
    }
  });

  it('measures Redis calls when Redis is configured', async () => {
    const keyPrefix = uniqueKeyPrefix();
    try {
      const node = await start({ redis: { url: SHARED_REDIS_URL, keyPrefix } });
      const publisher = await connect(node, DEMO_PUBLISHER);
      await publisher.publish([ev.tick('EURUSD', 1.1)]);
      const scraped = await PrometheusText.scrape(`${node.baseUrl}/metrics`);
      assert.ok(scraped.value('tradehub_redis_command_duration_seconds_count') > 0, 'no Redis call was timed');
      assert.equal(scraped.value('tradehub_redis_command_errors_total', { kind: 'error' }), 0);
      assert.equal(scraped.value('tradehub_events_published_total', { kind: 'ticks' }), 1);
      // Events fed through the Redis ingest stream count as published, with their lag.
      await withRedis(SHARED_REDIS_URL, (redis) => redis.xAdd(`${keyPrefix}:ingest`, '*', { events: JSON.stringify([ev.depth('EURUSD', 1.1)]) }));
      await waitUntil(async () => (await PrometheusText.scrape(`${node.baseUrl}/metrics`)).value('tradehub_ingest_lag_seconds_count') === 1, 'the ingest lag to be measured');
      assert.equal((await PrometheusText.scrape(`${node.baseUrl}/metrics`)).value('tradehub_events_published_total', { kind: 'depth' }), 1);
    } finally {
      await Promise.all(clients.splice(0).map((client) => client.stop()));
      await Promise.all(running.splice(0).map((node) => node.close()));
      await deleteKeys(SHARED_REDIS_URL, keyPrefix);
    }
  });
});
