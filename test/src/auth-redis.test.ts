import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import {
  api, assertInvalidToken, basic, Cleanup, closure, connectHub, createTerminalToken, DEMO_ADMIN, DEMO_READER, decodeJwt, negotiate,
  postForm, withTestSecret, type MyAccess, type TerminalTokenView,
} from './support/auth-helpers.js';
import { clientToken, startTradehub, uniqueKeyPrefix, type RunningTradehub } from './support/tradehub-app.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('auth: two nodes sharing token data through Redis', () => {
  const prefix = uniqueKeyPrefix();
  const redis = createClient({ url: REDIS_URL });
  const cleanup = new Cleanup();
  let nodeA: RunningTradehub | undefined;
  let nodeB: RunningTradehub | undefined;
  let a: RunningTradehub;
  let b: RunningTradehub;
  let adminOnA: string;

  before(async () => {
    redis.on('error', () => undefined);
    await redis.connect();
    const options = { redis: { url: REDIS_URL, keyPrefix: prefix }, config: withTestSecret };
    nodeA = await startTradehub(options);
    nodeB = await startTradehub(options);
    a = nodeA;
    b = nodeB;
    adminOnA = await clientToken(a.baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
  });
  afterEach(async () => {
    await cleanup.run();
  });
  after(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    if (redis.isOpen) {
      const keys: string[] = [];
      for await (const batch of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) keys.push(...batch);
      if (keys.length > 0) await redis.del(keys);
      for await (const batch of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) assert.deepEqual(batch, [], 'keys left behind');
      await redis.close();
    }
  });

  it('runs two distinct nodes on one Redis prefix', () => {
    assert.notEqual(a.app.nodeId, b.app.nodeId);
    assert.notEqual(a.baseUrl, b.baseUrl);
  });

  it('accepts on node B a terminal token created on node A, and stores only its hash in Redis', async () => {
    const created = await createTerminalToken(a.baseUrl, adminOnA, { name: 'Shared', platform: 'demo', login: '4001' });
    assert.equal((await api(b.baseUrl, '/api/platforms', { token: created.token })).status, 200);
    const connection = await connectHub(cleanup, b.tradeHubUrl, created.token);
    assert.equal((await connection.invoke<MyAccess>('GetMyAccess')).subject, `terminal:${created.id}`);

    const adminOnB = await clientToken(b.baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
    const listed = ((await api(b.baseUrl, '/api/tokens', { token: adminOnB })).json as TerminalTokenView[]).find((view) => view.id === created.id);
    assert.ok(listed, 'node B lists the token');
    // Use on B is visible from A.
    const seenFromA = (await api(a.baseUrl, `/api/tokens/${created.id}`, { token: adminOnA })).json as TerminalTokenView;
    assert.ok(seenFromA.lastUsedAt !== null && seenFromA.lastUsedAt >= created.createdAt);

    const hash = createHash('sha256').update(created.token).digest('hex');
    const stored = await redis.get(`${prefix}:tt:${created.id}`);
    assert.ok(stored !== null);
    assert.ok(!stored.includes(created.token));
    assert.equal((JSON.parse(stored) as { tokenHash: string }).tokenHash, hash);
    assert.equal(await redis.get(`${prefix}:tt-hash:${hash}`), created.id);
  });

  it('closes within 1 s a connection on node B when its terminal token is revoked on node A', async () => {
    const created = await createTerminalToken(a.baseUrl, adminOnA, { name: 'Revoked across', platform: 'demo', login: '4002' });
    const connection = await connectHub(cleanup, b.tradeHubUrl, created.token);
    const closed = closure(connection, 3_000);
    const started = Date.now();
    assert.equal((await api(a.baseUrl, `/api/tokens/${created.id}`, { method: 'DELETE', token: adminOnA })).status, 200);
    const { error, at } = await closed;
    const elapsed = at - started;
    assert.ok(elapsed < 1_000, `closed after ${elapsed} ms`);
    assert.equal(error?.message, 'Server returned an error on close: The access token was revoked.');
    assertInvalidToken(await api(b.baseUrl, '/api/platforms', { token: created.token }), 'The token was revoked.');
    assertInvalidToken(await negotiate(b.tradeHubUrl, created.token), 'The token was revoked.');
  });

  it('refuses on node B the old secret of a token replaced on node A, and closes its connections there', async () => {
    const created = await createTerminalToken(a.baseUrl, adminOnA, { name: 'Replaced across', platform: 'demo', login: '4003' });
    const connection = await connectHub(cleanup, b.tradeHubUrl, created.token);
    const closed = closure(connection, 3_000);
    const started = Date.now();
    const replaced = await api(a.baseUrl, `/api/tokens/${created.id}/replace`, { method: 'POST', token: adminOnA });
    assert.equal(replaced.status, 200);
    const { at } = await closed;
    assert.ok(at - started < 1_000, `closed after ${at - started} ms`);
    assertInvalidToken(await api(b.baseUrl, '/api/platforms', { token: created.token }), 'The token is not recognized.');
    const newToken = (replaced.json as { token: string }).token;
    assert.equal((await api(b.baseUrl, '/api/platforms', { token: newToken })).status, 200);
  });

  it('refuses on node B a JWT revoked on node A through /connect/revocation, and closes its connection there within 1 s', async () => {
    const token = await clientToken(a.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const connection = await connectHub(cleanup, b.tradeHubUrl, token);
    const closed = closure(connection, 3_000);
    const started = Date.now();
    const answer = await postForm(`${a.baseUrl}/connect/revocation`, { token }, { Authorization: basic(DEMO_READER.id, DEMO_READER.secret) });
    assert.equal(answer.status, 200, answer.text);
    const { at } = await closed;
    assert.ok(at - started < 1_000, `closed after ${at - started} ms`);
    assertInvalidToken(await api(b.baseUrl, '/api/platforms', { token }), 'The token was revoked.');
    assertInvalidToken(await negotiate(b.tradeHubUrl, token), 'The token was revoked.');

    // The deny-list entry expires with the token.
    const { jti, exp } = decodeJwt(token).payload;
    const ttl = await redis.pTTL(`${prefix}:revoked:${jti}`);
    assert.ok(ttl > 0 && ttl <= exp * 1000 - Date.now() + 1_000, `PTTL ${ttl}`);
  });

  it('closes a connection on node A when an admin revokes its JWT on node B', async () => {
    const token = await clientToken(b.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const connection = await connectHub(cleanup, a.tradeHubUrl, token);
    const closed = closure(connection, 3_000);
    const adminOnB = await clientToken(b.baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
    const started = Date.now();
    assert.equal((await api(b.baseUrl, '/api/revocations', { method: 'POST', token: adminOnB, body: { token } })).status, 200);
    const { at } = await closed;
    assert.ok(at - started < 1_000, `closed after ${at - started} ms`);
    assertInvalidToken(await api(a.baseUrl, '/api/platforms', { token }), 'The token was revoked.');
  });

  it('never loses a revocation to a concurrent use of the token on the other node', async function () {
    this.timeout(15_000);
    // Regression: recording "last used" once rewrote the whole record, undoing a revocation
    // that landed between its read and its write.
    for (let trial = 0; trial < 25; trial++) {
      const created = await createTerminalToken(a.baseUrl, adminOnA, { name: `Race ${trial}`, platform: 'demo', login: '4100' });
      let stop = false;
      const use = async (): Promise<void> => {
        while (!stop) await api(b.baseUrl, '/api/platforms', { token: created.token });
      };
      const users = Array.from({ length: 6 }, use);
      // Pauses that open the race window on purpose: uses before, during and after the revocation.
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal((await api(a.baseUrl, `/api/tokens/${created.id}`, { method: 'DELETE', token: adminOnA })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 20));
      stop = true;
      await Promise.all(users);
      const after = await api(b.baseUrl, '/api/platforms', { token: created.token });
      assert.equal(after.status, 401, `trial ${trial}: the revoked token still works`);
      const view = (await api(a.baseUrl, `/api/tokens/${created.id}`, { token: adminOnA })).json as TerminalTokenView;
      assert.equal(view.status, 'revoked', `trial ${trial}`);
    }
  });
});
