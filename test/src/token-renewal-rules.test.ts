import assert from 'node:assert/strict';
import { renewalRefusal, type Principal } from '@tradehub/server';

const WIDER = 'a renewal may narrow access, never widen it.';

function principal(overrides: Partial<Principal> = {}): Principal {
  return {
    id: 'demo-reader', kind: 'client', organization: 'demo', scopes: ['trade.read', 'trade.publish'], platforms: ['demo', 'demo-2'],
    logins: ['5001', '5002'], tokenId: 'jti-1', expiresAt: 1_000, ...overrides,
  };
}

describe('token renewal rules (renewalRefusal)', () => {
  it('accepts the same access or less, whatever the expiry and token id', () => {
    const current = principal();
    assert.equal(renewalRefusal(current, principal({ tokenId: 'jti-2', expiresAt: 500 })), undefined);
    assert.equal(renewalRefusal(current, principal({ scopes: ['trade.read'], platforms: ['demo'], logins: ['5002'] })), undefined);
    assert.equal(renewalRefusal(current, principal({ scopes: [], platforms: [], logins: [] })), undefined);
    // No login restriction before: any restriction is narrower.
    assert.equal(renewalRefusal(principal({ logins: undefined }), principal({ logins: ['9'] })), undefined);
    assert.equal(renewalRefusal(principal({ logins: undefined }), principal({ logins: undefined })), undefined);
  });

  it('refuses another subject, kind or organization', () => {
    const other = 'The new token belongs to another subject: a connection renews only with a token of its own subject.';
    assert.equal(renewalRefusal(principal(), principal({ id: 'demo-publisher' })), other);
    assert.equal(renewalRefusal(principal(), principal({ kind: 'manager' })), other);
    assert.equal(renewalRefusal(principal(), principal({ organization: 'acme' })), 'The new token belongs to another organization.');
  });

  it('refuses any widening: a scope, a platform, a login, or dropping the login restriction', () => {
    const current = principal({ scopes: ['trade.read'], platforms: ['demo'], logins: ['5001'] });
    assert.equal(renewalRefusal(current, principal({ platforms: ['demo'], logins: ['5001'] })),
      `The new token has scope 'trade.publish', which the connection's token lacks: ${WIDER}`);
    assert.equal(renewalRefusal(current, principal({ scopes: ['trade.read'], logins: ['5001'] })),
      `The new token reaches platform 'demo-2', which the connection's token does not: ${WIDER}`);
    assert.equal(renewalRefusal(current, principal({ scopes: ['trade.read'], platforms: ['demo'] })),
      `The new token reaches login '5002', which the connection's token does not: ${WIDER}`);
    assert.equal(renewalRefusal(current, principal({ scopes: ['trade.read'], platforms: ['demo'], logins: undefined })),
      `The new token is not restricted to logins, while the connection's token is: ${WIDER}`);
  });
});
