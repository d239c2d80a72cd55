import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, basic, DEMO_ADMIN, postForm } from './support/auth-helpers.js';
import { HubProcess } from './support/hub-process.js';
import { CliProcess, freePort, within } from './support/interop-fixtures.js';

/** Repository root: this file runs as test/dist/cli-token.test.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'server/dist/cli/main.js');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('tradehub token issue|list|revoke|replace against a running hub (real processes)', function () {
  this.timeout(30_000);
  let hub: HubProcess;
  let adminToken: string;

  before(async () => {
    hub = await HubProcess.start({});
    const answer = await postForm(`${hub.baseUrl}/connect/token`, { grant_type: 'client_credentials' }, { authorization: basic(DEMO_ADMIN.id, DEMO_ADMIN.secret) });
    adminToken = (answer.json as { access_token: string }).access_token;
  });
  after(async () => {
    await hub.dispose();
  });

  async function token(args: readonly string[], env: NodeJS.ProcessEnv = { TRADEHUB_ADMIN_TOKEN: adminToken }): Promise<Outcome> {
    const child = CliProcess.start(CLI, ['token', ...args], { cwd: ROOT, env: { TRADEHUB_HUB_URL: hub.baseUrl, ...env } });
    const status = await within(child.exited, 15_000, `tradehub token ${args.join(' ')}`);
    return { code: status.code, stdout: child.stdoutLines.join('\n'), stderr: child.stderr };
  }

  function assertFailure(outcome: Outcome, code: number, pattern: RegExp): void {
    assert.equal(outcome.code, code, outcome.stderr);
    assert.equal(outcome.stderr.trimEnd().split('\n').length, 1, outcome.stderr);
    assert.match(outcome.stderr.trimEnd(), pattern);
    assert.doesNotMatch(outcome.stderr, /^\s+at /m);
  }

  it('issues a token (printed once, and it works), lists it, replaces its secret and revokes it', async () => {
    const issued = await token(['issue', '--platform', 'demo', '--login', '1000', '--name', 'desk 7', '--scopes', 'trade.read', '--expires-in', '3600']);
    assert.equal(issued.code, 0, issued.stderr);
    const [, id] = /^issued terminal token (\S+): login 1000 on demo, scopes trade\.read, expires \d{4}-/m.exec(issued.stdout) ?? [];
    const [, secret] = /^token \(shown once, keep it secret\): (\S+)$/m.exec(issued.stdout) ?? [];
    assert.ok(id && secret, issued.stdout);
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: secret })).status, 200);

    const listed = await token(['list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const views = JSON.parse(listed.stdout) as Array<{ id: string; name: string; status: string; token?: string }>;
    assert.deepEqual(views.filter((view) => view.id === id).map((view) => [view.name, view.status]), [['desk 7', 'active']]);
    assert.ok(views.every((view) => view.token === undefined), 'a list never shows secrets');
    const human = await token(['list']);
    assert.match(human.stdout, new RegExp(`^${id}  active  demo/1000  "desk 7"  trade\\.read  expires `, 'm'));
    assert.ok(!human.stdout.includes(secret), 'a list never shows secrets');

    const replaced = await token(['replace', id, '--json']);
    assert.equal(replaced.code, 0, replaced.stderr);
    const successor = JSON.parse(replaced.stdout) as { id: string; token: string };
    assert.equal(successor.id, id, 'a replaced token keeps its id, with a new secret');
    assert.notEqual(successor.token, secret);
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: successor.token })).status, 200);
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: secret })).status, 401, 'the replaced token no longer works');

    const revoked = await token(['revoke', successor.id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`^revoked terminal token ${successor.id} \\(desk 7, login 1000 on demo\\)$`));
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: successor.token })).status, 401);
  });

  it('HTTP errors, a missing admin token, bad arguments and an unreachable hub: one line each, non-zero', async () => {
    assertFailure(await token(['revoke', 'tt_nope']), 1, /^tradehub token: DELETE \/api\/tokens\/tt_nope: HTTP 404 not_found: /);
    assertFailure(await token(['list'], { TRADEHUB_ADMIN_TOKEN: 'not-a-token' }), 1, /^tradehub token: GET \/api\/tokens: HTTP 401 invalid_token: /);
    assertFailure(await token(['issue', '--platform', 'nope', '--login', '1', '--name', 'x']), 1, /^tradehub token: POST \/api\/tokens: HTTP 404 /);
    assertFailure(await token(['list'], {}), 2, /^tradehub token: an admin token is needed: --admin-token or TRADEHUB_ADMIN_TOKEN/);
    assertFailure(await token(['issue', '--login', '1']), 2, /^tradehub token: token issue needs --platform, --name/);
    assertFailure(await token(['revoke']), 2, /^tradehub token: token revoke needs the token's ID/);
    assertFailure(await token(['lst']), 2, /^tradehub token: unknown action 'lst'/);
    const port = await freePort();
    assertFailure(await token(['list', '--hub', `http://127.0.0.1:${port}`]), 1, new RegExp(`^tradehub token: cannot reach the hub at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED$`));
    // The reader's token has no admin scope.
    const reader = await postForm(`${hub.baseUrl}/connect/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-reader', 'demo-reader-secret') });
    const outcome = await token(['list'], { TRADEHUB_ADMIN_TOKEN: (reader.json as { access_token: string }).access_token });
    assertFailure(outcome, 1, /^tradehub token: GET \/api\/tokens: HTTP 403 insufficient_scope/);
  });
});
