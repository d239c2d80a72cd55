import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import { createClient } from 'redis';
import type { AccountStateView, DeviceView, OrganizationStateView } from '@tradehub/shared';
import {
  ACME_ADMIN, ACME_READER, api, assertInvalidToken, Cleanup, connectHub, createTerminalToken, DEMO_ADMIN, DEMO_READER, negotiate, postForm,
  signToken, validClaims, withAcme, withTestSecret, type MyAccess,
} from './support/auth-helpers.js';
import { assertClosedWithinOneSecond, OPERATOR, withOperator } from './support/access-helpers.js';
import { deleteKeys } from './support/redis-server.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('access state: devices, accounts and organizations on two nodes sharing Redis', () => {
  const prefix = uniqueKeyPrefix();
  const cleanup = new Cleanup();
  const nodes: RunningTradehub[] = [];
  let a: RunningTradehub;
  let b: RunningTradehub;
  let demoAdmin: string;
  let acmeAdmin: string;
  let operator: string;

  before(async () => {
    const options = { redis: { url: REDIS_URL, keyPrefix: prefix }, config: (c: Parameters<typeof withAcme>[0]) => withOperator(withAcme(withTestSecret(c))) };
    nodes.push(await startTradehub(options), await startTradehub(options));
    [a, b] = nodes as [RunningTradehub, RunningTradehub];
    demoAdmin = await clientToken(a.baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
    acmeAdmin = await clientToken(b.baseUrl, ACME_ADMIN.id, ACME_ADMIN.secret);
    operator = await clientToken(a.baseUrl, OPERATOR.id, OPERATOR.secret);
  });
  afterEach(async () => {
    await cleanup.run();
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await deleteKeys(REDIS_URL, prefix);
  });

  const connect = (node: RunningTradehub, token: string, device?: string): Promise<HubConnection> =>
    connectHub(cleanup, device === undefined ? node.tradeHubUrl : `${node.tradeHubUrl}?device_id=${encodeURIComponent(device)}`, token);
  const setOrganization = (id: string, body: unknown, token = operator, node = a) =>
    api(node.baseUrl, `/api/organizations/${id}/state`, { method: 'PUT', token, body });
  const subject = async (connection: HubConnection): Promise<string> => (await connection.invoke<MyAccess>('GetMyAccess')).subject;

  it('revokes a device: its bound token is refused and its connections on both nodes close within 1 s; approving it again restores the token', async () => {
    const bound = await createTerminalToken(a.baseUrl, demoAdmin, { name: 'Bound', platform: 'demo', login: '7001', device: 'dev-A' });
    const other = await createTerminalToken(a.baseUrl, demoAdmin, { name: 'Other', platform: 'demo', login: '7002', device: 'dev-B' });
    const listed = (await api(b.baseUrl, '/api/devices', { token: demoAdmin })).json as DeviceView[];
    assert.deepEqual(listed.find((device) => device.id === 'dev-A'), { id: 'dev-A', state: 'approved', tokens: [bound.id], changedAt: null, changedBy: null });

    const onA = await connect(a, bound.token, 'dev-A');
    const onB = await connect(b, bound.token, 'dev-A');
    const unaffected = await connect(b, other.token, 'dev-B');
    const slowest = await assertClosedWithinOneSecond([onA, onB], /device revoked/, async () => {
      const revoked = await api(a.baseUrl, '/api/devices/dev-A/revoke', { method: 'POST', token: demoAdmin });
      assert.equal(revoked.status, 200, revoked.text);
      assert.equal((revoked.json as DeviceView).state, 'revoked');
    });
    assert.ok(slowest < 1_000);
    assert.equal(await subject(unaffected), `terminal:${other.id}`);

    for (const node of [a, b]) {
      assertInvalidToken(await api(node.baseUrl, '/api/platforms', { token: bound.token, headers: { 'X-Device-Id': 'dev-A' } }), 'device revoked');
      assertInvalidToken(await negotiate(node.tradeHubUrl, bound.token, '&device_id=dev-A'), 'device revoked');
    }
    const revokedView = ((await api(b.baseUrl, '/api/devices', { token: demoAdmin })).json as DeviceView[]).find((device) => device.id === 'dev-A');
    assert.equal(revokedView?.state, 'revoked');
    assert.equal(revokedView?.changedBy, DEMO_ADMIN.id);

    assert.equal((await api(b.baseUrl, '/api/devices/dev-A/approve', { method: 'POST', token: demoAdmin })).status, 200);
    assert.equal(await subject(await connect(a, bound.token, 'dev-A')), `terminal:${bound.id}`);
    assert.equal((await api(b.baseUrl, '/api/platforms', { token: bound.token, headers: { 'X-Device-Id': 'dev-A' } })).status, 200);
  });

  it('disables an organization: every kind of its tokens is refused and its connections on both nodes close within 1 s; others are unaffected; enabling restores them', async () => {
    const acmeReader = await clientToken(a.baseUrl, ACME_READER.id, ACME_READER.secret);
    const acmeTerminal = await createTerminalToken(b.baseUrl, acmeAdmin, { name: 'Acme terminal', platform: 'acme-mt5', login: '8001' });
    const demoReader = await clientToken(a.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const acmeConnections = [await connect(a, acmeReader), await connect(b, acmeReader), await connect(b, acmeTerminal.token)];
    const demoConnection = await connect(a, demoReader);

    await assertClosedWithinOneSecond(acmeConnections, /organization disabled/, async () => {
      const answer = await setOrganization('acme', { disabled: true });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual({ ...(answer.json as OrganizationStateView), changedAt: 0 },
        { id: 'acme', disabled: true, expiresAt: null, active: false, changedAt: 0, changedBy: OPERATOR.id });
    });
    assert.equal(await subject(demoConnection), DEMO_READER.id);
    for (const node of [a, b]) {
      for (const token of [acmeReader, acmeTerminal.token, acmeAdmin]) {
        assertInvalidToken(await api(node.baseUrl, '/api/platforms', { token }), 'organization disabled');
      }
      const refused = await postForm(`${node.baseUrl}/connect/token`, { grant_type: 'client_credentials', client_id: ACME_READER.id, client_secret: ACME_READER.secret });
      assert.equal(refused.status, 400, refused.text);
      assert.deepEqual(refused.json, { error: 'unauthorized_client', error_description: 'organization disabled' });
      const managerLogin = await api(node.baseUrl, '/v1/init?server=acme-mt5&login=2000&password=acme-manager-pass');
      assert.equal(managerLogin.status, 403, managerLogin.text);
      assert.deepEqual(managerLogin.json, { error: 'access_denied', error_description: 'organization disabled' });
    }
    assert.equal((await api(b.baseUrl, '/api/platforms', { token: demoReader })).status, 200);
    assert.equal(((await api(b.baseUrl, '/api/organizations/acme/state', { token: operator })).json as OrganizationStateView).active, false);

    assert.equal((await setOrganization('acme', { disabled: false }, operator, b)).status, 200);
    assert.equal(await subject(await connect(b, acmeReader)), ACME_READER.id);
    assert.equal(await subject(await connect(a, acmeTerminal.token)), `terminal:${acmeTerminal.id}`);
    assert.equal(await subject(await connect(a, await clientToken(b.baseUrl, ACME_READER.id, ACME_READER.secret))), ACME_READER.id);
  });

  it('expires an organization at its expiry time with no further action, on both nodes; an expiry in the past closes at once', async () => {
    const acmeReader = await clientToken(a.baseUrl, ACME_READER.id, ACME_READER.secret);
    let connections = [await connect(a, acmeReader), await connect(b, acmeReader)];
    const closures = connections.map((connection) => new Promise<{ at: number; error: string }>((resolve) => {
      connection.onclose((error) => resolve({ at: Date.now(), error: String(error) }));
    }));
    const expiresAt = Date.now() + 1_500;
    assert.equal((await setOrganization('acme', { expiresAt })).status, 200);
    assert.equal(await subject(connections[0] as HubConnection), ACME_READER.id, 'still open before the expiry');
    for (const { at, error } of await Promise.all(closures)) {
      assert.match(error, /organization expired/);
      assert.ok(at >= expiresAt, `closed ${expiresAt - at} ms before the expiry`);
      assert.ok(at - expiresAt < 1_000, `closed ${at - expiresAt} ms after the expiry`);
    }
    assertInvalidToken(await api(b.baseUrl, '/api/platforms', { token: acmeReader }), 'organization expired');

    assert.equal((await setOrganization('acme', { expiresAt: null })).status, 200);
    connections = [await connect(a, acmeReader), await connect(b, acmeReader)];
    await assertClosedWithinOneSecond(connections, /organization expired/, async () => {
      assert.equal((await setOrganization('acme', { expiresAt: Date.now() - 1_000 }, operator, b)).status, 200);
    });
    assert.equal((await setOrganization('acme', { expiresAt: null })).status, 200);
    assert.equal(await subject(await connect(b, acmeReader)), ACME_READER.id);
  });

  it('disables an account: only tokens of that login are refused and closed, on both nodes; enabling restores them', async () => {
    const ofLogin = await createTerminalToken(a.baseUrl, demoAdmin, { name: 'Login 7101', platform: 'demo', login: '7101' });
    const otherLogin = await createTerminalToken(a.baseUrl, demoAdmin, { name: 'Login 7102', platform: 'demo', login: '7102' });
    const restricted = signToken(validClaims({ logins: ['7101'] }));
    const unrestricted = await clientToken(a.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const affected = [await connect(a, ofLogin.token), await connect(b, ofLogin.token), await connect(b, restricted)];
    const unaffected = [await connect(a, otherLogin.token), await connect(b, unrestricted)];

    await assertClosedWithinOneSecond(affected, /account disabled/, async () => {
      const answer = await api(b.baseUrl, '/api/accounts/demo/7101', { method: 'PUT', token: demoAdmin, body: { disabled: true } });
      assert.equal(answer.status, 200, answer.text);
    });
    for (const connection of unaffected) assert.ok((await subject(connection)).length > 0);
    assertInvalidToken(await api(a.baseUrl, '/api/platforms', { token: ofLogin.token }), 'account disabled');
    assertInvalidToken(await api(b.baseUrl, '/api/platforms', { token: restricted }), 'account disabled');
    const accounts = (await api(a.baseUrl, '/api/accounts', { token: demoAdmin })).json as AccountStateView[];
    assert.deepEqual(accounts.map(({ platform, login, disabled, changedBy }) => ({ platform, login, disabled, changedBy })),
      [{ platform: 'demo', login: '7101', disabled: true, changedBy: DEMO_ADMIN.id }]);

    assert.equal((await api(a.baseUrl, '/api/accounts/demo/7101', { method: 'PUT', token: demoAdmin, body: { disabled: false } })).status, 200);
    assert.equal(await subject(await connect(b, ofLogin.token)), `terminal:${ofLogin.id}`);
    assert.equal((await api(a.baseUrl, '/api/platforms', { token: restricted })).status, 200);
  });

  it('refuses cross-tenant and under-privileged changes, and changes nothing', async () => {
    const device = await createTerminalToken(a.baseUrl, demoAdmin, { name: 'Demo device', platform: 'demo', login: '7201', device: 'dev-demo' });
    const notFound = (answer: { status: number; text: string }): void => assert.equal(answer.status, 404, answer.text);
    // acme's admin cannot see or touch demo's devices, accounts or organization.
    notFound(await api(b.baseUrl, '/api/devices/dev-demo/revoke', { method: 'POST', token: acmeAdmin }));
    assert.ok(!((await api(b.baseUrl, '/api/devices', { token: acmeAdmin })).json as DeviceView[]).some((view) => view.id === 'dev-demo'));
    notFound(await api(a.baseUrl, '/api/accounts/demo/7201', { method: 'PUT', token: acmeAdmin, body: { disabled: true } }));
    notFound(await api(a.baseUrl, '/api/organizations/demo/state', { token: acmeAdmin }));
    // Only an operator changes an organization, and never its own.
    for (const [token, organization] of [[acmeAdmin, 'demo'], [acmeAdmin, 'acme'], [demoAdmin, 'acme']] as const) {
      const refused = await setOrganization(organization, { disabled: true }, token);
      assert.equal(refused.status, 403, refused.text);
      assert.equal((refused.json as { error: string }).error, 'insufficient_scope');
    }
    const own = await setOrganization('demo', { disabled: true });
    assert.equal(own.status, 400, own.text);
    assert.match((own.json as { error_description: string }).error_description, /own organization/);
    // Terminal tokens never carry admin or operator scopes.
    const escalate = await api(a.baseUrl, '/api/tokens', { method: 'POST', token: demoAdmin, body: { name: 'X', platform: 'demo', login: '1', scopes: ['operator'] } });
    assert.equal(escalate.status, 400, escalate.text);
    assert.equal((await api(a.baseUrl, '/api/devices', { token: device.token, headers: { 'X-Device-Id': 'dev-demo' } })).status, 403);

    assert.equal(await subject(await connect(b, device.token, 'dev-demo')), `terminal:${device.id}`);
    assert.equal((await api(a.baseUrl, '/api/platforms', { token: demoAdmin })).status, 200);
    assert.equal(((await api(a.baseUrl, '/api/organizations/demo/state', { token: demoAdmin })).json as OrganizationStateView).active, true);
  });

  it('ignores garbage on the access-change channel: no connection closes, no node fails', async () => {
    const reader = await connect(b, await clientToken(b.baseUrl, DEMO_READER.id, DEMO_READER.secret));
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    try {
      for (const message of ['not json', 'null', '[]', '{"kind":"device"}', '{"kind":"organization","organization":7}', '{"kind":"nope"}', 'x'.repeat(100_000)]) {
        await redis.publish(`${prefix}:revocations`, message);
      }
      // A valid change published after the garbage arrives: the channel still works, and nothing was closed.
      assert.equal((await setOrganization('acme', { disabled: false }, operator, a)).status, 200);
    } finally {
      await redis.close();
    }
    assert.equal(await subject(reader), DEMO_READER.id);
  });

  it('answers bad input with clear errors and keeps serving', async () => {
    const expectError = async (path: string, init: { method: string; body?: string; json?: unknown; token?: string }, status: number, error: string, description?: RegExp) => {
      const answer = init.body !== undefined
        ? await fetch(`${a.baseUrl}${path}`, { method: init.method, headers: { Authorization: `Bearer ${init.token ?? demoAdmin}`, 'Content-Type': 'application/json' }, body: init.body })
          .then(async (response) => ({ status: response.status, json: await response.json() as { error: string; error_description: string } }))
        : await api(a.baseUrl, path, { method: init.method, token: init.token ?? demoAdmin, ...(init.json !== undefined ? { body: init.json } : {}) })
          .then((response) => ({ status: response.status, json: response.json as { error: string; error_description: string } }));
      assert.equal(answer.status, status, `${path}: ${JSON.stringify(answer.json)}`);
      assert.equal(answer.json.error, error);
      if (description) assert.match(answer.json.error_description, description);
    };
    await expectError('/api/devices/no-such-device/revoke', { method: 'POST' }, 404, 'not_found', /Unknown device/);
    await expectError(`/api/devices/${'x'.repeat(201)}/approve`, { method: 'POST' }, 400, 'invalid_request', /at most 200/);
    await expectError('/api/accounts/demo/7301', { method: 'PUT', body: '{"disabled": tru' }, 400, 'invalid_request', /not valid JSON/);
    await expectError('/api/accounts/demo/7301', { method: 'PUT', json: {} }, 400, 'invalid_request', /disabled/);
    await expectError('/api/accounts/demo/7301', { method: 'PUT', json: { disabled: 'yes' } }, 400, 'invalid_request', /disabled/);
    await expectError('/api/accounts/demo/7301', { method: 'PUT', json: { disabled: true, extra: 1 } }, 400, 'invalid_request', /extra/);
    await expectError('/api/accounts/demo/7301', { method: 'PUT', json: [true] }, 400, 'invalid_request');
    await expectError('/api/accounts/demo/not-a-login', { method: 'PUT', json: { disabled: true } }, 400, 'invalid_request', /login/);
    await expectError('/api/accounts/nowhere/7301', { method: 'PUT', json: { disabled: true } }, 404, 'not_found', /Unknown platform/);
    await expectError('/api/accounts/demo/7301', { method: 'PUT', body: JSON.stringify({ disabled: true, pad: 'x'.repeat(200_000) }) }, 413, 'invalid_request', /too large/);
    await expectError('/api/organizations/acme/state', { method: 'PUT', json: {}, token: operator }, 400, 'invalid_request', /disabled, expiresAt/);
    await expectError('/api/organizations/acme/state', { method: 'PUT', json: { expiresAt: -5 }, token: operator }, 400, 'invalid_request', /expiresAt/);
    await expectError('/api/organizations/acme/state', { method: 'PUT', json: { expiresAt: 'soon' }, token: operator }, 400, 'invalid_request', /expiresAt/);
    await expectError('/api/organizations/no-such-org/state', { method: 'PUT', json: { disabled: true }, token: operator }, 404, 'not_found', /Unknown organization/);
    // Nothing was stored by any of it, and both nodes still serve.
    assert.ok(!((await api(b.baseUrl, '/api/accounts', { token: demoAdmin })).json as AccountStateView[]).some((view) => view.login === '7301'));
    for (const node of [a, b]) assert.equal((await api(node.baseUrl, '/api/platforms', { token: demoAdmin })).status, 200);
  });
});
