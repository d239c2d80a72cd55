import assert from 'node:assert/strict';
import { DEFAULT_TICK_CONFLATION_BYTES, parseConfig } from '@tradehub/server';
import { startTradehub } from './support/tradehub-app.js';
import { messageOf } from './support/thrown.js';

/** A minimal valid raw configuration with `limits`. */
function withLimits(limits: Record<string, unknown>): Record<string, unknown> {
  return {
    organizations: [{ id: 'org-a', platforms: [{ id: 'plat-a' }] }],
    limits,
  };
}

describe('configuration: limits.tickConflationBytes', () => {
  it('is optional, a byte count or false', () => {
    assert.equal(parseConfig(withLimits({}), 'the test').limits.tickConflationBytes, undefined);
    assert.equal(parseConfig(withLimits({ tickConflationBytes: 32_768 }), 'the test').limits.tickConflationBytes, 32_768);
    assert.equal(parseConfig(withLimits({ tickConflationBytes: false }), 'the test').limits.tickConflationBytes, false);
  });

  it('refuses anything else, and a threshold at or past the outbound budget, naming the field', () => {
    for (const bad of ['64k', true, -1, 1.5]) {
      assert.match(messageOf(() => parseConfig(withLimits({ tickConflationBytes: bad }), 'the test')), /- limits\.tickConflationBytes: /);
    }
    const past = messageOf(() => parseConfig(withLimits({ tickConflationBytes: 65_536, outboundBufferBytes: 65_536 }), 'the test'));
    assert.match(past, /- limits\.tickConflationBytes: must be below outboundBufferBytes/);
  });

  it('reaches the node: 64 KiB by default, the configured value, or off', async () => {
    for (const [setting, expected] of [[undefined, DEFAULT_TICK_CONFLATION_BYTES], [8192, 8192], [false, undefined]] as const) {
      const hub = await startTradehub({
        config: (config) => ({ ...config, limits: { ...config.limits, ...(setting !== undefined ? { tickConflationBytes: setting } : {}) } }),
      });
      try {
        assert.equal(hub.app.trade.conflation.thresholdBytes, expected);
      } finally {
        await hub.close();
      }
    }
    assert.equal(DEFAULT_TICK_CONFLATION_BYTES, 256 * 1024);
  });
});
