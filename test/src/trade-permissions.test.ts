import assert from 'node:assert/strict';
import { Subject } from '@microsoft/signalr';
import { ApiClient, withSecondTenant } from './support/http-api.js';
import { ev, seqs, TradeClient } from './support/trade-helpers.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

const PUBLISH_ERROR = "An unexpected error occurred invoking 'Publish' on the server. HubException: ";
const UNAUTHORIZED = (method: string) => `Failed to invoke '${method}' because user is unauthorized`;

/**
 * Rights on the trade hub. Organizations: `demo` (platforms demo, demo-b) and `other`
 * (other-mt5). Terminal tokens reach one platform and one login.
 */
describe('trade hub: publishing and reading only within the token\'s rights', () => {
  let hub: RunningTradehub;
  const tokens: Record<string, string> = {};
  const clients: TradeClient[] = [];

  before(async () => {
    hub = await startTradehub({ config: withSecondTenant });
    const api = new ApiClient(hub.baseUrl);
    tokens.reader = await api.clientToken('demo-reader', 'demo-reader-secret');
    tokens.publisher = await api.clientToken('demo-publisher', 'demo-publisher-secret');
    tokens.publisherReadOnly = await api.clientToken('demo-publisher', 'demo-publisher-secret', 'trade.read');
    tokens.publishOnly = await api.clientToken('demo-publisher', 'demo-publisher-secret', 'trade.publish');
    tokens.other = await api.clientToken('other-publisher', 'other-publisher-secret');
    const admin = await api.clientToken('demo-admin', 'demo-admin-secret');
    tokens.terminal = await api.terminalToken(admin, 'demo', '1001');
    tokens.terminalReadOnly = await api.terminalToken(admin, 'demo', '1001', ['trade.read']);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
  });
  after(async () => {
    await hub?.close();
  });

  async function connect(name: string): Promise<TradeClient> {
    const client = await TradeClient.connect(hub.tradeHubUrl, tokens[name] as string);
    clients.push(client);
    return client;
  }

  async function seqOf(topic: string): Promise<number> {
    return (await (await connect('reader')).subscribeOne(topic)).seq;
  }

  /** A reader subscribed to `topics` must receive, after the refusals, exactly one valid event with the next seq. */
  async function watch(topics: string[]) {
    const watcher = await connect('reader');
    const results = await watcher.subscribe(topics);
    const before = new Map(results.map((r) => [r.topic, r.status === 'snapshot' || r.status === 'resumed' ? r.seq : -1]));
    return {
      async assertNothingSince(topic: string, valid: Record<string, unknown>): Promise<void> {
        const seq = before.get(topic) as number;
        assert.equal(await seqOf(topic), seq, `nothing was stored in ${topic}`);
        // The valid event is the sentinel: anything the refused publishes had broadcast would come first.
        assert.deepEqual(await watcher.eventsBeforeSentinel(await connect('publisher'), valid), []);
        assert.deepEqual(watcher.events.map((e) => `${e.topic}#${e.seq}`), [`${topic}#${seq + 1}`]);
      },
    };
  }

  it('Publish and PublishStream need the trade.publish scope', async () => {
    const topic = 'platforms/demo/ticks/PERM1';
    const { assertNothingSince } = await watch([topic]);
    for (const name of ['reader', 'publisherReadOnly', 'terminalReadOnly']) {
      const client = await connect(name);
      await assert.rejects(client.publish([ev.tick('PERM1', 1)]), { message: UNAUTHORIZED('Publish') });
      const stream = new Subject<unknown>();
      const streamed = client.connection.invoke('PublishStream', stream);
      stream.next(ev.tick('PERM1', 2));
      stream.complete();
      await assert.rejects(streamed, { message: UNAUTHORIZED('PublishStream') });
    }
    await assertNothingSince(topic, ev.tick('PERM1', 3));
  });

  it('refuses an unknown platform and another organization\'s platform alike, naming no more than the id given', async () => {
    const topic = 'platforms/demo/ticks/PERM2';
    const { assertNothingSince } = await watch([topic]);
    const publisher = await connect('publisher');
    await assert.rejects(publisher.publish([ev.tick('PERM2', 1, {}, 'nope')]), {
      message: `${PUBLISH_ERROR}Event 0: Publishing to topic 'platforms/nope/ticks/PERM2' is not allowed.`,
    });
    await assert.rejects(publisher.publish([ev.tick('PERM2', 1, {}, 'other-mt5')]), {
      message: `${PUBLISH_ERROR}Event 0: Publishing to topic 'platforms/other-mt5/ticks/PERM2' is not allowed.`,
    });
    // One refused event refuses the batch: the valid events before it are not stored either.
    await assert.rejects(publisher.publish([ev.tick('PERM2', 1), ev.tick('PERM2', 2), ev.account('1001', 1, {}, 'other-mt5')]), {
      message: `${PUBLISH_ERROR}Event 2: Publishing to topic 'platforms/other-mt5/accounts/1001' is not allowed.`,
    });
    // The other organization's publisher cannot reach demo.
    const other = await connect('other');
    await assert.rejects(other.publish([ev.tick('PERM2', 1)]), { message: `${PUBLISH_ERROR}Event 0: Publishing to topic 'platforms/demo/ticks/PERM2' is not allowed.` });
    assert.deepEqual(await other.publish([ev.tick('PERM2', 1, {}, 'other-mt5')]), {
      results: [{ topic: 'platforms/other-mt5/ticks/PERM2', seq: 1, duplicate: false }],
    });
    await assertNothingSince(topic, ev.tick('PERM2', 3));
  });

  it('a terminal token publishes for its own login only', async () => {
    const own = 'platforms/demo/accounts/1001';
    const foreign = 'platforms/demo/accounts/1002';
    const terminal = await connect('terminal');
    assert.deepEqual(await terminal.publish([ev.account('1001', 5)]), { results: [{ topic: own, seq: 1, duplicate: false }] });
    const { assertNothingSince } = await watch([own, foreign, 'platforms/demo/margin']);
    for (const event of [ev.account('1002', 1), ev.position('1002', '7', 100), ev.order('1002', '8', 'placed'), ev.deal('1002', '9')]) {
      await assert.rejects(terminal.publish([event]), { message: `${PUBLISH_ERROR}Event 0: Publishing to topic '${foreign}' is not allowed.` });
    }
    await assert.rejects(terminal.publish([ev.margin('1002')]), {
      message: `${PUBLISH_ERROR}Event 0: Publishing to topic 'platforms/demo/margin' is not allowed. It is platform-wide: only a publisher not restricted to logins may publish to it.`,
    });
    // Its own login's event in the same batch is not stored either.
    await assert.rejects(terminal.publish([ev.account('1001', 6), ev.account('1002', 6)]), {
      message: `${PUBLISH_ERROR}Event 1: Publishing to topic '${foreign}' is not allowed.`,
    });
    await assert.rejects(terminal.publish([ev.account('1001', 6, {}, 'demo-b')]), {
      message: `${PUBLISH_ERROR}Event 0: Publishing to topic 'platforms/demo-b/accounts/1001' is not allowed.`,
    });
    await assertNothingSince(own, ev.account('1001', 7));
    assert.equal(await seqOf(foreign), 0);
  });

  it('Subscribe refuses topics outside the token, each in its own result, with the same words for absent and foreign platforms', async () => {
    const reader = await connect('reader');
    const refused = (topic: string) => ({ topic, status: 'error', error: `Access to topic '${topic}' is not allowed.` });
    const results = await reader.subscribe([
      'platforms/other-mt5/status', 'platforms/nope/status', 'platforms/other-mt5/ticks/*', 'platforms/demo/status',
    ]);
    assert.deepEqual(results.slice(0, 3), [
      refused('platforms/other-mt5/status'), refused('platforms/nope/status'), refused('platforms/other-mt5/ticks/*'),
    ]);
    assert.equal(results[3]?.status, 'snapshot');

    const terminal = await connect('terminal');
    const topics = [
      'platforms/demo/accounts/1001', 'platforms/demo/accounts/1002', 'platforms/demo/accounts/*', 'platforms/demo/margin',
      'platforms/demo/ticks/*', 'platforms/demo/ticks/EURUSD', 'platforms/demo/status', 'platforms/demo/symbols', 'platforms/demo-b/status',
    ];
    const answers = await terminal.subscribe(topics);
    assert.deepEqual(answers.map((r) => [r.topic, r.status]), [
      ['platforms/demo/accounts/1001', 'snapshot'],
      ['platforms/demo/accounts/1002', 'error'],
      ['platforms/demo/accounts/*', 'error'],
      ['platforms/demo/margin', 'error'],
      ['platforms/demo/ticks/*', 'wildcard'],
      ['platforms/demo/ticks/EURUSD', 'snapshot'],
      ['platforms/demo/status', 'snapshot'],
      ['platforms/demo/symbols', 'snapshot'],
      ['platforms/demo-b/status', 'error'],
    ]);
    for (const answer of answers.filter((r) => r.status === 'error')) assert.deepEqual(answer, refused(answer.topic));

    // What was refused is not delivered; what was granted is.
    const publisher = await connect('publisher');
    await publisher.publish([ev.account('1002', 1), ev.margin('1001'), ev.status('connected', {}, 'demo-b'), ev.account('1001', 9)]);
    // The granted event comes last in the batch, and a sentinel after it: refused ones would come before it.
    assert.deepEqual((await terminal.eventsBeforeSentinel(publisher, ev.account('1001', 10))).map((e) => e.topic), ['platforms/demo/accounts/1001']);

    const other = await connect('other');
    assert.deepEqual(await other.subscribe(['platforms/demo/ticks/EURUSD']), [refused('platforms/demo/ticks/EURUSD')]);

    // Without trade.read, Subscribe is refused as a whole.
    const publishOnly = await connect('publishOnly');
    await assert.rejects(publishOnly.subscribe(['platforms/demo/status']), { message: UNAUTHORIZED('Subscribe') });
  });

  it('a resume position does not open a topic outside the token', async () => {
    const publisher = await connect('publisher');
    await publisher.publish([ev.account('1003', 1), ev.account('1003', 2)]);
    const topic = 'platforms/demo/accounts/1003';
    const { epoch } = await (await connect('reader')).subscribeOne(topic);
    const terminal = await connect('terminal');
    assert.deepEqual(await terminal.subscribe([topic], { [topic]: { epoch, seq: 0 } }), [
      { topic, status: 'error', error: `Access to topic '${topic}' is not allowed.` },
    ]);
    await publisher.publish([ev.account('1003', 3)]);
    // Sentinel on the terminal's own account, published after: an event of 1003 would come before it.
    await terminal.subscribeOne('platforms/demo/accounts/1001');
    assert.deepEqual(seqs(await terminal.eventsBeforeSentinel(publisher, ev.account('1001', 11))), []);
  });
});
