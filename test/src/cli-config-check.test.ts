import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { CliProcess, within } from './support/interop-fixtures.js';

/** Repository root: this file runs as test/dist/cli-config-check.test.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'server/dist/cli/main.js');

describe('tradehub config check FILE (a real process)', function () {
  this.timeout(20_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tradehub-config-check-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function check(text: string, env: NodeJS.ProcessEnv = {}, name = 'tradehub.yaml'): Promise<{ path: string; code: number | null; stdout: string; stderr: string }> {
    const path = join(dir, name);
    writeFileSync(path, text);
    const child = CliProcess.start(CLI, ['config', 'check', path], { cwd: ROOT, env });
    const status = await within(child.exited, 10_000, 'config check');
    return { path, code: status.code, stdout: child.stdoutLines.join('\n'), stderr: child.stderr };
  }

  it('prints what it understood, defaults filled in, secrets as *** and references kept; exits 0', async () => {
    const outcome = await check([
      'auth:',
      '  signing: { algorithm: HS256, secret: "a-literal-signing-secret-of-32-bytes-or-more" }',
      'redis: { url: "redis://:redis-password-value@cache:6379" }',
      'organizations:',
      '  - id: acme',
      '    platforms: [{ id: live, managers: [{ login: "7", password: manager-password-value }] }]',
      'clients:',
      '  - { id: feed, secret: env:FEED_SECRET, organization: acme, scopes: [trade.publish] }',
      '  - { id: desk, secret: desk-secret-value, organization: acme, scopes: [trade.read] }',
      '',
    ].join('\n'), { FEED_SECRET: 'feed-secret-value', TRADEHUB_CORS_ORIGINS: 'https://desk.example' });
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.stderr, '');
    for (const secret of ['a-literal-signing-secret', 'redis-password-value', 'manager-password-value', 'feed-secret-value', 'desk-secret-value']) {
      assert.ok(!outcome.stdout.includes(secret), `${secret} is shown`);
    }
    assert.match(outcome.stdout, new RegExp(`^# ${outcome.path}: valid; from the environment: cors\\.origins \\(TRADEHUB_CORS_ORIGINS\\)$`, 'm'));
    const understood = parseYaml(outcome.stdout) as {
      trade: { historyLength: number }; cors: { origins: string[] }; redis: { url: string; keyPrefix: string };
      auth: { signing: { secret: string } }; clients: Array<{ id: string; secret: string }>;
      organizations: Array<{ platforms: Array<{ managers: Array<{ password: string }> }> }>;
    };
    assert.equal(understood.trade.historyLength, 10_000);
    assert.deepEqual(understood.cors.origins, ['https://desk.example']);
    assert.equal(understood.redis.keyPrefix, 'tradehub');
    assert.equal(understood.redis.url, 'redis://:***@cache:6379');
    assert.equal(understood.auth.signing.secret, '***');
    assert.deepEqual(understood.clients.map((client) => client.secret), ['env:FEED_SECRET', '***']);
    assert.equal(understood.organizations[0]?.platforms[0]?.managers[0]?.password, '***');
  });

  it('hides the password of a Redis Cluster node given as a URL, and keeps host:port entries', async () => {
    const outcome = await check([
      'redis: { cluster: ["redis://app:cluster-password-value@10.0.0.1:6379", "10.0.0.2:6379"] }',
      'organizations: [{ id: acme, platforms: [{ id: live }] }]',
      '',
    ].join('\n'));
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.ok(!outcome.stdout.includes('cluster-password-value'));
    assert.deepEqual((parseYaml(outcome.stdout) as { redis: { cluster: string[] } }).redis.cluster, ['redis://app:***@10.0.0.1:6379', '10.0.0.2:6379']);
  });

  it('one line per problem (never a value, never a stack trace) and exit 2', async () => {
    const outcome = await check([
      'trade: { historyLength: 1 }',
      'hsts: { maxAgeSeconds: -1 }',
      'organizations: [{ id: acme }]',
      'clients: [{ id: feed, secret: hidden-value-1, organization: nope, scopes: [trade.read] }]',
      '',
    ].join('\n'));
    assert.equal(outcome.code, 2);
    assert.equal(outcome.stdout, '');
    const lines = outcome.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 2, outcome.stderr);
    assert.match(lines[0] ?? '', new RegExp(`^tradehub config: ${outcome.path}: trade\\.historyLength: `));
    assert.match(lines[1] ?? '', new RegExp(`^tradehub config: ${outcome.path}: hsts\\.maxAgeSeconds: `));
    assert.doesNotMatch(outcome.stderr, /hidden-value|^\s+at /m);

    const references = await check('organizations: [{ id: acme }]\nclients: [{ id: feed, secret: env:FEED_SECRET_UNSET, organization: nope, scopes: [trade.read] }]\n');
    assert.equal(references.code, 2);
    assert.match(references.stderr, /^tradehub config: .*: client 'feed' names unknown organization 'nope'$/m);

    const unresolved = await check('organizations: [{ id: acme }]\nclients: [{ id: feed, secret: env:FEED_SECRET_UNSET, organization: acme, scopes: [trade.read] }]\n');
    assert.equal(unresolved.code, 2);
    assert.match(unresolved.stderr, /^tradehub config: .*: clients\.0\.secret: environment variable FEED_SECRET_UNSET is not set\.$/m);

    const syntax = await check('{ "organizations": [', {}, 'broken.json');
    assert.equal(syntax.code, 2);
    assert.match(syntax.stderr, /^tradehub config: Configuration file .*broken\.json is not valid JSON: syntax error/);
  });

  it('without a file, or with another action: one line and exit 2', async () => {
    for (const args of [['config'], ['config', 'check'], ['config', 'lint', 'x.yaml']]) {
      const child = CliProcess.start(CLI, args, { cwd: ROOT });
      const status = await within(child.exited, 10_000, args.join(' '));
      assert.equal(status.code, 2, args.join(' '));
      assert.equal(child.stderr.trimEnd().split('\n').length, 1, child.stderr);
      assert.match(child.stderr.trimEnd(), /^tradehub config: .*\(tradehub config --help\)$/);
    }
  });
});
