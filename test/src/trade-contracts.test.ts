import assert from 'node:assert/strict';
import {
  eventPayloadSchemas, MAX_PUBLISH_BATCH, parseTopic, PUBLISHED_EVENT_TYPES, publishBatchSchema, topicMatches, topicOf, Topics,
  tradeEnvelopeSchema, tradeEventInputSchema, wildcardOf, type TradeEventInput,
} from '@tradehub/shared';
import { ev } from './support/trade-helpers.js';

/** One valid event of each type. */
type PublishedType = TradeEventInput['type'];

const VALID: Record<PublishedType, Record<string, unknown>> = {
  'tick': ev.tick('EURUSD', 1.1, { id: 'tick-1' }),
  'deal': ev.deal('1001', '9001'),
  'order': ev.order('1001', '7001', 'placed'),
  'position': ev.position('1001', '5001', 10_000),
  'account': ev.account('1001', 10_000),
  'margin': ev.margin('1001'),
  'platform.status': ev.status('connected'),
  'symbol': ev.symbol('EURUSD'),
  'terminal.status': {
    type: 'terminal.status', platformId: 'demo',
    data: { state: 'online', platform: 'demo', login: '1001', name: 'EA on VPS 1', tokenId: 'tt_1', node: 'node-a', time: 1 },
  },
  'depth': ev.depth('EURUSD', 1.1),
};

/** Every number field of each payload that must be finite. */
const NUMBER_FIELDS: Record<PublishedType, string[]> = {
  'tick': ['bid', 'ask', 'time'],
  'deal': ['volume', 'price', 'profit', 'commission', 'swap', 'time'],
  'order': ['volumeInitial', 'volumeCurrent', 'priceOpen', 'timeSetup', 'time'],
  'position': ['volume', 'priceOpen', 'priceCurrent', 'profit', 'swap', 'time'],
  'account': ['balance', 'credit', 'equity', 'margin', 'marginFree', 'leverage', 'time'],
  'margin': ['marginLevel', 'equity', 'margin', 'time'],
  'platform.status': ['serverTimeOffsetMs', 'time'],
  'symbol': ['digits', 'contractSize', 'volumeMin', 'volumeMax', 'volumeStep', 'time'],
  'terminal.status': ['time'],
  'depth': ['time'],
};

/** Fields that may be null. */
const NULLABLE_FIELDS = new Set(['marginLevel:account', 'tokenId:terminal.status']);

/** Fields a payload may leave out. */
const OPTIONAL_FIELDS = new Set(['last', 'volume:tick', 'flags', 'sl', 'tp', 'timeDone', 'serverTimeOffsetMs', 'reason', 'description']);

function withData(event: Record<string, unknown>, change: (data: Record<string, unknown>) => void): Record<string, unknown> {
  const data = structuredClone(event.data) as Record<string, unknown>;
  change(data);
  return { ...event, data };
}

function refused(value: unknown, what: string): void {
  assert.equal(tradeEventInputSchema.safeParse(value).success, false, `${what} should be refused: ${JSON.stringify(value)}`);
}

