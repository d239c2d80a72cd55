import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OrganizationStateView } from '@tradehub/shared';
import { demoConfig, parseConfig, type TradehubConfig } from '@tradehub/server';
import {
  ACME_ADMIN, ACME_READER, api, assertInvalidToken, createTerminalToken, postForm, withAcme, withTestSecret,
} from './support/auth-helpers.js';
import { OPERATOR, withOperator } from './support/access-helpers.js';
import { clientToken, startTradehub, type RunningTradehub } from './support/tradehub-app.js';

/** acme starts disabled, with login 8101 of its platform disabled. */
function withAcmeSwitchedOff(config: TradehubConfig): TradehubConfig {
  const acme = withOperator(withAcme(withTestSecret(config)));
  const organization = acme.organizations.find((o) => o.id === 'acme');
  assert.ok(organization?.platforms[0]);
  organization.disabled = true;
  organization.platforms[0].disabledLogins = ['8101'];
  return acme;
}

describe('access state: the configuration gives the initial state, the store (one node, file) keeps changes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tradehub-access-'));
  let node: RunningTradehub | undefined;

  after(async () => {
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads expiresAt as an ISO time with offset or milliseconds, and names a bad one', () => {
    const raw = (expiresAt: unknown): unknown => {
      const config = demoConfig('./data') as unknown as { organizations: Array<Record<string, unknown>> };
      Object.assign(config.organizations[0] as object, { expiresAt });
      return config;
    };
    assert.equal(parseConfig(raw('2030-01-01T00:00:00Z'), 'the test').organizations[0]?.expiresAt, Date.UTC(2030, 0, 1));
    assert.equal(parseConfig(raw(1_900_000_000_000), 'the test').organizations[0]?.expiresAt, 1_900_000_000_000);
    for (const bad of ['next year', '2030-01-01T00:00:00', -1]) {
      assert.throws(() => parseConfig(raw(bad), 'the test'), /organizations\.0\.expiresAt/);
    }
  });

  it('starts with a configured disabled organization and account, and keeps what an admin changed over a restart', async () => {
    node = await startTradehub({ dataDir, config: withAcmeSwitchedOff });
    const tokenForm = { grant_type: 'client_credentials', client_id: ACME_READER.id, client_secret: ACME_READER.secret };
    assert.deepEqual((await postForm(`${node.baseUrl}/connect/token`, tokenForm)).json, { error: 'unauthorized_client', error_description: 'organization disabled' });
    const operator = await clientToken(node.baseUrl, OPERATOR.id, OPERATOR.secret);
    const initial = (await api(node.baseUrl, '/api/organizations/acme/state', { token: operator })).json as OrganizationStateView;
    assert.deepEqual(initial, { id: 'acme', disabled: true, expiresAt: null, active: false, changedAt: null, changedBy: null });
    assert.equal((await api(node.baseUrl, '/api/organizations/acme/state', { method: 'PUT', token: operator, body: { disabled: false } })).status, 200);

    const acmeAdmin = await clientToken(node.baseUrl, ACME_ADMIN.id, ACME_ADMIN.secret);
    const disabledLogin = await createTerminalToken(node.baseUrl, acmeAdmin, { name: '8101', platform: 'acme-mt5', login: '8101' });
    const otherLogin = await createTerminalToken(node.baseUrl, acmeAdmin, { name: '8102', platform: 'acme-mt5', login: '8102' });
    assertInvalidToken(await api(node.baseUrl, '/api/platforms', { token: disabledLogin.token }), 'account disabled');
    assert.equal((await api(node.baseUrl, '/api/platforms', { token: otherLogin.token })).status, 200);
    assert.equal((await api(node.baseUrl, '/api/accounts/acme-mt5/8101', { method: 'PUT', token: acmeAdmin, body: { disabled: false } })).status, 200);
    assert.equal((await api(node.baseUrl, '/api/platforms', { token: disabledLogin.token })).status, 200);

    await node.close();
    node = await startTradehub({ dataDir, config: withAcmeSwitchedOff });
    assert.equal((await postForm(`${node.baseUrl}/connect/token`, tokenForm)).status, 200, 'the stored state wins over the configuration');
    assert.equal((await api(node.baseUrl, '/api/platforms', { token: disabledLogin.token })).status, 200);
  });
});
