import assert from 'node:assert/strict';
import { api, createTerminalToken, DEMO_ADMIN, type TerminalTokenView } from './support/auth-helpers.js';
import { deleteKeys, SHARED_REDIS_URL } from './support/redis-server.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';

describe('auth: revocation racing a replacement on two nodes', () => {
  const prefix = uniqueKeyPrefix();
  const nodes: RunningTradehub[] = [];
  before(async () => {
    for (let i = 0; i < 2; i++) nodes.push(await startTradehub({ redis: { url: SHARED_REDIS_URL, keyPrefix: prefix } }));
  });
  after(async () => {
    for (const node of nodes) await node.close();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  it('a revoked token stays revoked, and no secret issued by a racing replacement works', async () => {
    const [nodeA, nodeB] = nodes as [RunningTradehub, RunningTradehub];
    const admin = await clientToken(nodeA.baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
    for (let round = 0; round < 15; round++) {
      const created = await createTerminalToken(nodeA.baseUrl, admin, { name: `race-${round}`, platform: 'demo', login: '4242' });
      const [revoked, replaced] = await Promise.all([
        api(nodeA.baseUrl, `/api/tokens/${created.id}`, { method: 'DELETE', token: admin }),
        api(nodeB.baseUrl, `/api/tokens/${created.id}/replace`, { method: 'POST', token: admin }),
      ]);
      assert.equal(revoked.status, 200, revoked.text);
      assert.ok(replaced.status === 200 || replaced.status === 400, replaced.text);
      const view = (await api(nodeB.baseUrl, `/api/tokens/${created.id}`, { token: admin })).json as TerminalTokenView;
      assert.equal(view.status, 'revoked', `round ${round}`);
      for (const secret of [created.token, (replaced.json as { token?: string }).token].filter((t): t is string => t !== undefined)) {
        const answer = await api(nodeA.baseUrl, '/api/platforms', { token: secret });
        assert.equal(answer.status, 401, `round ${round}: a secret of a revoked token was accepted`);
      }
    }
  });
});