describe('trade contracts (@tradehub/shared)', () => {
  describe('event inputs', () => {
    it('has a payload schema and a valid example for every event type', () => {
      assert.deepEqual([...PUBLISHED_EVENT_TYPES].sort(), Object.keys(VALID).sort());
      for (const type of PUBLISHED_EVENT_TYPES) {
        const event = VALID[type];
        const parsed = tradeEventInputSchema.safeParse(event);
        assert.ok(parsed.success, `${type}: ${JSON.stringify(parsed.error?.issues)}`);
        assert.deepEqual(parsed.data, event);
        assert.ok(eventPayloadSchemas[type].safeParse(event.data).success, type);
      }
    });

    it('accepts optional payload fields when valid', () => {
      const tick = withData(VALID.tick, (data) => Object.assign(data, { last: 1.1001, volume: 5, flags: 6 }));
      const order = withData(VALID.order, (data) => Object.assign(data, { sl: 1.05, tp: 1.2, timeDone: 1 }));
      const status = withData(VALID['platform.status'], (data) => Object.assign(data, { reason: 'weekend' }));
      const symbol = withData(VALID.symbol, (data) => Object.assign(data, { description: 'Euro vs US Dollar' }));
      const closedDeal = withData(VALID.deal, (data) => Object.assign(data, { symbol: '', action: 'balance' }));
      const noMarginLevel = withData(VALID.account, (data) => Object.assign(data, { marginLevel: null }));
      for (const event of [tick, order, status, symbol, closedDeal, noMarginLevel]) {
        const parsed = tradeEventInputSchema.safeParse(event);
        assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
        // Kept as given: an optional field is neither dropped nor changed.
        assert.deepEqual(parsed.data, event);
      }
    });

    it('refuses an unknown type, a missing type, data or platformId, and unknown fields', () => {
      refused({ ...VALID.tick, type: 'quote' }, 'an unknown type');
      refused({ ...VALID.tick, type: 'TICK' }, 'a type in the wrong case');
      const { type: _type, ...noType } = VALID.tick;
      refused(noType, 'no type');
      const { data: _data, ...noData } = VALID.tick;
      refused(noData, 'no data');
      const { platformId: _platform, ...noPlatform } = VALID.tick;
      refused(noPlatform, 'no platformId');
      refused({ ...VALID.tick, extra: 1 }, 'an unknown top-level field');
      refused(withData(VALID.tick, (data) => Object.assign(data, { extra: 1 })), 'an unknown payload field');
      // The payload of another type does not pass for this one.
      refused({ ...VALID.tick, data: VALID.account.data }, "another type's payload");
      for (const value of [null, undefined, 1, 'tick', [], [VALID.tick]]) refused(value, `the value ${JSON.stringify(value)}`);
    });

    it('refuses every event that misses a required payload field', () => {
      for (const type of PUBLISHED_EVENT_TYPES) {
        for (const field of Object.keys(VALID[type].data as object)) {
          const optional = OPTIONAL_FIELDS.has(field) || OPTIONAL_FIELDS.has(`${field}:${type}`);
          const event = withData(VALID[type], (data) => delete data[field]);
          assert.equal(tradeEventInputSchema.safeParse(event).success, optional, `${type} without ${field}`);
        }
      }
    });

    it('refuses wrong types in every field', () => {
      for (const type of PUBLISHED_EVENT_TYPES) {
        for (const [field, value] of Object.entries(VALID[type].data as object)) {
          const wrong = typeof value === 'string' ? 12 : typeof value === 'number' ? String(value) : value === null ? 'none' : 'x';
          refused(withData(VALID[type], (data) => (data[field] = wrong)), `${type}.${field} = ${JSON.stringify(wrong)}`);
          if (!NULLABLE_FIELDS.has(`${field}:${type}`)) {
            refused(withData(VALID[type], (data) => (data[field] = null)), `${type}.${field} = null`);
          }
          refused(withData(VALID[type], (data) => (data[field] = { value })), `${type}.${field} as an object`);
        }
      }
      refused({ ...VALID.tick, platformId: 7 }, 'a numeric platformId');
      refused({ ...VALID.tick, id: 7 }, 'a numeric id');
    });

    it('refuses NaN and infinite numbers in every number field', () => {
      for (const type of PUBLISHED_EVENT_TYPES) {
        for (const field of NUMBER_FIELDS[type]) {
          for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
            refused(withData(VALID[type], (data) => (data[field] = value)), `${type}.${field} = ${value}`);
          }
        }
      }
      // Optional numbers too.
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
        refused(withData(VALID.tick, (data) => (data.last = value)), `tick.last = ${value}`);
        refused(withData(VALID.position, (data) => (data.sl = value)), `position.sl = ${value}`);
      }
    });

    it('refuses numbers out of their range: negative or fractional volumes, times, ids', () => {
      refused(withData(VALID.position, (data) => (data.volume = -1)), 'a negative volume');
      refused(withData(VALID.position, (data) => (data.volume = 0.5)), 'a fractional volume');
      refused(withData(VALID.position, (data) => (data.volume = Number.MAX_SAFE_INTEGER + 2)), 'an unsafe volume');
      refused(withData(VALID.tick, (data) => (data.time = -1)), 'a negative time');
      refused(withData(VALID.tick, (data) => (data.time = 1.5)), 'a fractional time');
      refused(withData(VALID.tick, (data) => (data.time = 8_640_000_000_000_001)), 'a time past the largest date');
      refused(withData(VALID.account, (data) => (data.leverage = 0)), 'a zero leverage');
      refused(withData(VALID.symbol, (data) => (data.digits = 11)), 'too many digits');
      refused(withData(VALID.symbol, (data) => (data.contractSize = 0)), 'a zero contract size');
      refused(withData(VALID.account, (data) => (data.login = '-5')), 'a negative login');
      refused(withData(VALID.account, (data) => (data.login = '1e5')), 'a login in exponent notation');
      refused(withData(VALID.account, (data) => (data.currency = 'usd')), 'a lower-case currency');
    });

    it('refuses oversized and malformed strings', () => {
      const ok = (value: unknown, what: string) => assert.ok(tradeEventInputSchema.safeParse(value).success, what);
      ok(withData(VALID.tick, (data) => (data.symbol = 'A'.repeat(32))), 'a 32-character symbol');
      refused(withData(VALID.tick, (data) => (data.symbol = 'A'.repeat(33))), 'a 33-character symbol');
      refused(withData(VALID.tick, (data) => (data.symbol = 'EUR/USD')), 'a symbol with a slash (topic separator)');
      refused(withData(VALID.tick, (data) => (data.symbol = '*')), 'a wildcard symbol');
      refused(withData(VALID.tick, (data) => (data.symbol = '')), 'an empty symbol');
      ok(withData(VALID.account, (data) => (data.login = '9'.repeat(20))), 'a 20-digit login');
      refused(withData(VALID.account, (data) => (data.login = '9'.repeat(21))), 'a 21-digit login');
      ok({ ...VALID.tick, id: 'x'.repeat(128) }, 'a 128-character id');
      refused({ ...VALID.tick, id: 'x'.repeat(129) }, 'a 129-character id');
      refused({ ...VALID.tick, id: '' }, 'an empty id');
      refused({ ...VALID.tick, id: 'with space' }, 'an id with a space');
      ok({ ...VALID.tick, platformId: 'p'.repeat(64) }, 'a 64-character platformId');
      refused({ ...VALID.tick, platformId: 'p'.repeat(65) }, 'a 65-character platformId');
      refused({ ...VALID.tick, platformId: 'demo/x' }, 'a platformId with a slash');
      ok(withData(VALID['platform.status'], (data) => (data.reason = 'r'.repeat(500))), 'a 500-character reason');
      refused(withData(VALID['platform.status'], (data) => (data.reason = 'r'.repeat(501))), 'a 501-character reason');
      refused(withData(VALID['platform.status'], (data) => (data.reason = 'r'.repeat(100_000))), 'a 100 KB reason');
      refused(withData(VALID.symbol, (data) => (data.description = 'd'.repeat(201))), 'a 201-character description');
      refused(withData(VALID.symbol, (data) => (data.currencyBase = 'C'.repeat(17))), 'a 17-character currency');
      refused(withData(VALID.order, (data) => (data.state = 'opened')), 'an unknown order state');
      refused(withData(VALID.deal, (data) => (data.entry = 'sideways')), 'an unknown deal entry');
    });

    it('publish batches hold 1 to 1000 events', () => {
      assert.equal(MAX_PUBLISH_BATCH, 1000);
      assert.equal(publishBatchSchema.safeParse([]).success, false);
      assert.equal(publishBatchSchema.safeParse(Array.from({ length: 1000 }, () => VALID.tick)).success, true);
      assert.equal(publishBatchSchema.safeParse(Array.from({ length: 1001 }, () => VALID.tick)).success, false);
      assert.equal(publishBatchSchema.safeParse(VALID.tick).success, false);
    });
  });

  describe('envelopes', () => {
    const envelope = { ...VALID.deal, v: 1, topic: 'platforms/demo/accounts/1001', seq: 3, epoch: 'abc', time: 1, hubTime: 2 };

    it('accepts a delivered envelope and refuses a wrong version, seq or epoch', () => {
      assert.ok(tradeEnvelopeSchema.safeParse(envelope).success);
      assert.equal(tradeEnvelopeSchema.safeParse({ ...envelope, v: 2 }).success, false);
      for (const seq of [0, -1, 1.5, '3', Number.POSITIVE_INFINITY]) {
        assert.equal(tradeEnvelopeSchema.safeParse({ ...envelope, seq }).success, false, `seq ${seq}`);
      }
      assert.equal(tradeEnvelopeSchema.safeParse({ ...envelope, epoch: '' }).success, false);
      assert.equal(tradeEnvelopeSchema.safeParse({ ...envelope, epoch: 'e'.repeat(65) }).success, false);
      const { hubTime: _hubTime, ...noHubTime } = envelope;
      assert.equal(tradeEnvelopeSchema.safeParse(noHubTime).success, false);
      assert.equal(tradeEnvelopeSchema.safeParse({ ...envelope, data: VALID.tick.data }).success, false);
    });
  });

  describe('topics', () => {
    it('topicOf names the one topic of each event type', () => {
      const topics = Object.fromEntries(PUBLISHED_EVENT_TYPES.map((type) => [type, topicOf(VALID[type] as TradeEventInput)]));
      assert.deepEqual(topics, {
        'tick': 'platforms/demo/ticks/EURUSD',
        'deal': 'platforms/demo/accounts/1001',
        'order': 'platforms/demo/accounts/1001',
        'position': 'platforms/demo/accounts/1001',
        'account': 'platforms/demo/accounts/1001',
        'margin': 'platforms/demo/margin',
        'platform.status': 'platforms/demo/status',
        'symbol': 'platforms/demo/symbols',
        'terminal.status': 'platforms/demo/status',
        'depth': 'platforms/demo/depth/EURUSD',
      });
      assert.equal(topicOf(ev.tick('XAUUSD.m', 2000, {}, 'live-1') as TradeEventInput), 'platforms/live-1/ticks/XAUUSD.m');
    });

    it('Topics builds the names parseTopic reads', () => {
      assert.deepEqual(parseTopic(Topics.ticks('demo', 'EURUSD')), {
        topic: 'platforms/demo/ticks/EURUSD', platformId: 'demo', kind: 'ticks', key: 'EURUSD', wildcard: false,
      });
      assert.deepEqual(parseTopic(Topics.account('demo', '1001')), {
        topic: 'platforms/demo/accounts/1001', platformId: 'demo', kind: 'accounts', key: '1001', wildcard: false,
      });
      assert.deepEqual(parseTopic(Topics.allTicks('demo')), {
        topic: 'platforms/demo/ticks/*', platformId: 'demo', kind: 'ticks', key: '*', wildcard: true,
      });
      assert.deepEqual(parseTopic(Topics.allAccounts('demo')), {
        topic: 'platforms/demo/accounts/*', platformId: 'demo', kind: 'accounts', key: '*', wildcard: true,
      });
      for (const [topic, kind] of [[Topics.status('demo'), 'status'], [Topics.symbols('demo'), 'symbols'], [Topics.margin('demo'), 'margin']] as const) {
        assert.deepEqual(parseTopic(topic), { topic, platformId: 'demo', kind, wildcard: false });
      }
    });

    it('parseTopic refuses what is not a topic', () => {
      const bad = [
        '', 'platforms', 'platforms/demo', 'platforms/demo/', 'platforms//status', 'platform/demo/status', 'platforms/demo/quotes',
        'platforms/demo/status/x', 'platforms/demo/margin/*', 'platforms/demo/symbols/EURUSD', 'platforms/demo/ticks',
        'platforms/demo/ticks/', 'platforms/demo/accounts', 'platforms/demo/accounts/abc', 'platforms/demo/accounts/1e3',
        `platforms/demo/accounts/${'1'.repeat(21)}`, 'platforms/demo/ticks/EUR/USD', 'platforms/demo/ticks/EUR*',
        'platforms/*/ticks/EURUSD', 'platforms/demo/*', '/platforms/demo/status', 'platforms/demo/status/',
        ' platforms/demo/status', 'PLATFORMS/demo/status', `platforms/${'p'.repeat(65)}/status`, `platforms/demo/ticks/${'S'.repeat(33)}`,
      ];
      for (const topic of bad) assert.equal(parseTopic(topic), undefined, `'${topic}' should not parse`);
    });

    it('wildcardOf names the wildcard that covers a keyed topic', () => {
      assert.equal(wildcardOf('platforms/demo/ticks/EURUSD'), 'platforms/demo/ticks/*');
      assert.equal(wildcardOf('platforms/demo/accounts/1001'), 'platforms/demo/accounts/*');
      assert.equal(wildcardOf('platforms/demo/ticks/*'), undefined);
      assert.equal(wildcardOf('platforms/demo/status'), undefined);
      assert.equal(wildcardOf('platforms/demo/margin'), undefined);
      assert.equal(wildcardOf('not a topic'), undefined);
    });

    it('topicMatches: a topic matches itself and the wildcard of its platform and kind only', () => {
      assert.ok(topicMatches('platforms/demo/ticks/EURUSD', 'platforms/demo/ticks/EURUSD'));
      assert.ok(topicMatches('platforms/demo/ticks/*', 'platforms/demo/ticks/EURUSD'));
      assert.ok(topicMatches('platforms/demo/accounts/*', 'platforms/demo/accounts/1001'));
      assert.ok(!topicMatches('platforms/demo/ticks/EURUSD', 'platforms/demo/ticks/GBPUSD'));
      assert.ok(!topicMatches('platforms/demo/ticks/*', 'platforms/demo/accounts/1001'));
      assert.ok(!topicMatches('platforms/demo/ticks/*', 'platforms/demo-b/ticks/EURUSD'));
      assert.ok(!topicMatches('platforms/demo/accounts/*', 'platforms/demo/margin'));
      assert.ok(!topicMatches('platforms/demo/ticks/EURUSD', 'platforms/demo/ticks/*'));
      assert.ok(!topicMatches('platforms/demo/ticks/*', 'platforms/demo/ticks/EUR/USD'));
      for (const type of PUBLISHED_EVENT_TYPES) {
        const topic = topicOf(VALID[type] as TradeEventInput);
        const wildcard = wildcardOf(topic);
        assert.ok(topicMatches(topic, topic));
        if (wildcard) assert.ok(topicMatches(wildcard, topic), `${wildcard} covers ${topic}`);
      }
    });
  });
});
