import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessPolicy, AuthError, demoConfig, Directory, FileTokenStore, principalBelongsTo, subjectKey, type Principal } from '@tradehub/server';

function principal(overrides: Partial<Principal> = {}): Principal {
  return {
    id: 'terminal:tt_1', kind: 'terminal', organization: 'demo', scopes: ['trade.read'], platforms: ['demo'],
    logins: ['5001'], tokenId: 'tt_1', expiresAt: undefined, device: 'dev-1', ...overrides,
  };
}

async function refusal(work: Promise<void>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AuthError);
    assert.equal(error.code, 'invalid_token');
    return error.description;
  }
}

describe('access policy (pure rules, with an injected clock)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tradehub-policy-'));
  const store = new FileTokenStore(dataDir);
  let now = 1_000;
  const config = demoConfig(dataDir);
  const demo = config.organizations[0];
  assert.ok(demo?.platforms[0]);
  demo.expiresAt = 5_000;
  demo.platforms[0].disabledLogins = ['5002'];
  const policy = new AccessPolicy(store, new Directory(config), () => now);
  const save = (subject: Parameters<typeof store.saveAccessState>[0]['subject'], denied: boolean, expiresAt?: number) =>
    store.saveAccessState({ subject, denied, ...(expiresAt !== undefined ? { expiresAt } : {}), changedAt: now, changedBy: 'test' });

  after(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('expires an organization exactly at expiresAt, from the configuration until a state is stored', async () => {
    now = 4_999;
    assert.equal(await refusal(policy.check(principal())), undefined);
    now = 5_000;
    assert.equal(await refusal(policy.check(principal())), 'organization expired');
    assert.ok(await save({ kind: 'organization', organization: 'demo' }, false, 9_000));
    assert.equal(await refusal(policy.check(principal())), undefined, 'the stored expiry wins over the configured one');
    now = 9_000;
    assert.equal(await refusal(policy.check(principal())), 'organization expired');
    assert.ok(await save({ kind: 'organization', organization: 'demo' }, false));
    now = 1_000;
  });

  it('refuses a configured disabled login, a stored disabled account and a revoked device, each with its own description', async () => {
    assert.equal(await refusal(policy.check(principal({ logins: ['5001', '5002'] }))), 'account disabled');
    assert.ok(await save({ kind: 'account', organization: 'demo', platform: 'demo', login: '5001' }, true));
    assert.equal(await refusal(policy.check(principal())), 'account disabled');
    assert.equal(await refusal(policy.check(principal({ logins: undefined, device: undefined }))), undefined, 'a token of every login is not an account token');
    assert.ok(await save({ kind: 'account', organization: 'demo', platform: 'demo', login: '5001' }, false));
    assert.ok(await save({ kind: 'device', organization: 'demo', device: 'dev-1' }, true));
    assert.equal(await refusal(policy.check(principal())), 'device revoked');
    assert.equal(await refusal(policy.check(principal({ device: 'dev-2' }))), undefined);
    assert.equal(await refusal(policy.check(principal({ organization: 'other', platforms: [] }))), undefined, 'states are per organization');
  });

  it('decides anew for a principal it has seen before: its subjects are remembered, their states never', async () => {
    // One object, as the verified-token cache hands out for a token that connects again.
    const same = principal();
    assert.ok(await save({ kind: 'device', organization: 'demo', device: 'dev-1' }, false));
    assert.equal(await refusal(policy.check(same)), undefined);
    assert.ok(await save({ kind: 'device', organization: 'demo', device: 'dev-1' }, true));
    assert.equal(await refusal(policy.check(same)), 'device revoked');
    assert.equal(await policy.denialOfPrincipal(same), 'device revoked');
    assert.ok(await save({ kind: 'device', organization: 'demo', device: 'dev-1' }, false));
    assert.equal(await refusal(policy.check(same)), undefined);
    assert.ok(await save({ kind: 'account', organization: 'demo', platform: 'demo', login: '5001' }, true));
    assert.equal(await refusal(policy.check(same)), 'account disabled');
    assert.ok(await save({ kind: 'account', organization: 'demo', platform: 'demo', login: '5001' }, false));
    assert.equal(await policy.denialOfPrincipal(same), undefined);
  });

  it('matches principals to subjects within their organization only', () => {
    const device = { kind: 'device', organization: 'demo', device: 'dev-1' } as const;
    assert.ok(principalBelongsTo(device, principal()));
    assert.ok(!principalBelongsTo(device, principal({ organization: 'acme' })));
    const account = { kind: 'account', organization: 'demo', platform: 'demo', login: '5001' } as const;
    assert.ok(principalBelongsTo(account, principal()));
    assert.ok(!principalBelongsTo(account, principal({ logins: undefined })));
    assert.ok(!principalBelongsTo(account, principal({ platforms: ['demo-2'] })));
    assert.ok(principalBelongsTo({ kind: 'organization', organization: 'demo' }, principal({ kind: 'client', logins: undefined })));
  });

  it('gives every subject its own key, whatever its parts contain', () => {
    const keys = [
      subjectKey({ kind: 'device', organization: 'a', device: 'b:c' }),
      subjectKey({ kind: 'device', organization: 'a:b', device: 'c' }),
      subjectKey({ kind: 'account', organization: 'a', platform: 'b', login: '1' }),
      subjectKey({ kind: 'organization', organization: 'a' }),
    ];
    assert.equal(new Set(keys).size, keys.length);
  });
});
