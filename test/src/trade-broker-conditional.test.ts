import assert from 'node:assert/strict';
import {
  connectRedis, InMemoryTradeBroker, RedisTradeBroker, silentLogger, type RedisConnections, type TradeBroker,
} from '@tradehub/server';
import { Topics, type Bar, type HubEventInput } from '@tradehub/shared';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { uniqueKeyPrefix } from './support/tradehub-app.js';

const MINUTE = Date.UTC(2026, 0, 1, 10, 7);

function barEvent(symbol: string, tickVolume: number): HubEventInput {
  const data: Bar = { symbol, timeframe: 'M1', time: MINUTE, open: 1, high: 1, low: 1, close: 1, tickVolume };
  return { type: 'bar', platformId: 'demo', data };
}

/** The conditional store and the last-event read that bar building relies on, the same for both brokers. */
function conditionalContract(name: string, open: () => Promise<TradeBroker>): void {
  describe(name, () => {
    let broker: TradeBroker;
    beforeEach(async () => {
      broker = await open();
    });

    it('reads a topic without events as seq 0 with no event, and a store at that position follows', async () => {
      const topic = Topics.bars('demo', 'FRESH', 'M1');
      const empty = await broker.lastEvent(topic);
      assert.equal(empty.position.seq, 0);
      assert.equal(empty.envelope, undefined);
      const stored = await broker.publishIfAt(barEvent('FRESH', 1), { ...empty.position, writer: 'a:1' });
      assert.equal(stored?.seq, 1);
      assert.equal(stored?.epoch, empty.position.epoch);
      const last = await broker.lastEvent(topic);
      assert.deepEqual(last.position, { epoch: empty.position.epoch, seq: 1 });
      assert.equal(last.envelope?.type, 'bar');
      assert.deepEqual(last.envelope?.data, barEvent('FRESH', 1).data);
    });

    it('applies pipelined stores in the order sent, each expecting the position the previous one leads to', async () => {
      const { position } = await broker.lastEvent(Topics.bars('demo', 'PIPE', 'M1'));
      const sent = [1, 2, 3, 4].map((volume, index) => broker.publishIfAt(barEvent('PIPE', volume), {
        epoch: position.epoch, seq: position.seq + index, writer: 'a:1', afterOwnWrite: index > 0,
      }));
      const stored = await Promise.all(sent);
      assert.deepEqual(stored.map((envelope) => envelope?.seq), [1, 2, 3, 4]);
      const last = await broker.lastEvent(Topics.bars('demo', 'PIPE', 'M1'));
      assert.equal(last.envelope?.type === 'bar' && last.envelope.data.tickVolume, 4);
    });

    it('refuses a store at a stale position, and one after another writer\'s event even at the expected seq', async () => {
      const topic = Topics.bars('demo', 'FENCE', 'M1');
      const { position } = await broker.lastEvent(topic);
      assert.ok(await broker.publishIfAt(barEvent('FENCE', 1), { ...position, writer: 'a:1' }));
      assert.equal(await broker.publishIfAt(barEvent('FENCE', 9), { ...position, writer: 'b:1' }), undefined, 'stale seq');
      // Node B reads and stores at seq 1: node A's next pipelined store, expecting seq 1 after its own write... would now be at seq 2.
      assert.ok(await broker.publishIfAt(barEvent('FENCE', 2), { epoch: position.epoch, seq: 1, writer: 'b:1' }));
      // ...while a store of A expecting seq 2 as its own continuation is refused: the last event is B's.
      assert.equal(await broker.publishIfAt(barEvent('FENCE', 9), { epoch: position.epoch, seq: 2, writer: 'a:1', afterOwnWrite: true }), undefined);
      // B's own continuation passes, and a writer without the requirement (it has just read) too.
      assert.ok(await broker.publishIfAt(barEvent('FENCE', 3), { epoch: position.epoch, seq: 2, writer: 'b:1', afterOwnWrite: true }));
      assert.ok(await broker.publishIfAt(barEvent('FENCE', 4), { epoch: position.epoch, seq: 3, writer: 'a:2' }));
      assert.equal(await broker.publishIfAt(barEvent('FENCE', 9), { epoch: 'other-epoch', seq: 4, writer: 'a:2', afterOwnWrite: true }), undefined, 'another epoch');
      const last = await broker.lastEvent(topic);
      assert.equal(last.position.seq, 4);
      assert.equal(last.envelope?.type === 'bar' && last.envelope.data.tickVolume, 4);
    });
  });
}

describe('conditional stores (bar building\'s compare-and-set)', function () {
  this.timeout(15_000);

  conditionalContract('in memory', async () => new InMemoryTradeBroker({ historyLength: 100, dedupeWindowMs: 60_000, barHistory: 10 }));

  describe('through Redis', () => {
    const prefix = uniqueKeyPrefix();
    const connections: RedisConnections[] = [];
    after(async () => {
      for (const redis of connections.splice(0)) await redis.close();
      await deleteKeys(SHARED_REDIS_URL, prefix);
    });
    conditionalContract('one Redis', async () => {
      const redis = await connectRedis({ url: SHARED_REDIS_URL, commandTimeoutMs: 2_000 }, silentLogger);
      connections.push(redis);
      // Every test of the contract gets its own prefix: topics start empty.
      const keyPrefix = `${prefix}:${connections.length}`;
      return new RedisTradeBroker(redis.commands, redis.pubSub, redis.guard, { keyPrefix, historyLength: 100, dedupeWindowSeconds: 60, barHistory: 10 }, silentLogger);
    });
  });
});
