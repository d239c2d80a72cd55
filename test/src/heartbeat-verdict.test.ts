import assert from 'node:assert/strict';
import { heartbeatVerdict, type ConnectionTimes } from '@tradehub/server';

/**
 * The timing rules of a hub connection with a fake clock: each moment is a number, so the rules
 * are checked at and around each limit without waiting. The interop keep-alive tests and the
 * token-expiry tests show the same rules end to end with the official client.
 */
describe('heartbeat verdict (timing rules of a hub connection, fake clock)', () => {
  const limits = { keepAliveIntervalMs: 15_000, clientTimeoutMs: 30_000, handshakeTimeoutMs: 15_000 };
  const OPENED = 1_000_000;
  const ready = (changes: Partial<ConnectionTimes> = {}): ConnectionTimes => ({
    handshaking: false, openedAt: OPENED, lastReceivedAt: OPENED, lastSentAt: OPENED, tokenExpiresAt: undefined, ...changes,
  });

  it('refuses a handshake at its time-out, not a millisecond before', () => {
    const handshaking = ready({ handshaking: true });
    assert.equal(heartbeatVerdict(handshaking, OPENED + 14_999, limits), 'nothing');
    assert.equal(heartbeatVerdict(handshaking, OPENED + 15_000, limits), 'handshake-timed-out');
  });

  it('while handshaking, neither pings nor judges the client or its token', () => {
    const handshaking = ready({ handshaking: true, tokenExpiresAt: OPENED + 1 });
    assert.equal(heartbeatVerdict(handshaking, OPENED + 14_000, { ...limits, keepAliveIntervalMs: 1, clientTimeoutMs: 1 }), 'nothing');
  });

  it('applies no handshake time-out once the handshake is done', () => {
    assert.equal(heartbeatVerdict(ready({ lastReceivedAt: OPENED + 20_000, lastSentAt: OPENED + 20_000 }), OPENED + 20_000, limits), 'nothing');
  });

  it('pings when the server sent nothing for the keep-alive interval', () => {
    const quiet = ready({ lastReceivedAt: OPENED + 10_000 });
    assert.equal(heartbeatVerdict(quiet, OPENED + 14_999, limits), 'nothing');
    assert.equal(heartbeatVerdict(quiet, OPENED + 15_000, limits), 'ping');
    // Anything sent in between moves the next ping.
    assert.equal(heartbeatVerdict({ ...quiet, lastSentAt: OPENED + 5_000 }, OPENED + 15_000, limits), 'nothing');
  });

  it('closes a connection whose client sent nothing for the client time-out', () => {
    const silent = ready({ lastSentAt: OPENED + 29_000 });
    assert.equal(heartbeatVerdict(silent, OPENED + 29_999, limits), 'nothing');
    assert.equal(heartbeatVerdict(silent, OPENED + 30_000, limits), 'client-timed-out');
    // A client's ping is a message: it keeps the connection open.
    assert.equal(heartbeatVerdict({ ...silent, lastReceivedAt: OPENED + 20_000 }, OPENED + 30_000, limits), 'nothing');
  });

  it('closes a connection at the moment its token expires, before any other rule', () => {
    const expiring = ready({ tokenExpiresAt: OPENED + 60_000, lastReceivedAt: OPENED + 59_000, lastSentAt: OPENED + 59_000 });
    assert.equal(heartbeatVerdict(expiring, OPENED + 59_999, limits), 'nothing');
    assert.equal(heartbeatVerdict(expiring, OPENED + 60_000, limits), 'token-expired');
    // Also when the client went silent and a ping is due: expiry wins, so the client may reconnect.
    assert.equal(heartbeatVerdict({ ...expiring, lastReceivedAt: OPENED, lastSentAt: OPENED }, OPENED + 60_000, limits), 'token-expired');
  });

  it('judges the client time-out before sending a ping', () => {
    assert.equal(heartbeatVerdict(ready(), OPENED + 30_000, limits), 'client-timed-out');
  });

  it('neither pings nor times out a transport with an inherent keep-alive (long polling), but still ends an expired token', () => {
    const polling = ready({ inherentKeepAlive: true });
    assert.equal(heartbeatVerdict(polling, OPENED + 10 * limits.clientTimeoutMs, limits), 'nothing');
    assert.equal(heartbeatVerdict({ ...polling, tokenExpiresAt: OPENED + 1_000 }, OPENED + 1_000, limits), 'token-expired');
  });
});
