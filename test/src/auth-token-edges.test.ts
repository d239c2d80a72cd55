import assert from 'node:assert/strict';
import {
  assertInvalidToken, negotiate, nowSeconds, signToken, validClaims, withTestSecret,
} from './support/auth-helpers.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { waitUntil } from './support/wait.js';

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

  // Verified tokens are remembered by their exact text (VerifiedTokenCache): what that must not change.
  it('refuses a token accepted before once it expires, at exp', async () => {
    const token = signToken(validClaims({ exp: nowSeconds() + 2 }));
    assert.equal((await negotiate(hub.tradeHubUrl, token)).status, 200);
    assert.equal((await negotiate(hub.tradeHubUrl, token)).status, 200, 'accepted again while remembered');
    await waitUntil(async () => (await negotiate(hub.tradeHubUrl, token)).status === 401, 'the remembered token to expire', 6000);
    assertInvalidToken(await negotiate(hub.tradeHubUrl, token), 'The token expired.');
  });

  it('refuses a token that differs from an accepted one in one character of its signature', async () => {
    const token = signToken(validClaims());
    assert.equal((await negotiate(hub.tradeHubUrl, token)).status, 200);
    // Not the last character: some of its bits are padding that decoding drops.
    const at = token.length - 5;
    const changed = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    assertInvalidToken(await negotiate(hub.tradeHubUrl, changed), 'The token signature is invalid.');
  });
});
