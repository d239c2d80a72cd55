import assert from 'node:assert/strict';
import { Subject, type HubConnection } from '@microsoft/signalr';
import type { SubscribeResult, TopicResult, TopicStreamItem, TradeEnvelope } from '@tradehub/shared';
import { officialClient } from './support/official-client.js';
import { StreamReader } from './support/streams.js';
import { waitUntil } from './support/wait.js';
import { clientToken, startTradehub, type RunningTradehub } from './support/tradehub-app.js';

const tick = (symbol: string, bid: number) => ({
  type: 'tick', platformId: 'demo', data: { symbol, bid, ask: bid + 0.0002, time: Date.now() },
});

function asResult(item: TopicStreamItem | undefined): TopicResult {
  assert.ok(item && 'status' in item, `expected a topic result first, got ${JSON.stringify(item)}`);
  return item;
}

function asEnvelopes(items: readonly TopicStreamItem[]): TradeEnvelope[] {
  return items.map((item) => {
    assert.ok('seq' in item && 'data' in item, `expected an event, got ${JSON.stringify(item)}`);
    return item as TradeEnvelope;
  });
}

describe('trade hub streams', () => {
  let hub: RunningTradehub;
  const open: HubConnection[] = [];
  before(async () => {
    hub = await startTradehub();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((connection) => connection.stop()));
  });
  after(async () => {
    await hub.close();
  });

  async function connect(client: string, secret: string, scope?: string): Promise<HubConnection> {
    const token = await clientToken(hub.baseUrl, client, secret, scope);
    const connection = officialClient(hub.tradeHubUrl, { accessTokenFactory: () => token });
    connection.on('OnConnectionStatus', () => undefined);
    await connection.start();
    open.push(connection);
    return connection;
  }

  const publisher = () => connect('demo-publisher', 'demo-publisher-secret');
  const reader = () => connect('demo-reader', 'demo-reader-secret');
  const consumers = (topic: string) => hub.app.trade.fanout.consumerCount(topic);

  it('StreamTopic streams the snapshot, then live events in order', async () => {
    const topic = 'platforms/demo/ticks/STREAM1';
    const pub = await publisher();
    await pub.invoke('Publish', [tick('STREAM1', 1.1)]);
    const stream = new StreamReader<TopicStreamItem>((await reader()).stream('StreamTopic', topic));
    const first = asResult((await stream.waitForItems(1))[0]);
    assert.equal(first.status, 'snapshot');
    assert.equal(first.topic, topic);
    assert.equal(first.seq, 1);
    assert.deepEqual(first.status === 'snapshot' && first.snapshot.kind === 'ticks' && first.snapshot.ticks.map((t) => t.bid), [1.1]);
    await pub.invoke('Publish', [tick('STREAM1', 1.2), tick('STREAM1', 1.3)]);
    await pub.invoke('Publish', [tick('STREAM1', 1.4)]);
    const live = asEnvelopes((await stream.waitForItems(4)).slice(1));
    assert.deepEqual(live.map((e) => e.seq), [2, 3, 4]);
    assert.deepEqual(live.map((e) => e.type === 'tick' && e.data.bid), [1.2, 1.3, 1.4]);
    assert.ok(live.every((e) => e.epoch === first.epoch && e.topic === topic));
    assert.equal(consumers(topic), 1);
    stream.dispose();
    await waitUntil(() => consumers(topic) === 0, 'the stream to leave the fan-out');
  });

  it('StreamTopic resumes from a position: the missed events first, then live ones', async () => {
    const topic = 'platforms/demo/ticks/STREAM2';
    const pub = await publisher();
    await pub.invoke('Publish', [tick('STREAM2', 2.1), tick('STREAM2', 2.2), tick('STREAM2', 2.3)]);
    const connection = await reader();
    const initial = new StreamReader<TopicStreamItem>(connection.stream('StreamTopic', topic));
    const { epoch } = asResult((await initial.waitForItems(1))[0]);
    initial.dispose();
    const stream = new StreamReader<TopicStreamItem>(connection.stream('StreamTopic', topic, { epoch, seq: 1 }));
    const first = asResult((await stream.waitForItems(1))[0]);
    assert.equal(first.status, 'resumed');
    assert.deepEqual(first.status === 'resumed' && first.events.map((e) => e.seq), [2, 3]);
    await pub.invoke('Publish', [tick('STREAM2', 2.4)]);
    assert.deepEqual(asEnvelopes((await stream.waitForItems(2)).slice(1)).map((e) => e.seq), [4]);
    const reset = new StreamReader<TopicStreamItem>(connection.stream('StreamTopic', topic, { epoch: 'gone', seq: 1 }));
    const fresh = asResult((await reset.waitForItems(1))[0]);
    assert.equal(fresh.status === 'snapshot' && fresh.resetReason, 'epoch_changed');
  });

  it('StreamTopic leaves the fan-out when the connection closes', async () => {
    const topic = 'platforms/demo/ticks/STREAM3';
    const connection = await reader();
    const streams = [1, 2].map(() => new StreamReader<TopicStreamItem>(connection.stream('StreamTopic', topic)));
    await Promise.all(streams.map((stream) => stream.waitForItems(1)));
    assert.equal(consumers(topic), 2);
    await connection.stop();
    await waitUntil(() => consumers(topic) === 0, 'the streams to leave the fan-out');
  });

  it('PublishStream publishes 100 events in order, which a subscriber receives with consecutive seqs', async () => {
    const topic = 'platforms/demo/ticks/STREAM4';
    const subscriber = await reader();
    const received: TradeEnvelope[] = [];
    subscriber.on('OnEvent', (envelope: TradeEnvelope) => received.push(envelope));
    const [subscribed] = await subscriber.invoke('Subscribe', [topic]) as SubscribeResult[];
    assert.equal(subscribed?.status === 'snapshot' && subscribed.seq, 0);
    const events = new Subject<ReturnType<typeof tick>>();
    const published = (await publisher()).invoke('PublishStream', events);
    for (let index = 0; index < 100; index++) events.next(tick('STREAM4', 1 + index / 1000));
    events.complete();
    assert.equal(await published, 100);
    await waitUntil(() => received.length >= 100, '100 events');
    assert.deepEqual(received.map((e) => e.seq), Array.from({ length: 100 }, (_, index) => index + 1));
    assert.deepEqual(received.map((e) => e.type === 'tick' && e.data.bid), Array.from({ length: 100 }, (_, index) => 1 + index / 1000));
  });

  it('PublishStream stops at an invalid event, after publishing those before it', async () => {
    const topic = 'platforms/demo/ticks/STREAM5';
    const events = new Subject<unknown>();
    const published = (await publisher()).invoke('PublishStream', events);
    events.next(tick('STREAM5', 5.1));
    events.next(tick('STREAM5', 5.2));
    events.next({ type: 'tick', platformId: 'demo', data: { symbol: 'STREAM5', bid: 'high' } });
    events.complete();
    await assert.rejects(published, (error: Error) => {
      assert.match(error.message,
        /^An unexpected error occurred invoking 'PublishStream' on the server\. HubException: Item 3 of stream '\d+' is invalid: /);
      return true;
    });
    const stream = new StreamReader<TopicStreamItem>((await reader()).stream('StreamTopic', topic));
    assert.equal(asResult((await stream.waitForItems(1))[0]).seq, 2);
  });

  it('refuses callers without the scope or the access', async () => {
    const readOnly = await reader();
    const events = new Subject<unknown>();
    await assert.rejects(readOnly.invoke('PublishStream', events), { message: "Failed to invoke 'PublishStream' because user is unauthorized" });
    events.complete();

    const publishOnly = await connect('demo-publisher', 'demo-publisher-secret', 'trade.publish');
    const unauthorized = await new StreamReader<TopicStreamItem>(publishOnly.stream('StreamTopic', 'platforms/demo/status')).waitForEnd();
    assert.equal(unauthorized.error?.message, "Failed to invoke 'StreamTopic' because user is unauthorized");

    const otherPlatform = await new StreamReader<TopicStreamItem>(readOnly.stream('StreamTopic', 'platforms/other/ticks/EURUSD')).waitForEnd();
    assert.equal(otherPlatform.error?.message,
      "An unexpected error occurred invoking 'StreamTopic' on the server. HubException: Access to topic 'platforms/other/ticks/EURUSD' is not allowed.");
    const wildcard = await new StreamReader<TopicStreamItem>(readOnly.stream('StreamTopic', 'platforms/demo/ticks/*')).waitForEnd();
    assert.equal(wildcard.error?.message,
      "An unexpected error occurred invoking 'StreamTopic' on the server. HubException: 'platforms/demo/ticks/*' is a wildcard: stream one concrete topic, or Subscribe to the wildcard.");

    const elsewhere = new Subject<unknown>();
    const refused = publishOnly.invoke('PublishStream', elsewhere);
    elsewhere.next({ ...tick('STREAM6', 6.1), platformId: 'other' });
    elsewhere.complete();
    await assert.rejects(refused, {
      message: "An unexpected error occurred invoking 'PublishStream' on the server. HubException: Event 0: Publishing to topic 'platforms/other/ticks/STREAM6' is not allowed. (no event was published)",
    });
  });
});
