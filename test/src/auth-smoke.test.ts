import assert from 'node:assert/strict';
import { officialClient, nextClose } from './support/official-client.js';
import { clientToken, startTradehub, type RunningTradehub } from './support/tradehub-app.js';

describe('trade hub authentication (smoke)', () => {
  let hub: RunningTradehub;
  before(async () => {
    hub = await startTradehub();
  });
  after(async () => {
    await hub.close();
  });

  it('connects with a client-credentials token and sees its access', async () => {
    const token = await clientToken(hub.baseUrl, 'demo-reader', 'demo-reader-secret');
    const connection = officialClient(hub.tradeHubUrl, { accessTokenFactory: () => token });
    await connection.start();
    try {
      const access = await connection.invoke('GetMyAccess') as Record<string, unknown>;
      assert.equal(access.subject, 'demo-reader');
      assert.deepEqual(access.scopes, ['trade.read']);
      const closed = nextClose(connection, 3000);
      const parts = token.split('.');
      const payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString()) as { jti: string; exp: number };
      await hub.app.revoke(payload.jti, payload.exp * 1000);
      const error = await closed;
      assert.match(String(error?.message), /revoked/);
    } finally {
      await connection.stop();
    }
  });
});
