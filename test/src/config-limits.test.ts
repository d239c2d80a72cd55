import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import { demoConfig, DEFAULT_FLUSH_PAUSE_MS, parseConfig, setSocketFlushPause, socketFlushPause } from '@tradehub/server';
import { INTEROP_HUB_PATH } from '@tradehub/shared';
import { nextClose, officialClient } from './support/official-client.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

/** The hubs' per-connection limits come from the configuration file's `limits` as well as from code. */
describe('configuration: per-connection limits of the hubs (limits.*)', () => {
  let hub: RunningTradehub;
  const open: HubConnection[] = [];
  before(async () => {
    hub = await startTradehub({
      interopHub: true,
      config: (config) => ({ ...config, limits: { ...config.limits, groupsPerConnection: 2, groupNameLength: 8, messageSizeBytes: 4096, parallelInvocationsPerConnection: 4 } }),
    });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((connection) => connection.stop()));
  });
  after(async () => {
    await hub.close();
  });

  async function interopClient(): Promise<HubConnection> {
    const connection = officialClient(`${hub.baseUrl}${INTEROP_HUB_PATH}`);
    open.push(connection);
    await connection.start();
    return connection;
  }

  it('caps groups per connection and group-name length as configured', async () => {
    const connection = await interopClient();
    await connection.invoke('JoinGroup', 'a');
    await connection.invoke('JoinGroup', 'b');
    await assert.rejects(connection.invoke('JoinGroup', 'c'), /HubException: A connection may be in at most 2 groups\./);
    await connection.invoke('LeaveGroup', 'a');
    await assert.rejects(connection.invoke('JoinGroup', 'ninechars'), /HubException: Group names are at most 8 characters long\./);
    await connection.invoke('JoinGroup', 'eight-ch');
  });

  it('limits the message size as configured', async () => {
    const connection = await interopClient();
    assert.equal(await connection.invoke('Echo', 'x'.repeat(3000)), 'x'.repeat(3000));
    const closed = nextClose(connection);
    void connection.invoke('Echo', 'x'.repeat(5000)).catch(() => undefined);
    const error = await closed;
    assert.match(String(error?.message), /The maximum message size of 4096B was exceeded\./);
  });

  it('runs a connection\'s calls in parallel as configured: a quick call overtakes a slow one', async () => {
    const connection = await interopClient();
    const finished: string[] = [];
    const slow = connection.invoke('Delay', 400).then(() => finished.push('Delay'));
    const quick = connection.invoke('Echo', 'x').then(() => finished.push('Echo'));
    await Promise.all([slow, quick]);
    assert.deepEqual(finished, ['Echo', 'Delay']);
  });

  it('keeps the defaults for the limits it does not name', () => {
    const { options } = hub.app.tradeHub;
    assert.equal(options.maximumGroupsPerConnection, 2);
    assert.equal(options.maximumReceiveMessageSize, 4096);
    assert.equal(options.maximumClientStreamsPerClient, 10);
    assert.equal(options.maximumQueuedInvocationsPerClient, 64);
    assert.equal(options.maximumParallelInvocationsPerClient, 4);
    assert.equal(options.maximumBufferedBytesPerClient, 1024 * 1024);
  });
});

describe('configuration: limits.flushPauseMaxMs', () => {
  after(() => {
    setSocketFlushPause(DEFAULT_FLUSH_PAUSE_MS);
  });

  it('sets how long the process\'s flushes may wait under load, and refuses more than 100 ms', async () => {
    assert.equal(socketFlushPause(), DEFAULT_FLUSH_PAUSE_MS);
    assert.equal(DEFAULT_FLUSH_PAUSE_MS, 0, 'off unless configured');
    const hub = await startTradehub({ config: (config) => ({ ...config, limits: { ...config.limits, flushPauseMaxMs: 10 } }) });
    try {
      assert.equal(socketFlushPause(), 10);
    } finally {
      await hub.close();
    }
    const raw = JSON.parse(JSON.stringify(demoConfig('/tmp/tradehub-config-test'))) as { limits: Record<string, unknown> };
    raw.limits.flushPauseMaxMs = 101;
    assert.throws(() => parseConfig(raw, 'the test'), /flushPauseMaxMs/);
  });
});
