import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ev, TradeClient } from './support/trade-helpers.js';
import { clientToken, startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

/**
 * The interpreter to use: TRADEHUB_TEST_PYTHON, else the first of `python3` on the PATH and
 * Debian's own (where CI installs python3-websockets) that can import `websockets`.
 */
const CANDIDATES = process.env.TRADEHUB_TEST_PYTHON ? [process.env.TRADEHUB_TEST_PYTHON] : ['python3', '/usr/bin/python3'];
const SCRIPT = fileURLToPath(new URL('../scripts/ws_rpc_client.py', import.meta.url));

function pythonWithWebsockets(): string | undefined {
  return CANDIDATES.find((python) => spawnSync(python, ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0);
}
const PYTHON = pythonWithWebsockets();

describe('/ws from a Python script (the websockets module)', function () {
  this.timeout(20_000);
  let hub: RunningTradehub;
  let child: ChildProcess | undefined;

  before(function () {
    if (PYTHON === undefined) {
      console.log(`      skipped: none of ${CANDIDATES.join(', ')} can import websockets (apt-get install python3-websockets, or set TRADEHUB_TEST_PYTHON)`);
      this.skip();
    }
  });
  afterEach(() => {
    if (child && child.exitCode === null) child.kill();
  });
  after(async () => {
    await hub?.close();
  });

  it('pings, subscribes and receives event notifications in order', async () => {
    hub = await startTradehub();
    const reader = await clientToken(hub.baseUrl, 'demo-reader', 'demo-reader-secret');
    const publisher = await TradeClient.connect(hub.tradeHubUrl, await clientToken(hub.baseUrl, 'demo-publisher', 'demo-publisher-secret'));
    try {
      const topic = 'platforms/demo/ticks/USDJPY';
      const lines: any[] = [];
      let stderr = '';
      if (PYTHON === undefined) throw new Error('no Python with websockets');
      child = spawn(PYTHON, [SCRIPT, `${hub.baseUrl.replace(/^http/, 'ws')}/ws`, reader, topic, '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let pending = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const complete = pending.split('\n');
        pending = complete.pop() ?? '';
        for (const line of complete) if (line.trim() !== '') lines.push(JSON.parse(line));
      });
      child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
      const exited = new Promise<number | null>((resolve) => child?.on('exit', resolve));

      await waitUntil(() => lines.some((line) => line.step === 'subscribe') || child?.exitCode !== null, () => `the script to subscribe (stderr: ${stderr})`, 10_000);
      const subscribed = lines.find((line) => line.step === 'subscribe');
      assert.ok(subscribed, stderr);
      assert.equal(lines[0].answer.result.pong, true);
      const [result] = subscribed.answer.result;
      assert.equal(result.status, 'snapshot');
      for (const bid of [150.1, 150.2, 150.3]) await publisher.publish([ev.tick('USDJPY', bid)]);
      assert.equal(await exited, 0, stderr);
      const received = lines.filter((line) => line.step === 'event').map((line) => line.params);
      assert.deepEqual(received.map((event) => event.data.bid), [150.1, 150.2, 150.3]);
      assert.deepEqual(received.map((event) => event.seq), [result.seq + 1, result.seq + 2, result.seq + 3]);
    } finally {
      await publisher.stop();
    }
  });
});
