import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, basic, postForm } from './support/auth-helpers.js';
import { CliProcess, freePort, within } from './support/interop-fixtures.js';

/** Repository root: this file runs as test/dist/cli-serve.test.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'server/dist/cli/main.js');

/** No `at file:line` frames, no `node:internal`: what a stack trace would show. */
const STACK_TRACE = /^\s+at |node:internal|Error: .*\n\s+at /m;

describe('tradehub CLI: serve, help and bad input at start (real processes)', function () {
  this.timeout(30_000);
  const children: CliProcess[] = [];
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tradehub-cli-serve-'));
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.kill()));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
    const child = CliProcess.start(CLI, args, {
      cwd: ROOT,
      env: { LOG_LEVEL: 'warn', TRADEHUB_SIMULATOR: 'off', TRADEHUB_DATA_DIR: join(dir, 'data'), ...env },
    });
    children.push(child);
    return child;
  }

  /** Runs to its end; answers the exit code, stdout and stderr. */
  async function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = start(args, env);
    const status = await within(child.exited, 15_000, `tradehub ${args.join(' ')}`);
    return { code: status.code, stdout: child.stdoutLines.join('\n'), stderr: child.stderr };
  }

  /** Exit code 2 (or `code`) and exactly one line on stderr matching `pattern`, without a stack trace. */
  async function assertOneLineFailure(args: readonly string[], env: NodeJS.ProcessEnv, pattern: RegExp, code = 2): Promise<string> {
    const outcome = await run(args, env);
    assert.equal(outcome.code, code, `exit code; stderr: ${outcome.stderr}`);
    const lines = outcome.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line on stderr, not: ${outcome.stderr}`);
    assert.match(lines[0] ?? '', pattern);
    assert.doesNotMatch(outcome.stderr, STACK_TRACE);
    return lines[0] ?? '';
  }

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('--help lists the commands; each command has its own help; serve --help lists the environment variables', async () => {
    const top = await run(['--help']);
    assert.equal(top.code, 0);
    for (const command of ['serve', 'simulate', 'token', 'config']) assert.match(top.stdout, new RegExp(`^  ${command} `, 'm'));
    const version = await run(['--version']);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
    for (const command of ['serve', 'simulate', 'token', 'config']) {
      const own = await run([command, '--help']);
      assert.equal(own.code, 0, own.stderr);
      assert.match(own.stdout, new RegExp(`^Usage: tradehub (\\[)?${command}`));
    }
    const serve = await run(['serve', '-h']);
    for (const variable of ['TRADEHUB_CORS_ORIGINS', 'TRADEHUB_REDIS_URL or REDIS_URL', 'TRADEHUB_PORT or PORT', 'TRADEHUB_LOG_LEVEL or LOG_LEVEL', 'TRADEHUB_LIMITS_TOPICS_PER_CONNECTION']) {
      assert.ok(serve.stdout.includes(variable), `serve --help names ${variable}`);
    }
  });

  it('a bad flag, an unknown command, a bad port and an unknown TRADEHUB_* variable: one line each, exit 2, nearest name suggested', async () => {
    await assertOneLineFailure(['--prot', '5000'], {}, /^tradehub serve: unknown option --prot: did you mean --port\? \(tradehub serve --help\)$/);
    await assertOneLineFailure(['token', 'list', '--hub'], {}, /^tradehub token: option '--hub <value>' argument missing/);
    await assertOneLineFailure(['simulat'], {}, /^tradehub: unknown command 'simulat': did you mean simulate\?/);
    await assertOneLineFailure([], { PORT: 'http' }, /^tradehub serve: PORT must be a TCP port number, not 'http'/);
    await assertOneLineFailure([], { TRADEHUB_CORS_ORIGIN: 'https://desk.example' }, /^tradehub serve: Unknown environment setting TRADEHUB_CORS_ORIGIN: did you mean TRADEHUB_CORS_ORIGINS\?$/);
    await assertOneLineFailure([], { TRADEHUB_LOG_LEVEL: 'loud' }, /^tradehub serve: LOG_LEVEL must be one of /);
  });

  it('bad configuration values, from a file or the environment: one line per problem naming the field or variable, exit 2', async () => {
    const path = file('bad.yaml', 'trade:\n  historyLength: 3\norganizations: []\nsurprise: 1\n');
    const outcome = await run(['--config', path]);
    assert.equal(outcome.code, 2);
    assert.doesNotMatch(outcome.stderr, STACK_TRACE);
    const lines = outcome.stderr.trimEnd().split('\n');
    assert.ok(lines.length >= 3, outcome.stderr);
    for (const line of lines) assert.ok(line.startsWith(`tradehub serve: ${path}: `), line);
    assert.ok(lines.some((line) => line.includes('trade.historyLength')), outcome.stderr);
    assert.ok(lines.some((line) => line.includes('surprise')), outcome.stderr);
    await assertOneLineFailure([], { TRADEHUB_LIMITS_TOPICS_PER_CONNECTION: 'many' }, /^tradehub serve: TRADEHUB_LIMITS_TOPICS_PER_CONNECTION must be a whole number from 1 to 1000000, not 'many'\.$/);
    await assertOneLineFailure([], { TRADEHUB_CORS_ORIGINS: 'https://desk.example,https://ops.example/path' }, /^tradehub serve: TRADEHUB_CORS_ORIGINS \(item 2\): must be an origin/);
    // A value that is valid on its own but not with the file's: the path, and the variable that set it.
    await assertOneLineFailure([], { TRADEHUB_AUTH_LOGIN_ACCOUNT_DELAY_BASE_SECONDS: '100', TRADEHUB_AUTH_LOGIN_ACCOUNT_DELAY_MAX_SECONDS: '10' },
      /^tradehub serve: the embedded demo configuration: auth\.login\.accountDelayMaxSeconds \(from TRADEHUB_AUTH_LOGIN_ACCOUNT_DELAY_MAX_SECONDS\): must not be below/);
  });

  it('a port in use: one line, exit 1', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as { port: number };
      await assertOneLineFailure(['--port', String(port)], {}, new RegExp(`^tradehub serve: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`), 1);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('an unreachable Redis URL at start: one line naming the host (never the password), exit 1', async () => {
    const port = await freePort();
    const line = await assertOneLineFailure([], { REDIS_URL: `redis://:hunter2-secret@127.0.0.1:${port}`, REDIS_COMMAND_TIMEOUT_MS: '300' },
      new RegExp(`^tradehub serve: cannot start: Redis at 127\\.0\\.0\\.1:${port} could not be connected to within 300 ms`), 1);
    assert.doesNotMatch(line, /hunter2/);
  });

  it('TRADEHUB_CORS_ORIGINS (comma-separated) lets those pages call the API; others are refused', async () => {
    const child = start(['--port', '0'], { TRADEHUB_CORS_ORIGINS: 'https://desk.example, https://ops.example:8443' });
    const [, baseUrl] = await child.waitForLine(/listening on (http:\/\/\S+)/);
    const preflight = (origin: string): Promise<Response> => fetch(`${baseUrl}/connect/token`, {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' },
    });
    for (const origin of ['https://desk.example', 'https://ops.example:8443']) {
      const allowed = await preflight(origin);
      assert.equal(allowed.status, 204, origin);
      assert.equal(allowed.headers.get('access-control-allow-origin'), origin);
    }
    assert.equal((await preflight('https://evil.example')).status, 403);
  });

  it('a configuration file with demo: true keeps the demo organization, clients and simulator beside its own', async () => {
    const path = file('with-demo.yaml', [
      'demo: true',
      'organizations:',
      '  - id: acme',
      '    platforms: [{ id: acme-live }]',
      'clients:',
      '  - { id: acme-reader, secret: env:ACME_SECRET, organization: acme, scopes: [trade.read] }',
      '',
    ].join('\n'));
    const child = start(['--port', '0', '--config', path], { ACME_SECRET: 'acme-reader-secret-value', TRADEHUB_SIMULATOR: 'on' });
    const [, baseUrl] = await child.waitForLine(/listening on (http:\/\/\S+)/);
    await child.waitForLine(/simulator: .* platform 'demo'/);
    await child.waitForLine(/client demo-reader \/ demo-reader-secret/);
    const tokenOf = async (id: string, secret: string): Promise<number> =>
      (await postForm(`${baseUrl}/connect/token`, { grant_type: 'client_credentials' }, { authorization: basic(id, secret) })).status;
    assert.equal(await tokenOf('demo-reader', 'demo-reader-secret'), 200);
    assert.equal(await tokenOf('acme-reader', 'acme-reader-secret-value'), 200);
    // The demo manager login still opens the demo platform.
    assert.equal((await api(String(baseUrl), '/v1/init?server=demo&login=1000&password=demo')).status, 200);

    // Without demo: true, the demo entities are gone (and so is their simulator's default).
    const plain = file('without-demo.yaml', 'organizations:\n  - id: acme\n    platforms: [{ id: acme-live }]\n');
    const other = start(['--port', '0', '--config', plain]);
    const [, otherUrl] = await other.waitForLine(/listening on (http:\/\/\S+)/);
    assert.equal((await postForm(`${otherUrl}/connect/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-reader', 'demo-reader-secret') })).status, 401);
  });

  it('demo: true is refused in production, in one line', async () => {
    const path = file('demo-prod.yaml', 'demo: true\norganizations: [{ id: acme }]\n');
    await assertOneLineFailure(['--config', path], { NODE_ENV: 'production' }, /^tradehub serve: NODE_ENV=production refuses `demo: true`/);
  });
});
