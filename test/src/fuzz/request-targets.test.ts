import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { DEMO_READER } from '../support/auth-helpers.js';
import { fuzzRuns, ProcessProblems } from '../support/fuzz.js';
import { assertServerServes } from '../support/protocol-helpers.js';
import { clientToken, startTradehub, type RunningTradehub } from '../support/tradehub-app.js';

/**
 * Request targets that Node's HTTP parser lets through but WHATWG URL cannot read ("//",
 * absolute-form with a port out of range, ...), as plain requests and as WebSocket upgrades:
 * a status line below 500 (mostly 4xx), never a 500, never an uncaught exception.
 */

/** Sends `head` over a raw TCP connection and resolves with the status code of the answer. */
function statusOf(port: number, head: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no status line within 10 s for ${JSON.stringify(head.split('\r\n')[0])}`));
    }, 10_000);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(received);
      if (!match) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(Number(match[1]));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`closed without a status line for ${JSON.stringify(head.split('\r\n')[0])}: ${JSON.stringify(received.slice(0, 100))}`));
    });
    socket.write(head);
  });
}

const UPGRADE_HEADERS = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';

const targetChar = fc.constantFrom(...'/\\:@[]%?#.aZ09-_~!$&\'()*+,;='.split(''));
const target = fc.oneof(
  fc.constantFrom('//', '///', '/\\', '//@', '//[::1', '//:99999', 'http://x:99999/hubs/trade', 'http://x:99999/hubs/trade/negotiate',
    'http://x:99999/testhub', 'http://x:99999/api/platforms', 'http://x:99999/rpc', '*'),
  fc.tuple(fc.constantFrom('/', '//', 'http://h', 'http://h:70000', '/hubs/trade', '/testhub', '/api/platforms', '/rpc'), fc.string({ unit: targetChar, maxLength: 30 }))
    .map(([prefix, rest]) => prefix + rest),
);

describe('fuzz: request targets', function () {
  this.timeout(120_000);
  const problems = new ProcessProblems();
  let node: RunningTradehub;
  let port: number;
  let token: string;

  before(async () => {
    problems.start();
    node = await startTradehub({ interopHub: true });
    port = Number(new URL(node.baseUrl).port);
    token = await clientToken(node.baseUrl, DEMO_READER.id, DEMO_READER.secret);
  });
  after(async () => {
    await node.close();
    problems.stop();
  });
  afterEach(() => problems.assertNone());

  it('answers any request target with a status below 500, as a plain request or an upgrade', async () => {
    const kind = fc.constantFrom('GET', 'POST', 'upgrade', 'upgrade with token');
    await fc.assert(fc.asyncProperty(target, kind, async (path, how) => {
      const upgrade = how.startsWith('upgrade');
      const head = `${upgrade ? 'GET' : how} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${upgrade ? UPGRADE_HEADERS : 'Content-Length: 0\r\n'}`
        + `${how === 'upgrade with token' || how === 'POST' ? `Authorization: Bearer ${token}\r\n` : ''}\r\n`;
      const status = await statusOf(port, head);
      // 101 for an accepted upgrade, 200 or a redirect (the dashboard at /) for a page, 4xx for the rest.
      assert.ok(status >= 101 && status < 500, `${status} for ${how} ${path}`);
      problems.assertNone();
    }), fuzzRuns(0xb001, 300));
    await assertServerServes(`${node.baseUrl}/testhub`);
  });

  describe('regressions found by this property', () => {
    it('refuses a WebSocket upgrade to "//" with 400 (it threw in the upgrade listener: an uncaught exception)', async () => {
      assert.equal(await statusOf(port, `GET // HTTP/1.1\r\nHost: 127.0.0.1\r\n${UPGRADE_HEADERS}\r\n`), 400);
      problems.assertNone();
    });

    it('refuses negotiate in absolute form with a port out of range with 400 (it was a 500)', async () => {
      const status = await statusOf(port, `POST http://x:99999/hubs/trade/negotiate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      assert.equal(status, 400);
    });
  });
});
