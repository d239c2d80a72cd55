import assert from 'node:assert/strict';
import { Subject } from '@microsoft/signalr';
import { PUBLISHED_EVENT_TYPES, topicOf, tradeEventInputSchema, type TradeEventInput } from '@tradehub/shared';
import { signToken, validClaims, withTestSecret } from './support/auth-helpers.js';
import { ApiClient, withSecondTenant } from './support/http-api.js';
import { ev, TradeClient } from './support/trade-helpers.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

/**
 * Publish rights are decided per topic (the attack this answers: a terminal token of one login
 * published a EURUSD tick and `platform.status: disconnected`, and every reader got them).
 * Every event type is tried by every kind of identity on two platforms, through the hub's
 * `Publish`, its `PublishStream` and REST; a reader of everything must then receive exactly the
 * allowed events. Organizations: `demo` (platforms demo, demo-b) and `other` (other-mt5).
 */

type Platform = 'demo' | 'demo-b';
const PLATFORMS: readonly Platform[] = ['demo', 'demo-b'];

/** The test builders' events, checked by the shared schema (so a broken builder fails here, not as a refusal). */
const input = (event: unknown): TradeEventInput => tradeEventInputSchema.parse(event);

/** The events tried, by name; `account` topics belong to one login, `platform` topics to no login. */
const EVENT_CASES = {
  'tick': { kind: 'platform', make: (p: Platform) => input(ev.tick('EURUSD', 1.1, {}, p)) },
  'symbol': { kind: 'platform', make: (p: Platform) => input(ev.symbol('EURUSD', {}, p)) },
  'status': { kind: 'platform', make: (p: Platform) => input(ev.status('disconnected', {}, p)) },
  'depth': { kind: 'platform', make: (p: Platform) => input(ev.depth('EURUSD', 1.1, {}, p)) },
  // Carries the terminal's own login, yet its topic is every login's margin feed.
  'margin-1001': { kind: 'platform', make: (p: Platform) => input(ev.margin('1001', {}, p)) },
  'account-1001': { kind: 'account', make: (p: Platform) => input(ev.account('1001', 100, {}, p)) },
  'position-1001': { kind: 'account', make: (p: Platform) => input(ev.position('1001', '11', 10_000, {}, p)) },
  'order-1001': { kind: 'account', make: (p: Platform) => input(ev.order('1001', '12', 'placed', {}, p)) },
  'deal-1001': { kind: 'account', make: (p: Platform) => input(ev.deal('1001', '13', {}, p)) },
  'account-1002': { kind: 'account', make: (p: Platform) => input(ev.account('1002', 100, {}, p)) },
  'position-1002': { kind: 'account', make: (p: Platform) => input(ev.position('1002', '21', 10_000, {}, p)) },
  'order-1002': { kind: 'account', make: (p: Platform) => input(ev.order('1002', '22', 'placed', {}, p)) },
  'deal-1002': { kind: 'account', make: (p: Platform) => input(ev.deal('1002', '23', {}, p)) },
} as const satisfies Record<string, { kind: 'platform' | 'account'; make: (p: Platform) => TradeEventInput }>;

type EventName = keyof typeof EVENT_CASES;
const EVENT_NAMES = Object.keys(EVENT_CASES) as EventName[];
const ALL: readonly EventName[] = EVENT_NAMES;
const OWN_LOGIN: readonly EventName[] = ['account-1001', 'position-1001', 'order-1001', 'deal-1001'];
const NONE: readonly EventName[] = [];

/** Why the events an identity may not publish are refused, which decides the answer of each path. */
type Refusal = 'no-scope' | 'not-reached' | 'unknown-platform' | 'topic';

interface Identity {
  key: string;
  name: string;
  /** Per platform: the events allowed, and why the others are refused. */
  on: Record<Platform, { allowed: readonly EventName[]; refusal: Refusal }>;
}

