import assert from 'node:assert/strict';
import type { TradehubConfig } from '@tradehub/server';
import {
  ACME_ADMIN, ACME_READER, api, basic, Cleanup, connectHub, createTerminalToken, DEMO_ADMIN, DEMO_READER, decodeJwt, negotiate,
  postForm, refusedUpgrade, withAcme, type MyAccess, type TerminalTokenView,
} from './support/auth-helpers.js';
import { clientToken, startTradehub, type RunningTradehub } from './support/tradehub-app.js';

const DEMO_PLATFORM = { id: 'demo', name: 'Demo MT5 (simulated)', kind: 'mt5' };
const DEMO2_PLATFORM = { id: 'demo-2', name: 'Demo Two', kind: 'mt4' };
const ACME_PLATFORM = { id: 'acme-mt5', name: 'Acme MT5', kind: 'mt5' };

/** demo (platforms demo, demo-2) and acme (acme-mt5); demo-restricted reaches demo-2 only. */
function tenants(config: TradehubConfig): TradehubConfig {
  withAcme(config);
  config.organizations[0]?.platforms.push({ id: 'demo-2', name: 'Demo Two', kind: 'mt4', managers: [] });
  config.clients.push(
    { id: 'demo-restricted', secret: 'demo-restricted-secret', organization: 'demo', scopes: ['trade.read'], platforms: ['demo-2'] },
    { id: 'demo2-admin', secret: 'demo2-admin-secret', organization: 'demo', scopes: ['admin', 'trade.read'], platforms: ['demo-2'] },
  );
  return config;
}

