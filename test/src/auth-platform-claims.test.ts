import assert from 'node:assert/strict';
import type { HubConnection } from '@microsoft/signalr';
import type { SubscribeResult } from '@tradehub/shared';
import { signToken, validClaims, withAcme, withTestSecret } from './support/auth-helpers.js';
import { officialClient } from './support/official-client.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

describe("auth: a token's platforms are narrowed to its organization's", () => {
  let hub: RunningTradehub;
  let connection: HubConnection | undefined;
  before(async () => {
    hub = await startTradehub({ config: (config) => withAcme(withTestSecret(config)) });
  });
  after(async () => {
    await connection?.stop();
    await hub.close();
  });

  it("a validly signed demo token that names acme's platform still reaches only demo's", async () => {
    // Signed with the real key, as a service sharing the HS256 secret could: the claim alone must not cross tenants.
    const token = signToken(validClaims({ plat: ['demo', 'acme-mt5'], scope: 'trade.read trade.publish' }));
    connection = officialClient(hub.tradeHubUrl, { accessTokenFactory: () => token });
    connection.on('OnConnectionStatus', () => undefined);
    await connection.start();
    const access = await connection.invoke('GetMyAccess') as { platforms: string[] };
    assert.deepEqual(access.platforms, ['demo']);
    const [acme, demo] = await connection.invoke('Subscribe', ['platforms/acme-mt5/status', 'platforms/demo/status']) as SubscribeResult[];
    assert.deepEqual(acme, { topic: 'platforms/acme-mt5/status', status: 'error', error: "Access to topic 'platforms/acme-mt5/status' is not allowed." });
    assert.equal(demo?.status, 'snapshot');
    await assert.rejects(
      connection.invoke('Publish', [{ type: 'platform.status', platformId: 'acme-mt5', data: { state: 'connected', time: Date.now() } }]),
      /Publishing to topic 'platforms\/acme-mt5\/status' is not allowed\./,
    );
  });
});
