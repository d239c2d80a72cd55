import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Topics } from '@tradehub/shared';
import { basic, DEMO_PUBLISHER, DEMO_READER, postForm } from './support/auth-helpers.js';
import { HubProcess } from './support/hub-process.js';
import { CliProcess, freePort, within } from './support/interop-fixtures.js';
import { TradeClient } from './support/trade-helpers.js';
import { waitUntil } from './support/wait.js';

/** Repository root: this file runs as test/dist/cli-simulate.test.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'server/dist/cli/main.js');

describe('tradehub simulate --hub URL: the simulator as a publisher process of its own', function () {
  this.timeout(30_000);
  let hub: HubProcess;
  const children: CliProcess[] = [];
  const subscribers: TradeClient[] = [];

  before(async () => {
    hub = await HubProcess.start({});
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.kill()));
    await Promise.all(subscribers.splice(0).map((subscriber) => subscriber.stop()));
  });
  after(async () => {
    await hub.dispose();
  });

  function simulate(args: readonly string[], env: NodeJS.ProcessEnv): CliProcess {
    const child = CliProcess.start(CLI, ['simulate', '--hub', hub.baseUrl, ...args], { cwd: ROOT, env });
    children.push(child);
    return child;
  }

  async function readerToken(): Promise<string> {
    const answer = await postForm(`${hub.baseUrl}/connect/token`, { grant_type: 'client_credentials' }, { authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
    return (answer.json as { access_token: string }).access_token;
  }

  async function assertOneLineExit(child: CliProcess, code: number, pattern: RegExp): Promise<void> {
    const status = await within(child.exited, 15_000, 'simulate to exit');
    assert.equal(status.code, code, child.stderr);
    assert.equal(child.stderr.trimEnd().split('\n').length, 1, child.stderr);
    assert.match(child.stderr.trimEnd(), pattern);
  }

  it('publishes quotes and the account through the hub, seen by a subscriber; exits 0 on SIGTERM', async () => {
    const subscriber = await TradeClient.connect(hub.tradeHubUrl, await readerToken());
    subscribers.push(subscriber);
    const ticks = Topics.ticks('demo', 'EURUSD');
    const account = Topics.account('demo', '5001');
    await subscriber.subscribe([ticks, account]);

    // The secret by variable: it stays out of the process list.
    const child = simulate(['--rate', '20', '--client-id', DEMO_PUBLISHER.id], { TRADEHUB_CLIENT_SECRET: DEMO_PUBLISHER.secret });
    await child.waitForLine(/^tradehub simulate: publishing platform 'demo' \(account 5001, 20 ticks\/s per symbol\)/);
    await subscriber.waitForEvents(1, account, 10_000);
    const first = (await subscriber.waitForEvents(5, ticks, 10_000)).length;
    await waitUntil(() => subscriber.eventsOf(ticks).length >= first + 5, 'the ticks to keep coming', 10_000);
    for (const envelope of subscriber.eventsOf(ticks)) {
      const data = envelope.data as { symbol: string; bid: number; ask: number };
      assert.equal(data.symbol, 'EURUSD');
      assert.ok(data.ask > data.bid, JSON.stringify(data));
    }

    assert.ok(child.child.kill('SIGTERM'));
    const status = await within(child.exited, 10_000, 'simulate to stop');
    assert.equal(status.code, 0, child.stderr);
    assert.equal(child.stderr, '');
  });

  it('credentials without trade.publish, wrong credentials, none, an unreachable hub: one line, non-zero', async () => {
    await assertOneLineExit(simulate([], { TRADEHUB_TOKEN: await readerToken() }), 1, /^tradehub simulate: the hub refused the simulated events: .*unauthorized/i);
    await assertOneLineExit(simulate(['--client-id', DEMO_PUBLISHER.id, '--client-secret', 'wrong-secret'], {}), 1,
      /^tradehub simulate: token for client 'demo-publisher' refused: HTTP 401 invalid_client/);
    await assertOneLineExit(simulate([], {}), 2, /^tradehub simulate: credentials are needed: /);
    await assertOneLineExit(simulate(['--rate', 'fast', '--token', 'x'], {}), 2, /^tradehub simulate: --rate must be a number of ticks per second/);
    const port = await freePort();
    const unreachable = CliProcess.start(CLI, ['simulate', '--hub', `http://127.0.0.1:${port}`, '--token', 'x'], { cwd: ROOT });
    children.push(unreachable);
    await assertOneLineExit(unreachable, 1, new RegExp(`^tradehub simulate: cannot reach the hub at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED$`));
  });
});
