import assert from 'node:assert/strict';
import { demoConfig, loadConfig, parseConfig } from '@tradehub/server';

/** `trustProxy` / `TRADEHUB_TRUST_PROXY`: which proxies' X-Forwarded-For is believed (see deploy-nginx.test.ts for its effect). */
describe('configuration: trusted proxies (trustProxy, TRADEHUB_TRUST_PROXY)', () => {
  it('reads addresses, subnets and named ranges from the environment, separated by commas', () => {
    const { config } = loadConfig({ TRADEHUB_TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8 , 192.0.2.1' });
    assert.deepEqual(config.trustProxy, ['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.1']);
    assert.equal(loadConfig({}).config.trustProxy, undefined, 'none unless asked for');
  });

  it('refuses what is not a proxy address with one line that names the setting', () => {
    for (const bad of [' , ', 'proxy.example', '10.0.0.0/33', '10.0.0.1/8/1', 'fd00::/129']) {
      assert.throws(() => loadConfig({ TRADEHUB_TRUST_PROXY: bad }), (error: Error) => {
        assert.match(error.message, /^TRADEHUB_TRUST_PROXY\b/);
        assert.equal(error.message.split('\n').length, 1);
        return true;
      }, `'${bad}' is refused`);
    }
    assert.equal(loadConfig({ TRADEHUB_TRUST_PROXY: '' }).config.trustProxy, undefined, 'an empty variable is not set');
    assert.throws(() => parseConfig({ ...demoConfig('./data'), trustProxy: ['everyone'] }, 'a file'), /trustProxy\.0: must be an IP address/);
  });
});