const IDENTITIES: readonly Identity[] = [
  {
    key: 'publisher', name: 'OAuth client with trade.publish',
    on: { 'demo': { allowed: ALL, refusal: 'topic' }, 'demo-b': { allowed: ALL, refusal: 'topic' } },
  },
  {
    key: 'feed-b', name: 'OAuth client restricted to platform demo-b',
    on: { 'demo': { allowed: NONE, refusal: 'not-reached' }, 'demo-b': { allowed: ALL, refusal: 'topic' } },
  },
  {
    key: 'manager', name: 'manager token from /v1/init (trade.read only)',
    on: { 'demo': { allowed: NONE, refusal: 'no-scope' }, 'demo-b': { allowed: NONE, refusal: 'no-scope' } },
  },
  {
    key: 'terminal', name: 'terminal token of demo / 1001',
    on: { 'demo': { allowed: OWN_LOGIN, refusal: 'topic' }, 'demo-b': { allowed: NONE, refusal: 'not-reached' } },
  },
  {
    key: 'jwt-1001', name: 'client JWT restricted to login 1001 on both platforms',
    on: { 'demo': { allowed: OWN_LOGIN, refusal: 'topic' }, 'demo-b': { allowed: OWN_LOGIN, refusal: 'topic' } },
  },
  {
    key: 'other-org', name: "another organization's publisher",
    on: { 'demo': { allowed: NONE, refusal: 'unknown-platform' }, 'demo-b': { allowed: NONE, refusal: 'unknown-platform' } },
  },
];

type Path = 'Publish' | 'PublishStream' | 'REST';
const PATHS: readonly Path[] = ['Publish', 'PublishStream', 'REST'];

/** Topics the reader subscribes to: together they cover every event of a platform. */
const readerTopics = (p: Platform): string[] =>
  [`platforms/${p}/ticks/*`, `platforms/${p}/accounts/*`, `platforms/${p}/margin`, `platforms/${p}/status`, `platforms/${p}/symbols`, `platforms/${p}/depth/*`];

const SENTINEL = 'sentinel';

describe('trade: publish rights per topic, for every event type and kind of identity', () => {
  let hub: RunningTradehub;
  let api: ApiClient;
  const tokens = new Map<string, string>();
  const hubClients = new Map<string, TradeClient>();
  let reader: TradeClient;

  before(async () => {
    hub = await startTradehub({
      config: (base) => {
        const config = withTestSecret(withSecondTenant(base));
        config.clients.push({ id: 'demo-b-feed', secret: 'demo-b-feed-secret', organization: 'demo', scopes: ['trade.read', 'trade.publish'], platforms: ['demo-b'] });
        return config;
      },
    });
    api = new ApiClient(hub.baseUrl);
    const admin = await api.clientToken('demo-admin', 'demo-admin-secret');
    tokens.set('reader', await api.clientToken('demo-reader', 'demo-reader-secret'));
    tokens.set('publisher', await api.clientToken('demo-publisher', 'demo-publisher-secret'));
    tokens.set('feed-b', await api.clientToken('demo-b-feed', 'demo-b-feed-secret'));
    const init = await api.request('GET', '/v1/init?server=demo&login=1000&password=demo');
    assert.equal(init.status, 200, init.text);
    tokens.set('manager', api.remember(init.body.token as string));
    tokens.set('terminal', await api.terminalToken(admin, 'demo', '1001'));
    tokens.set('jwt-1001', api.remember(signToken(validClaims({
      sub: 'demo-publisher', scope: 'trade.read trade.publish', plat: ['demo', 'demo-b'], logins: ['1001'],
    }))));
    tokens.set('other-org', await api.clientToken('other-publisher', 'other-publisher-secret'));

    reader = await TradeClient.connect(hub.tradeHubUrl, tokens.get('reader') as string);
    const subscribed = await reader.subscribe(PLATFORMS.flatMap(readerTopics));
    for (const result of subscribed) assert.notEqual(result.status, 'error', JSON.stringify(result));
    for (const identity of IDENTITIES) hubClients.set(identity.key, await TradeClient.connect(hub.tradeHubUrl, tokens.get(identity.key) as string));
  });

  after(async () => {
    await Promise.all([...hubClients.values(), reader].filter(Boolean).map((client) => client.stop()));
    await hub?.close();
  });

  it('the table tries every event type', () => {
    const types = new Set<TradeEventInput['type']>(EVENT_NAMES.map((name) => EVENT_CASES[name].make('demo').type));
    // Bars are not published: the hub builds them from ticks (trade-contracts and market-data tests);
    // terminal.status is refused from every publisher (terminal-gateway.test.ts): only the terminal hub says it.
    assert.deepEqual([...types].sort(), PUBLISHED_EVENT_TYPES.filter((type) => type !== 'terminal.status').sort());
  });

  it('allows exactly the topics each token covers, on every publish path, and readers receive exactly those', async function () {
    this.timeout(60_000);
    const expectedIds = new Set<string>();
    for (const path of PATHS) {
      for (const identity of IDENTITIES) {
        for (const platform of PLATFORMS) {
          const { allowed, refusal } = identity.on[platform];
          for (const name of EVENT_NAMES) {
            const id = `${path}.${identity.key}.${platform}.${name}`;
            const event = { ...EVENT_CASES[name].make(platform), id };
            const what = `${identity.name} publishing ${name} on ${platform} through ${path}`;
            const outcome = await publishThrough(path, identity.key, platform, event);
            if (allowed.includes(name)) {
              assert.equal(outcome.refused, undefined, `${what} was refused: ${outcome.refused}`);
              expectedIds.add(id);
            } else {
              assert.deepEqual(outcome, expectedRefusal(path, refusal, platform, event, EVENT_CASES[name].kind), what);
            }
          }
        }
      }
    }

    // Per topic, events reach a subscriber in seq order: once each topic's sentinel (published
    // last, by a platform-wide publisher) arrived, every event stored before it has arrived too.
    const sentinels = PLATFORMS.flatMap((platform) => sentinelEvents(platform));
    const stored = await hubClients.get('publisher')?.publish(sentinels);
    assert.equal(stored?.results.length, sentinels.length);
    await waitUntil(() => sentinels.every((sentinel) => reader.events.some((envelope) => envelope.id === sentinel.id)),
      'every sentinel at the reader', 10_000);

    const received = reader.events.filter((envelope) => !envelope.id?.startsWith(SENTINEL));
    const receivedIds = received.map((envelope) => envelope.id ?? '(no id)');
    assert.equal(new Set(receivedIds).size, receivedIds.length, 'no event arrives twice');
    assert.deepEqual([...receivedIds].sort(), [...expectedIds].sort());
    for (const envelope of received) assert.equal(envelope.topic, topicOf(envelope));
  });

  /** Publishes one event on a path; `refused` is the caller's view of a refusal. */
  async function publishThrough(path: Path, key: string, platform: Platform, event: TradeEventInput): Promise<{ refused?: string }> {
    if (path === 'REST') {
      const answer = await api.request('POST', `/api/platforms/${platform}/events`, { token: tokens.get(key) as string, json: { events: [event] } });
      if (answer.status === 200) return {};
      return { refused: `${answer.status} ${answer.body?.error}: ${answer.body?.error_description}` };
    }
    const client = hubClients.get(key) as TradeClient;
    try {
      if (path === 'Publish') {
        await client.publish([event]);
      } else {
        const stream = new Subject<unknown>();
        const published = client.connection.invoke('PublishStream', stream);
        stream.next(event);
        stream.complete();
        await published;
      }
      return {};
    } catch (error) {
      return { refused: (error as Error).message };
    }
  }
});