describe('auth: tenancy (organizations see only their own)', () => {
  let hub: RunningTradehub;
  const cleanup = new Cleanup();
  let demoAdmin: string;
  let acmeAdmin: string;
  before(async () => {
    hub = await startTradehub({ config: tenants });
    demoAdmin = await clientToken(hub.baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
    acmeAdmin = await clientToken(hub.baseUrl, ACME_ADMIN.id, ACME_ADMIN.secret);
  });
  afterEach(async () => {
    await cleanup.run();
  });
  after(async () => {
    await hub.close();
  });

  async function platformsSeenBy(token: string): Promise<{ api: unknown; hub: unknown; organizations: unknown }> {
    const connection = await connectHub(cleanup, hub.tradeHubUrl, token);
    return {
      api: (await api(hub.baseUrl, '/api/platforms', { token })).json,
      hub: await connection.invoke('GetPlatforms'),
      organizations: (await api(hub.baseUrl, '/api/organizations', { token })).json,
    };
  }

  it('shows a demo client the demo platforms and organization only', async () => {
    const token = await clientToken(hub.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    assert.deepEqual(decodeJwt(token).payload.plat, ['demo', 'demo-2']);
    assert.deepEqual(await platformsSeenBy(token), {
      api: [{ ...DEMO_PLATFORM, organization: 'demo' }, { ...DEMO2_PLATFORM, organization: 'demo' }],
      hub: [DEMO_PLATFORM, DEMO2_PLATFORM],
      organizations: [{ id: 'demo', name: 'Demo organization' }],
    });
  });

  it('shows an acme client the acme platform and organization only', async () => {
    const token = await clientToken(hub.baseUrl, ACME_READER.id, ACME_READER.secret);
    assert.equal(decodeJwt(token).payload.org, 'acme');
    assert.deepEqual(await platformsSeenBy(token), {
      api: [{ ...ACME_PLATFORM, organization: 'acme' }],
      hub: [ACME_PLATFORM],
      organizations: [{ id: 'acme', name: 'Acme' }],
    });
  });

  it('shows a client restricted to one platform that platform only', async () => {
    const token = await clientToken(hub.baseUrl, 'demo-restricted', 'demo-restricted-secret');
    assert.deepEqual(decodeJwt(token).payload.plat, ['demo-2']);
    assert.deepEqual(await platformsSeenBy(token), {
      api: [{ ...DEMO2_PLATFORM, organization: 'demo' }],
      hub: [DEMO2_PLATFORM],
      organizations: [{ id: 'demo', name: 'Demo organization' }],
    });
  });

  it('shows a terminal token of platform demo nothing of acme', async () => {
    const terminal = await createTerminalToken(hub.baseUrl, demoAdmin, { name: 'T', platform: 'demo', login: '7001' });
    assert.deepEqual(await platformsSeenBy(terminal.token), {
      api: [{ ...DEMO_PLATFORM, organization: 'demo' }],
      hub: [DEMO_PLATFORM],
      organizations: [{ id: 'demo', name: 'Demo organization' }],
    });
    const connection = await connectHub(cleanup, hub.tradeHubUrl, terminal.token);
    const access = await connection.invoke<MyAccess>('GetMyAccess');
    assert.equal(access.organization, 'demo');
    assert.deepEqual(access.platforms, ['demo']);
  });

  it('keeps demo\'s terminal tokens out of an acme admin\'s sight and reach (404, as for a missing token)', async () => {
    const terminal = await createTerminalToken(hub.baseUrl, demoAdmin, { name: 'Demo only', platform: 'demo', login: '7002' });
    const list = await api(hub.baseUrl, '/api/tokens', { token: acmeAdmin });
    assert.equal(list.status, 200);
    assert.ok(!(list.json as TerminalTokenView[]).some((view) => view.id === terminal.id || view.organization === 'demo'), list.text);

    const unknown = { error: 'not_found', error_description: `Unknown token '${terminal.id}'.` };
    const get = await api(hub.baseUrl, `/api/tokens/${terminal.id}`, { token: acmeAdmin });
    assert.equal(get.status, 404);
    assert.deepEqual(get.json, unknown);
    const revoke = await api(hub.baseUrl, `/api/tokens/${terminal.id}`, { method: 'DELETE', token: acmeAdmin });
    assert.equal(revoke.status, 404);
    assert.deepEqual(revoke.json, unknown);
    const replace = await api(hub.baseUrl, `/api/tokens/${terminal.id}/replace`, { method: 'POST', token: acmeAdmin });
    assert.equal(replace.status, 404);
    assert.deepEqual(replace.json, unknown);
    assert.ok(!replace.text.includes('thub_'));

    // The token is untouched: still active, same secret.
    const view = (await api(hub.baseUrl, `/api/tokens/${terminal.id}`, { token: demoAdmin })).json as TerminalTokenView;
    assert.equal(view.status, 'active');
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: terminal.token })).status, 200);
  });

  it('lets no admin create a token for another organization\'s platform (404, as for a missing platform)', async () => {
    const acmeForDemo = await api(hub.baseUrl, '/api/tokens', { method: 'POST', token: acmeAdmin, body: { name: 'X', platform: 'demo', login: '1' } });
    assert.equal(acmeForDemo.status, 404);
    assert.deepEqual(acmeForDemo.json, { error: 'not_found', error_description: "Unknown platform 'demo'." });
    const demoForAcme = await api(hub.baseUrl, '/api/tokens', { method: 'POST', token: demoAdmin, body: { name: 'X', platform: 'acme-mt5', login: '1' } });
    assert.equal(demoForAcme.status, 404);
    assert.deepEqual(demoForAcme.json, { error: 'not_found', error_description: "Unknown platform 'acme-mt5'." });
    // Nothing was created on either side.
    const acmeList = (await api(hub.baseUrl, '/api/tokens', { token: acmeAdmin })).json as TerminalTokenView[];
    assert.deepEqual(acmeList.filter((view) => view.platform === 'demo'), []);
    const demoList = (await api(hub.baseUrl, '/api/tokens', { token: demoAdmin })).json as TerminalTokenView[];
    assert.deepEqual(demoList.filter((view) => view.platform === 'acme-mt5'), []);
  });

  it('confines an admin restricted to one platform to that platform\'s terminal tokens', async () => {
    const restrictedAdmin = await clientToken(hub.baseUrl, 'demo2-admin', 'demo2-admin-secret');
    const other = await createTerminalToken(hub.baseUrl, demoAdmin, { name: 'Platform demo', platform: 'demo', login: '7101' });
    const own = await createTerminalToken(hub.baseUrl, restrictedAdmin, { name: 'Platform demo-2', platform: 'demo-2', login: '7102' });
    assert.equal(own.platform, 'demo-2');

    const create = await api(hub.baseUrl, '/api/tokens', { method: 'POST', token: restrictedAdmin, body: { name: 'X', platform: 'demo', login: '1' } });
    assert.equal(create.status, 404);
    const list = (await api(hub.baseUrl, '/api/tokens', { token: restrictedAdmin })).json as TerminalTokenView[];
    assert.ok(list.some((view) => view.id === own.id));
    assert.deepEqual(list.filter((view) => view.platform !== 'demo-2'), []);
    const unknown = { error: 'not_found', error_description: `Unknown token '${other.id}'.` };
    for (const [method, path] of [['GET', `/api/tokens/${other.id}`], ['DELETE', `/api/tokens/${other.id}`], ['POST', `/api/tokens/${other.id}/replace`]] as const) {
      const answer = await api(hub.baseUrl, path, { method, token: restrictedAdmin });
      assert.equal(answer.status, 404, `${method} ${path}: ${answer.text}`);
      assert.deepEqual(answer.json, unknown);
    }
    // Above all, no new secret for a platform the admin cannot reach, and the token still works.
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: other.token })).status, 200);
    assert.equal(((await api(hub.baseUrl, `/api/tokens/${other.id}`, { token: demoAdmin })).json as TerminalTokenView).status, 'active');
    // The organization-wide admin still manages both.
    const all = (await api(hub.baseUrl, '/api/tokens', { token: demoAdmin })).json as TerminalTokenView[];
    assert.ok(all.some((view) => view.id === own.id) && all.some((view) => view.id === other.id));
  });

  it('lists each organization its own tokens', async () => {
    const acmeToken = await createTerminalToken(hub.baseUrl, acmeAdmin, { name: 'Acme terminal', platform: 'acme-mt5', login: '8001' });
    assert.equal(acmeToken.organization, 'acme');
    const demoList = (await api(hub.baseUrl, '/api/tokens', { token: demoAdmin })).json as TerminalTokenView[];
    assert.ok(demoList.every((view) => view.organization === 'demo'));
    assert.ok(!demoList.some((view) => view.id === acmeToken.id));
    const acmeList = (await api(hub.baseUrl, '/api/tokens', { token: acmeAdmin })).json as TerminalTokenView[];
    assert.ok(acmeList.some((view) => view.id === acmeToken.id));
    assert.ok(acmeList.every((view) => view.organization === 'acme'));
  });

  it('lets no organization revoke another\'s access tokens', async () => {
    const demoToken = await clientToken(hub.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const viaAdmin = await api(hub.baseUrl, '/api/revocations', { method: 'POST', token: acmeAdmin, body: { token: demoToken } });
    assert.equal(viaAdmin.status, 404);
    const viaOAuth = await postForm(`${hub.baseUrl}/connect/revocation`, { token: demoToken }, { Authorization: basic(ACME_READER.id, ACME_READER.secret) });
    assert.equal(viaOAuth.status, 200);
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: demoToken })).status, 200);
  });

  it('does not let a connection negotiated by one organization be taken over with another\'s token', async () => {
    const acmeToken = await clientToken(hub.baseUrl, ACME_READER.id, ACME_READER.secret);
    const demoToken = await clientToken(hub.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const { connectionToken } = (await negotiate(hub.tradeHubUrl, acmeToken)).json as { connectionToken: string };
    const upgrade = await refusedUpgrade(`${hub.tradeHubUrl}?id=${connectionToken}`, { Authorization: `Bearer ${demoToken}` });
    assert.equal(upgrade.status, 403);
  });

  it('does not deliver user-targeted messages across organizations', async () => {
    const acme = await connectHub(cleanup, hub.tradeHubUrl, await clientToken(hub.baseUrl, ACME_READER.id, ACME_READER.secret));
    const received: string[] = [];
    acme.on('Secret', () => received.push('Secret'));
    const done = new Promise<void>((resolve) => acme.on('Done', () => resolve()));
    await hub.app.tradeHub.clients.users(['demo-reader', 'demo-admin']).send('Secret', 1);
    await hub.app.tradeHub.clients.user('acme-reader').send('Done');
    await done;
    assert.deepEqual(received, []);
  });
});
