import assert from 'node:assert/strict';
import { VerifiedTokenCache, type Principal } from '@tradehub/server';

function principal(id: string, expiresAt: number | undefined): Principal {
  return { id, kind: 'client', organization: 'demo', scopes: [], platforms: [], logins: undefined, tokenId: `jti-${id}`, expiresAt };
}

describe('VerifiedTokenCache', () => {
  it('answers a remembered token until its expiry, and nothing from then on', () => {
    let now = 1_000;
    const cache = new VerifiedTokenCache(10, () => now);
    cache.remember('token-a', principal('a', 2_000));
    assert.equal(cache.get('token-a')?.id, 'a');
    now = 1_999;
    assert.equal(cache.get('token-a')?.id, 'a');
    now = 2_000;
    assert.equal(cache.get('token-a'), undefined, 'gone exactly at expiresAt');
    assert.equal(cache.size, 0);
  });

  it('only answers the exact text it was given', () => {
    const cache = new VerifiedTokenCache(10, () => 0);
    cache.remember('token-a', principal('a', 10));
    assert.equal(cache.get('token-A'), undefined);
    assert.equal(cache.get('token-a '), undefined);
  });

  it('keeps at most its capacity, dropping the oldest, and nothing without an expiry or with capacity 0', () => {
    const cache = new VerifiedTokenCache(2, () => 0);
    cache.remember('a', principal('a', 10));
    cache.remember('b', principal('b', 10));
    cache.remember('c', principal('c', 10));
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.get('c')?.id, 'c');
    cache.remember('d', principal('d', undefined));
    assert.equal(cache.get('d'), undefined);
    const none = new VerifiedTokenCache(0, () => 0);
    none.remember('a', principal('a', 10));
    assert.equal(none.size, 0);
    assert.throws(() => new VerifiedTokenCache(-1), /capacity/);
  });
});