/** The answer a refused event gets on each path (the README's documented texts). */
function expectedRefusal(path: Path, refusal: Refusal, platform: Platform, event: TradeEventInput, kind: 'platform' | 'account'): { refused: string } {
  const topicRefusal = `Publishing to topic '${topicOf(event)}' is not allowed.`
    + (refusal === 'topic' && kind === 'platform' ? ' It is platform-wide: only a publisher not restricted to logins may publish to it.' : '');
  if (path === 'REST') {
    switch (refusal) {
      case 'no-scope': return { refused: "403 insufficient_scope: This request needs the 'trade.publish' scope." };
      case 'unknown-platform': return { refused: `404 not_found: Unknown platform '${platform}'.` };
      case 'not-reached': return { refused: `403 forbidden: This token does not reach platform '${platform}'.` };
      case 'topic': return { refused: `403 forbidden: Event 0: ${topicRefusal}` };
    }
  }
  if (refusal === 'no-scope') return { refused: `Failed to invoke '${path}' because user is unauthorized` };
  const prefix = `An unexpected error occurred invoking '${path}' on the server. HubException: Event 0: `;
  return { refused: path === 'PublishStream' ? `${prefix}${topicRefusal} (no event was published)` : `${prefix}${topicRefusal}` };
}

/** One event per topic the cases touch on a platform, marked as sentinels. */
function sentinelEvents(platform: Platform): TradeEventInput[] {
  const topics = new Map<string, TradeEventInput>();
  for (const name of EVENT_NAMES) {
    const event = EVENT_CASES[name].make(platform);
    topics.set(topicOf(event), event);
  }
  return [...topics.values()].map((event, index) => ({ ...event, id: `${SENTINEL}.${platform}.${index}` }));
}
