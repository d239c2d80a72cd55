import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubConnectionState } from '@microsoft/signalr';
import {
  api, assertInsufficientScope, assertInvalidToken, assertMissingToken, Cleanup, closure, connectHub, createTerminalToken, DEMO_ADMIN,
  DEMO_READER, negotiate, refusedStart, type MyAccess, type TerminalTokenView,
} from './support/auth-helpers.js';
import { clientToken, startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

const TERMINAL_TOKEN = /^thub_[A-Za-z0-9_-]{43}$/;

describe('auth: terminal tokens (/api/tokens)', () => {
  let hub: RunningTradehub;
  let adminToken: string;
  const cleanup = new Cleanup();
  before(async () => {
    hub = await startTradehub();
    adminToken = await clientToken(hub.baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
  });
  afterEach(async () => {
    await cleanup.run();
  });
  after(async () => {
    await hub.close();
  });

  const create = (body: Record<string, unknown>): ReturnType<typeof createTerminalToken> => createTerminalToken(hub.baseUrl, adminToken, body);

  it('creates a token: 201 with the secret shown once, and the full view', async () => {
    const before = Date.now();
    const answer = await api(hub.baseUrl, '/api/tokens', { method: 'POST', token: adminToken, body: { name: 'Terminal 1', platform: 'demo', login: '5001' } });
    assert.equal(answer.status, 201, answer.text);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const view = answer.json as TerminalTokenView & { token: string };
    assert.match(view.token, TERMINAL_TOKEN);
    assert.match(view.id, /^tt_[A-Za-z0-9_-]{12}$/);
    assert.ok(view.createdAt >= before && view.createdAt <= Date.now());
    assert.deepEqual(view, {
      id: view.id,
      name: 'Terminal 1',
      organization: 'demo',
      platform: 'demo',
      login: '5001',
      scopes: ['trade.read', 'trade.publish'],
      device: null,
      status: 'active',
      createdAt: view.createdAt,
      createdBy: 'demo-admin',
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      token: view.token,
    });
  });

  it('lists and shows tokens without their secret or its hash', async () => {
    const created = await create({ name: 'Listed', platform: 'demo', login: '5002', scopes: ['trade.read'] });
    const list = await api(hub.baseUrl, '/api/tokens', { token: adminToken });
    assert.equal(list.status, 200);
    assert.equal(list.headers.get('cache-control'), 'no-store');
    const views = list.json as TerminalTokenView[];
    const listed = views.find((view) => view.id === created.id);
    const { token: secret, ...withoutSecret } = created;
    assert.deepEqual(listed, withoutSecret);
    for (const view of views) {
      assert.ok(!('token' in view) && !('tokenHash' in view), JSON.stringify(view));
    }
    assert.ok(!list.text.includes(secret));
    assert.ok(!list.text.includes(createHash('sha256').update(secret).digest('hex')));

    const one = await api(hub.baseUrl, `/api/tokens/${created.id}`, { token: adminToken });
    assert.equal(one.status, 200);
    assert.deepEqual(one.json, withoutSecret);
    assert.ok(!one.text.includes(secret));

    const missing = await api(hub.baseUrl, '/api/tokens/tt_nope', { token: adminToken });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'not_found', error_description: "Unknown token 'tt_nope'." });
  });

  it('works on the hub, on /api/platforms and on /v1/ping, and records when it was last used', async () => {
    const created = await create({ name: 'Working', platform: 'demo', login: '5003' });
    const connection = await connectHub(cleanup, hub.tradeHubUrl, created.token);
    assert.deepEqual(await connection.invoke('GetMyAccess'), {
      subject: `terminal:${created.id}`,
      kind: 'terminal',
      organization: 'demo',
      scopes: ['trade.read', 'trade.publish'],
      platforms: ['demo'],
      logins: ['5003'],
      expiresAt: null,
    });
    assert.deepEqual(await connection.invoke('GetPlatforms'), [{ id: 'demo', name: 'Demo MT5 (simulated)', kind: 'mt5' }]);

    const platforms = await api(hub.baseUrl, '/api/platforms', { token: created.token });
    assert.equal(platforms.status, 200);
    assert.deepEqual(platforms.json, [{ id: 'demo', name: 'Demo MT5 (simulated)', kind: 'mt5', organization: 'demo' }]);
    const ping = await api(hub.baseUrl, '/v1/ping', { token: created.token });
    assert.equal(ping.status, 200);
    const pong = ping.json as Record<string, unknown>;
    assert.equal(pong.status, 'alive');
    assert.equal(pong.subject, `terminal:${created.id}`);
    assert.deepEqual(pong.platforms, ['demo']);
    assert.equal(pong.expiresAt, null);

    const view = (await api(hub.baseUrl, `/api/tokens/${created.id}`, { token: adminToken })).json as TerminalTokenView;
    assert.ok(view.lastUsedAt !== null && view.lastUsedAt >= created.createdAt, `lastUsedAt ${view.lastUsedAt}`);
  });

  it('is not an admin credential: a terminal token cannot manage tokens', async () => {
    const created = await create({ name: 'Not admin', platform: 'demo', login: '5004' });
    assertInsufficientScope(await api(hub.baseUrl, '/api/tokens', { token: created.token }), 'admin');
  });

  it('revokes a token: its live connection closes within 1 s and it is refused from then on', async () => {
    const created = await create({ name: 'Revoked', platform: 'demo', login: '5005' });
    const connection = await connectHub(cleanup, hub.tradeHubUrl, created.token);
    const closed = closure(connection, 2_000);
    const started = Date.now();
    const answer = await api(hub.baseUrl, `/api/tokens/${created.id}`, { method: 'DELETE', token: adminToken });
    assert.equal(answer.status, 200, answer.text);
    const view = answer.json as TerminalTokenView;
    assert.equal(view.status, 'revoked');
    assert.ok(view.revokedAt !== null && view.revokedAt >= started);
    assert.ok(!('token' in view));
    const { error, at } = await closed;
    assert.ok(at - started < 1_000, `closed after ${at - started} ms`);
    assert.equal(error?.message, 'Server returned an error on close: The access token was revoked.');

    assertInvalidToken(await api(hub.baseUrl, '/api/platforms', { token: created.token }), 'The token was revoked.');
    assertInvalidToken(await negotiate(hub.tradeHubUrl, created.token), 'The token was revoked.');
    assert.match((await refusedStart(cleanup, hub.tradeHubUrl, created.token)).message, /The token was revoked\./);

    // Revoking again changes nothing; a revoked token cannot be replaced.
    const again = await api(hub.baseUrl, `/api/tokens/${created.id}`, { method: 'DELETE', token: adminToken });
    assert.equal(again.status, 200);
    assert.equal((again.json as TerminalTokenView).revokedAt, view.revokedAt);
    const replace = await api(hub.baseUrl, `/api/tokens/${created.id}/replace`, { method: 'POST', token: adminToken });
    assert.equal(replace.status, 400);
    assert.deepEqual(replace.json, { error: 'invalid_request', error_description: 'A revoked token cannot be replaced; create a new one.' });
  });

  it('replaces a token: the old secret is refused at once (no replay), the new one works, old connections close', async () => {
    const created = await create({ name: 'Replaced', platform: 'demo', login: '5006' });
    const oldConnection = await connectHub(cleanup, hub.tradeHubUrl, created.token);
    const closed = closure(oldConnection, 2_000);
    const started = Date.now();
    const answer = await api(hub.baseUrl, `/api/tokens/${created.id}/replace`, { method: 'POST', token: adminToken });
    assert.equal(answer.status, 200, answer.text);
    const replaced = answer.json as TerminalTokenView & { token: string };
    assert.match(replaced.token, TERMINAL_TOKEN);
    assert.notEqual(replaced.token, created.token);
    assert.equal(replaced.id, created.id);
    assert.equal(replaced.status, 'active');
    const { at } = await closed;
    assert.ok(at - started < 1_000, `closed after ${at - started} ms`);

    assertInvalidToken(await api(hub.baseUrl, '/api/platforms', { token: created.token }), 'The token is not recognized.');
    assertInvalidToken(await negotiate(hub.tradeHubUrl, created.token), 'The token is not recognized.');
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: replaced.token })).status, 200);
    const connection = await connectHub(cleanup, hub.tradeHubUrl, replaced.token);
    assert.equal((await connection.invoke<MyAccess>('GetMyAccess')).subject, `terminal:${created.id}`);
    // Listing shows the secret of neither.
    const list = await api(hub.baseUrl, '/api/tokens', { token: adminToken });
    assert.ok(!list.text.includes(created.token) && !list.text.includes(replaced.token));
  });

  it('expires a token with expiresInSeconds: refused afterwards, and its live connection closed', async () => {
    const refusedLater = async (): Promise<void> => {
      const created = await create({ name: 'Short', platform: 'demo', login: '5007', expiresInSeconds: 1 });
      assert.ok(created.expiresAt !== null && Math.abs(created.expiresAt - (created.createdAt + 1_000)) < 50);
      assert.equal((await api(hub.baseUrl, '/api/platforms', { token: created.token })).status, 200);
      await waitUntil(async () => (await api(hub.baseUrl, '/api/platforms', { token: created.token })).status === 401, 'the token to expire', 3_000);
      assert.ok(Date.now() >= created.expiresAt, 'refused before its expiry');
      assertInvalidToken(await api(hub.baseUrl, '/api/platforms', { token: created.token }), 'The token expired.');
      assertInvalidToken(await negotiate(hub.tradeHubUrl, created.token), 'The token expired.');
      const view = (await api(hub.baseUrl, `/api/tokens/${created.id}`, { token: adminToken })).json as TerminalTokenView;
      assert.equal(view.status, 'expired');
    };
    const closedWhenExpired = async (): Promise<void> => {
      // Two seconds, so that connecting fits in its lifetime even on a busy machine.
      const created = await create({ name: 'Short live', platform: 'demo', login: '5007', expiresInSeconds: 2 });
      assert.ok(created.expiresAt !== null);
      const connection = await connectHub(cleanup, hub.tradeHubUrl, created.token);
      assert.equal((await connection.invoke<MyAccess>('GetMyAccess')).expiresAt, created.expiresAt);
      const { error, at } = await closure(connection, 4_000);
      assert.equal(error?.message, 'Server returned an error on close: The access token expired.');
      assert.ok(at >= created.expiresAt - 50 && at <= created.expiresAt + 1_500, `closed ${at - created.expiresAt} ms after expiry`);
    };
    await Promise.all([refusedLater(), closedWhenExpired()]);
  });

  it('accepts an absolute expiresAt in the future and refuses one in the past', async () => {
    const expiresAt = Date.now() + 3_600_000;
    const created = await create({ name: 'Absolute', platform: 'demo', login: '5008', expiresAt });
    assert.equal(created.expiresAt, expiresAt);
    const past = await api(hub.baseUrl, '/api/tokens', { method: 'POST', token: adminToken, body: { name: 'Past', platform: 'demo', login: '5008', expiresAt: Date.now() - 1_000 } });
    assert.equal(past.status, 400);
    assert.deepEqual(past.json, { error: 'invalid_request', error_description: 'expiresAt must be in the future.' });
  });

  it('binds a token to a device: refused without the device id, accepted with it (header, or device_id on the hub)', async () => {
    const created = await create({ name: 'Bound', platform: 'demo', login: '5009', device: 'dev-1' });
    assert.equal(created.device, 'dev-1');
    const description = 'The token is bound to another device.';
    assertInvalidToken(await api(hub.baseUrl, '/api/platforms', { token: created.token }), description);
    assertInvalidToken(await api(hub.baseUrl, '/api/platforms', { token: created.token, headers: { 'X-Device-Id': 'dev-2' } }), description);
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: created.token, headers: { 'X-Device-Id': 'dev-1' } })).status, 200);
    // The device_id query parameter counts on hub endpoints only.
    assertInvalidToken(await api(hub.baseUrl, '/api/platforms?device_id=dev-1', { token: created.token }), description);

    assertInvalidToken(await negotiate(hub.tradeHubUrl, created.token), description);
    assert.equal((await negotiate(hub.tradeHubUrl, created.token, '&device_id=dev-1')).status, 200);
    assert.match((await refusedStart(cleanup, hub.tradeHubUrl, created.token)).message, /bound to another device/);

    const viaQuery = await connectHub(cleanup, `${hub.tradeHubUrl}?device_id=dev-1`, created.token);
    assert.equal((await viaQuery.invoke<MyAccess>('GetMyAccess')).subject, `terminal:${created.id}`);
    const viaHeader = await connectHub(cleanup, hub.tradeHubUrl, created.token, { headers: { 'X-Device-Id': 'dev-1' } });
    assert.equal(viaHeader.state, HubConnectionState.Connected);
  });

  it('answers 404 for a platform the admin does not have', async () => {
    const answer = await api(hub.baseUrl, '/api/tokens', { method: 'POST', token: adminToken, body: { name: 'X', platform: 'nope', login: '1' } });
    assert.equal(answer.status, 404);
    assert.deepEqual(answer.json, { error: 'not_found', error_description: "Unknown platform 'nope'." });
  });

  it('refuses every admin route to a token without the admin scope: 403 insufficient_scope', async () => {
    const readerToken = await clientToken(hub.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const created = await create({ name: 'Guarded', platform: 'demo', login: '5010' });
    const requests: Array<[string, string]> = [
      ['POST', '/api/tokens'], ['GET', '/api/tokens'], ['GET', `/api/tokens/${created.id}`],
      ['DELETE', `/api/tokens/${created.id}`], ['POST', `/api/tokens/${created.id}/replace`],
    ];
    for (const [method, path] of requests) {
      const answer = await api(hub.baseUrl, path, { method, token: readerToken, ...(method === 'POST' ? { body: { name: 'X', platform: 'demo', login: '1' } } : {}) });
      assertInsufficientScope(answer, 'admin');
      assertMissingToken(await api(hub.baseUrl, path, { method }));
    }
    // Nothing happened to the token.
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: created.token })).status, 200);
  });

  it('refuses invalid bodies with 400 and a description naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ platform: 'demo', login: '1' }, /^name: /],
      [{ name: '', platform: 'demo', login: '1' }, /^name: /],
      [{ name: 'x'.repeat(101), platform: 'demo', login: '1' }, /^name: /],
      [{ name: 'X', login: '1' }, /^platform: /],
      [{ name: 'X', platform: 'demo', login: 'abc' }, /^login: must be a numeric MetaTrader login$/],
      [{ name: 'X', platform: 'demo', login: 1001 }, /^login: /],
      [{ name: 'X', platform: 'demo', login: '1', scopes: ['admin'] }, /^scopes\.0: /],
      [{ name: 'X', platform: 'demo', login: '1', scopes: [] }, /^scopes: /],
      [{ name: 'X', platform: 'demo', login: '1', expiresInSeconds: 0 }, /^expiresInSeconds: /],
      [{ name: 'X', platform: 'demo', login: '1', expiresInSeconds: 1.5 }, /^expiresInSeconds: /],
      [{ name: 'X', platform: 'demo', login: '1', expiresInSeconds: 60, expiresAt: Date.now() + 60_000 }, /^body: give expiresAt or expiresInSeconds, not both$/],
      [{ name: 'X', platform: 'demo', login: '1', device: '' }, /^device: /],
      [{ name: 'X', platform: 'demo', login: '1', owner: 'someone' }, /^body: .*owner/],
      [[], /^body: /],
    ];
    for (const [body, description] of cases) {
      const answer = await api(hub.baseUrl, '/api/tokens', { method: 'POST', token: adminToken, body });
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.text}`);
      const json = answer.json as { error: string; error_description: string };
      assert.equal(json.error, 'invalid_request');
      assert.match(json.error_description, description, JSON.stringify(body));
    }
    const notJson = await fetch(`${hub.baseUrl}/api/tokens`, {
      method: 'POST', headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' }, body: '{"name": ',
    });
    assert.equal(notJson.status, 400);
    assert.deepEqual(await notJson.json(), { error: 'invalid_request', error_description: 'The request body is not valid JSON.' });
  });
});

describe('auth: terminal tokens survive a restart', () => {
  let dataDir: string;
  let hub: RunningTradehub | undefined;
  const cleanup = new Cleanup();
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tradehub-restart-'));
  });
  afterEach(async () => {
    await cleanup.run();
    await hub?.close();
    hub = undefined;
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps active and revoked tokens, JWT revocations and last-used times, without storing any secret', async () => {
    hub = await startTradehub({ dataDir });
    const adminToken = await clientToken(hub.baseUrl, DEMO_ADMIN.id, DEMO_ADMIN.secret);
    const kept = await createTerminalToken(hub.baseUrl, adminToken, { name: 'Kept', platform: 'demo', login: '6001' });
    const revoked = await createTerminalToken(hub.baseUrl, adminToken, { name: 'Revoked', platform: 'demo', login: '6002' });
    assert.equal((await api(hub.baseUrl, `/api/tokens/${revoked.id}`, { method: 'DELETE', token: adminToken })).status, 200);
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: kept.token })).status, 200);
    const lastUsedAt = ((await api(hub.baseUrl, `/api/tokens/${kept.id}`, { token: adminToken })).json as TerminalTokenView).lastUsedAt;
    assert.ok(lastUsedAt !== null);
    const revokedJwt = await clientToken(hub.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    const keptJwt = await clientToken(hub.baseUrl, DEMO_READER.id, DEMO_READER.secret);
    assert.equal((await api(hub.baseUrl, '/api/revocations', { method: 'POST', token: adminToken, body: { token: revokedJwt } })).status, 200);
    await hub.close();
    hub = undefined;

    const file = join(dataDir, 'tokens.json');
    const stored = readFileSync(file, 'utf8');
    assert.ok(!stored.includes(kept.token) && !stored.includes(revoked.token), 'tokens.json holds a raw token');
    assert.ok(!stored.includes('thub_'), 'tokens.json holds something that looks like a terminal token');
    assert.ok(stored.includes(createHash('sha256').update(kept.token).digest('hex')), 'tokens.json holds the hash');
    assert.equal(statSync(file).mode & 0o077, 0, 'tokens.json is readable by others');
    assert.equal(statSync(join(dataDir, 'jwt-hs256.key')).mode & 0o077, 0, 'the signing key is readable by others');

    hub = await startTradehub({ dataDir });
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: kept.token })).status, 200);
    assertInvalidToken(await api(hub.baseUrl, '/api/platforms', { token: revoked.token }), 'The token was revoked.');
    const connection = await connectHub(cleanup, hub.tradeHubUrl, kept.token);
    assert.equal((await connection.invoke<MyAccess>('GetMyAccess')).subject, `terminal:${kept.id}`);
    // JWTs: the generated signing key and the deny-list were kept too.
    assert.equal((await api(hub.baseUrl, '/api/platforms', { token: keptJwt })).status, 200);
    assertInvalidToken(await api(hub.baseUrl, '/api/platforms', { token: revokedJwt }), 'The token was revoked.');
    const list = (await api(hub.baseUrl, '/api/tokens', { token: adminToken })).json as TerminalTokenView[];
    const keptView = list.find((view) => view.id === kept.id);
    assert.ok(keptView);
    assert.ok(keptView.lastUsedAt !== null && keptView.lastUsedAt >= lastUsedAt, 'lastUsedAt was kept');
    assert.equal(list.find((view) => view.id === revoked.id)?.status, 'revoked');
  });
});
