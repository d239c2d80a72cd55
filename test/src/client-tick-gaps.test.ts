import assert from 'node:assert/strict';
import { Topics, type TopicItem, type TradeEnvelope } from '@tradehub/client';
import { ClientPool } from './support/client-fixtures.js';
import { accountEnvelope, MisbehavingHub } from './support/misbehaving-hub.js';
import { waitUntil } from './support/wait.js';

const TICKS = Topics.ticks('demo', 'EURUSD');
const ACCOUNT = Topics.account('demo', '5001');

function tickEnvelope(seq: number): TradeEnvelope {
  return {
    v: 1, topic: TICKS, type: 'tick', platformId: 'demo', seq, epoch: 'e1', time: Date.now(), hubTime: Date.now(),
    data: { symbol: 'EURUSD', bid: 1 + seq / 10_000, ask: 1.0002 + seq / 10_000, time: Date.now() },
  };
}

const seqsOf = (items: readonly TopicItem[], topic: string): Array<number | string> =>
  items.filter((item) => item.topic === topic).map((item) => (item.kind === 'event' ? item.event.seq : item.kind));

/**
 * A server conflates ticks for a connection that falls behind (only the latest per symbol is
 * sent), so a ticks topic may skip seqs: the typed client must take such a gap as is, while a gap
 * in any other topic is still repaired by subscribing again with resume.
 */
describe('client: seq gaps in ticks topics are conflation, not loss', function () {
  this.timeout(20_000);
  const pool = new ClientPool();
  let hub: MisbehavingHub;
  const subscribes = new Map<string, number>();
  before(async () => {
    hub = await MisbehavingHub.start({
      subscribeAnswer: (topics) => topics.map((topic) => {
        const calls = (subscribes.get(topic) ?? 0) + 1;
        subscribes.set(topic, calls);
        if (topic === TICKS) return { topic, status: 'snapshot', epoch: 'e1', seq: 0, snapshot: { kind: 'ticks', ticks: [] } };
        // The account topic: a snapshot first; asked again after its gap, the missed deal.
        if (calls === 1) {
          return { topic, status: 'snapshot', epoch: 'e1', seq: 0, snapshot: { kind: 'accounts', accounts: [{ login: '5001', account: null, positions: [], orders: [] }] } };
        }
        return { topic, status: 'resumed', epoch: 'e1', seq: 3, events: [accountEnvelope(ACCOUNT, '5001', 2, 'e1'), accountEnvelope(ACCOUNT, '5001', 3, 'e1')] };
      }),
      afterSubscribe: [
        ['OnEvent', tickEnvelope(1)],
        ['OnEvent', tickEnvelope(4)],
        ['OnEvent', tickEnvelope(4)],
        ['OnEvent', tickEnvelope(3)],
        ['OnEvent', tickEnvelope(9)],
        ['OnEvent', accountEnvelope(ACCOUNT, '5001', 1, 'e1')],
        ['OnEvent', accountEnvelope(ACCOUNT, '5001', 3, 'e1')],
      ],
      serverInfoDelayMs: 0,
    });
  });
  after(async () => {
    await pool.closeAll();
    await hub.close();
  });

  it('applies ticks 1, 4, 9 as they come (older and repeated ones dropped) without subscribing again; an account gap is still repaired', async () => {
    const client = await pool.connect({ url: hub.baseUrl, token: 'anything-goes-here' });
    const items: TopicItem[] = [];
    await client.subscribe([TICKS, ACCOUNT], (item) => items.push(item));
    await waitUntil(() => seqsOf(items, TICKS).length >= 4 && seqsOf(items, ACCOUNT).length >= 4, 'the ticks and the repaired deals', 10_000);
    // A call behind any Subscribe the client might still have sent: the server has counted it by then.
    await client.serverInfo();
    assert.deepEqual(seqsOf(items, TICKS), ['snapshot', 1, 4, 9]);
    assert.equal(client.state.tick('demo', 'EURUSD')?.bid, 1 + 9 / 10_000, 'the latest tick is the state');
    assert.equal(subscribes.get(TICKS), 1, 'the ticks topic was not subscribed again for its gaps');
    assert.deepEqual(seqsOf(items, ACCOUNT), ['snapshot', 1, 2, 3]);
    assert.equal(subscribes.get(ACCOUNT), 2, 'the account gap was repaired by subscribing again with resume');
  });
});
