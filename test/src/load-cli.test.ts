import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadReport } from '@tradehub/server/load';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

const CLI = fileURLToPath(new URL('../../server/dist/load/cli.js', import.meta.url));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs tradehub-load as a child process; the time-out kills it, so that no run outlives the test. */
function runCli(args: string[], timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('tradehub-load: end to end against a tradehub node', function () {
  this.timeout(40_000);
  let hub: RunningTradehub;
  let dir: string;

  before(async () => {
    hub = await startTradehub();
    dir = mkdtempSync(join(tmpdir(), 'tradehub-load-'));
  });

  after(async () => {
    await hub?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fanout: 50 subscribers each receive every published event once, in order, with the figures in the JSON report', async () => {
    const file = join(dir, 'fanout.json');
    const run = await runCli(['fanout', '--url', hub.baseUrl, '--connections', '50', '--duration', '2', '--rate', '50', '--drain', '5', '--json', file, '--markdown', join(dir, 'fanout.md'), '--server-pid', String(process.pid)]);
    assert.equal(run.code, 0, `exit code (stderr: ${run.stderr}; stdout: ${run.stdout})`);
    const report = JSON.parse(readFileSync(file, 'utf8')) as LoadReport;
    assert.equal(report.connect.opened, 50);
    assert.equal(report.connect.failed, 0);
    assert.ok(report.publish && report.publish.published >= 90, `published ${report.publish?.published}`);
    assert.ok(report.delivery);
    assert.equal(report.delivery.received, report.publish.published * 50, 'delivered = published × subscribers');
    assert.equal(report.delivery.expected, report.publish.published * 50);
    assert.deepEqual([report.delivery.missing, report.delivery.undelivered, report.delivery.duplicated, report.delivery.reordered], [0, 0, 0, 0]);
    assert.ok(report.delivery.deliveredPerSecond > 0);
    assert.ok(report.latency && report.latency.count > 0 && report.latency.p99 > 0, 'latency was measured');
    assert.ok(report.server && report.server.rssMaxBytes > 0, 'the server was sampled from /proc');
    assert.equal(report.ok, true);
    assert.match(readFileSync(join(dir, 'fanout.md'), 'utf8'), /^# tradehub-load: fanout/);
  });

  it('reconnect-storm: every subscriber drops and resumes by (epoch, seq) with nothing lost or repeated', async () => {
    const file = join(dir, 'reconnect.json');
    const run = await runCli(['reconnect-storm', '--url', hub.baseUrl, '--connections', '50', '--duration', '3', '--rate', '50', '--drain', '5', '--json', file]);
    assert.equal(run.code, 0, `exit code (stderr: ${run.stderr}; stdout: ${run.stdout})`);
    const report = JSON.parse(readFileSync(file, 'utf8')) as LoadReport;
    assert.ok(report.reconnect && report.delivery && report.publish);
    assert.equal(report.reconnect.dropped, 50);
    assert.equal(report.reconnect.resumed, 50);
    assert.equal(report.reconnect.failed, 0);
    assert.equal(report.delivery.received, report.publish.published * 50, 'every event reached every subscriber exactly once, live or by resume');
    assert.deepEqual([report.delivery.missing, report.delivery.undelivered, report.delivery.duplicated, report.delivery.reordered], [0, 0, 0, 0]);
  });

  it('refuses a non-loopback target before connecting anywhere', async () => {
    const run = await runCli(['fanout', '--url', 'http://192.0.2.1:5000']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /is not a loopback address: tradehub-load only targets 127\.0\.0\.0\/8 or localhost/);
  });
});
