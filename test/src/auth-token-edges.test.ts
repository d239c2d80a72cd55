import assert from 'node:assert/strict';
import {
  assertInvalidToken, negotiate, nowSeconds, signToken, validClaims, withTestSecret,
} from './support/auth-helpers.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';

describe('auth: token edges', () => {
  let hub: RunningTradehub;
  before(async () => {
    hub = await startTradehub({ config: withTestSecret });
  });
  after(async () => {
    await hub.close();
  });

  it('accepts a token without a key id when the server has a single key', async () => {
    const answer = await negotiate(hub.tradeHubUrl, signToken(validClaims(), { kid: null }));
    assert.equal(answer.status, 200, answer.text);
  });

  it('refuses a token whose key id names no key, even with a single key', async () => {
    assertInvalidToken(await negotiate(hub.tradeHubUrl, signToken(validClaims(), { kid: 'other' })), 'The token names an unknown signing key.');
  });

  it('refuses a token that expired a moment ago, inside the clock tolerance (live connections close exactly at exp)', async () => {
    const token = signToken(validClaims({ exp: nowSeconds() - 1 }));
    assertInvalidToken(await negotiate(hub.tradeHubUrl, token), 'The token expired.');
  });
});
