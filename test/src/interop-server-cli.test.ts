import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INTEROP_DEFAULT_PORT, INTEROP_HUB_PATH, InteropRoute } from '@tradehub/shared';
import { CliProcess, freePort, rejectionOf, within } from './support/interop-fixtures.js';
import { officialClient } from './support/official-client.js';
import { selfSignedPair, type SelfSignedPair } from './support/self-signed.js';

/** Repository root: this file runs as test/dist/interop-server-cli.test.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'server/dist/cli/interop.js');
const CLIENT = join(ROOT, 'test/dist/support/interop-client-process.js');

interface CheckLine {
  check: string;
  value?: unknown;
  error?: string;
}

/** Whether nothing listens on the port right now (another program on this machine may hold the default). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('interop server CLI (npm run interop-server) as a child process', function () {
  this.timeout(60_000);
  const children: CliProcess[] = [];
  let tls: SelfSignedPair;

  function start(args: readonly string[], script = CLI, env: NodeJS.ProcessEnv = {}): CliProcess {
    const child = CliProcess.start(script, args, { cwd: ROOT, env: { LOG_LEVEL: 'warn', ...env } });
    children.push(child);
    return child;
  }

  /** Runs the official client against `baseUrl` in a process of its own and returns its checks by name. */
  async function clientChecks(baseUrl: string, env: NodeJS.ProcessEnv = {}): Promise<Map<string, CheckLine>> {
    const client = start([baseUrl], CLIENT, env);
    const status = await within(client.exited, 30_000, 'client process');
    assert.equal(status.code, 0, `client process: ${client.stderr}`);
    const lines = client.stdoutLines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as CheckLine);
    return new Map(lines.map((line) => [line.check, line]));
  }

  function assertAllPassed(checks: Map<string, CheckLine>, scheme: string): void {
    for (const transport of ['WebSockets', 'ServerSentEvents', 'LongPolling']) {
      assert.deepEqual(checks.get(`hub ${transport}`), { check: `hub ${transport}`, value: ['hub', transport] }, scheme);
      assert.deepEqual(checks.get(`echo ${transport}`), { check: `echo ${transport}`, value: ['raw'] }, scheme);
      assert.deepEqual(checks.get(`authorized ${transport}`), { check: `authorized ${transport}`, value: 'authorized' }, scheme);
    }
  }

  before(() => {
    tls = selfSignedPair();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.kill()));
  });
  after(() => {
    tls.remove();
  });

  it('serves every route over HTTP and HTTPS (--tls-cert, --tls-key, --tls-port), then exits 0 on SIGTERM', async () => {
    const [port, tlsPort] = [await freePort(), await freePort()];
    const server = start(['--port', String(port), '--tls-port', String(tlsPort), '--tls-cert', tls.certPath, '--tls-key', tls.keyPath]);
    const [, httpUrl] = await server.waitForLine(/^tradehub interop server: (http:\/\/\S+)$/);
    const [, httpsUrl] = await server.waitForLine(/^tradehub interop server: (https:\/\/\S+)$/);
    assert.equal(httpUrl, `http://127.0.0.1:${port}${INTEROP_HUB_PATH}`);
    assert.equal(httpsUrl, `https://127.0.0.1:${tlsPort}${INTEROP_HUB_PATH}`);

    assertAllPassed(await clientChecks(`http://127.0.0.1:${port}`), 'http');
    // The self-signed certificate is trusted only by the client process it is given to.
    assertAllPassed(await clientChecks(`https://127.0.0.1:${tlsPort}`, { NODE_EXTRA_CA_CERTS: tls.certPath }), 'https');
    const untrusting = await clientChecks(`https://127.0.0.1:${tlsPort}`);
    assert.match(untrusting.get('hub LongPolling')?.error ?? '', /fetch failed|certificate/i);

    const limited = await fetch(`http://127.0.0.1:${port}${InteropRoute.NoWebSocketsHub}/negotiate?negotiateVersion=1`, { method: 'POST' });
    assert.equal(limited.status, 200);

    assert.ok(server.child.kill('SIGTERM'));
    const status = await within(server.exited, 10_000, 'exit after SIGTERM');
    assert.deepEqual(status, { code: 0, signal: null }, server.stderr);
  });

  it(`listens on INTEROP_DEFAULT_PORT (${INTEROP_DEFAULT_PORT}) when no --port is given`, async function () {
    if (!(await portIsFree(INTEROP_DEFAULT_PORT))) this.skip();
    const server = start([]);
    const [, url] = await server.waitForLine(/^tradehub interop server: (http:\/\/\S+)$/);
    assert.equal(url, `http://127.0.0.1:${INTEROP_DEFAULT_PORT}${INTEROP_HUB_PATH}`);
    assert.equal((await fetch(`http://127.0.0.1:${INTEROP_DEFAULT_PORT}${InteropRoute.GenerateJwtToken}`)).status, 200);
    // No HTTPS listener without a certificate.
    assert.equal(server.stdoutLines.filter((line) => line.includes('https://')).length, 0);
  });

  for (const [args, detail] of [[[], ' InvalidOperationException: boom'], [['--no-detailed-errors'], '']] as const) {
    it(`${args.length === 0 ? 'has detailed errors on by default, as the ASP.NET test server' : 'turns detailed errors off with --no-detailed-errors'}`, async () => {
      const port = await freePort();
      const server = start(['--port', String(port), ...args]);
      await server.waitForLine(/^tradehub interop server: http:/);
      const connection = officialClient(`http://127.0.0.1:${port}${INTEROP_HUB_PATH}`);
      try {
        await connection.start();
        const failure = await rejectionOf(connection.invoke('ThrowException', 'boom'));
        assert.equal(failure.message, `An unexpected error occurred invoking 'ThrowException' on the server.${detail}`);
      } finally {
        await connection.stop();
      }
    });
  }

  const refusals: Array<{ name: string; args: () => Promise<string[]>; message: RegExp }> = [
    { name: '--tls-cert without --tls-key', args: async () => ['--port', '0', '--tls-cert', tls.certPath], message: /^--tls-cert and --tls-key go together\.$/ },
    { name: 'a certificate file that cannot be read', args: async () => ['--port', '0', '--tls-cert', '/nonexistent/cert.pem', '--tls-key', tls.keyPath], message: /^--tls-cert: cannot read '\/nonexistent\/cert\.pem' \(ENOENT\)\.$/ },
    { name: 'a key that is not PEM', args: async () => ['--port', '0', '--tls-port', '0', '--tls-cert', tls.certPath, '--tls-key', tls.certPath], message: /^HTTPS cannot start on 127\.0\.0\.1:0: / },
    { name: 'a bad --tls-port', args: async () => ['--tls-port', '70000'], message: /^--tls-port must be a TCP port number, not '70000'\.$/ },
    { name: 'an unknown flag', args: async () => ['--prot', '1'], message: /^tradehub-interop: unknown option --prot: did you mean --port\? \(tradehub-interop --help\)$/ },
    { name: 'a --cors value that is not an origin', args: async () => ['--port', '0', '--cors', 'https://suite.example/path'], message: /^--cors takes origins, scheme:\/\/host\[:port\] without a path, not 'https:\/\/suite\.example\/path'\.$/ },
  ];
  for (const { name, args, message } of refusals) {
    it(`refuses ${name} with exit code 2 and a clear message`, async () => {
      const server = start(await args());
      const status = await within(server.exited, 10_000, 'exit');
      assert.deepEqual(status, { code: 2, signal: null });
      assert.match(server.stderr.trim(), message);
    });
  }

  it('--cors lets pages of the given origins call it besides local ones; --help describes it', async () => {
    const port = await freePort();
    const server = start(['--port', String(port), '--cors', 'https://suite.example,https://ci.example:8443', '--cors', 'http://lab.example']);
    await server.waitForLine(/^tradehub interop server: http:/);
    const preflight = (origin: string): Promise<Response> => fetch(`http://127.0.0.1:${port}${INTEROP_HUB_PATH}/negotiate?negotiateVersion=1`, {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-requested-with' },
    });
    for (const origin of ['https://suite.example', 'https://ci.example:8443', 'http://lab.example', 'http://localhost:9876']) {
      const answer = await preflight(origin);
      assert.equal(answer.status, 204, origin);
      assert.equal(answer.headers.get('access-control-allow-origin'), origin);
    }
    assert.equal((await preflight('https://other.example')).status, 403);

    const help = start(['--help']);
    assert.equal((await within(help.exited, 10_000, '--help')).code, 0);
    assert.ok(help.stdoutLines.some((line) => line.trimStart().startsWith('--cors ORIGINS')), help.stdoutLines.join('\n'));
  });

  it('refuses a port in use with exit code 2', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const address = holder.address();
      assert.ok(address !== null && typeof address === 'object');
      const server = start(['--port', String(address.port)]);
      const status = await within(server.exited, 10_000, 'exit');
      assert.deepEqual(status, { code: 2, signal: null });
      assert.equal(server.stderr.trim(), `Cannot listen on 127.0.0.1:${address.port}: EADDRINUSE.`);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});
