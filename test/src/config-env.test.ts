import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_ENV_SETTINGS, ConfigError, loadConfig } from '@tradehub/server';
import { messageOf } from './support/thrown.js';

describe('configuration from environment variables (derived from the schema)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tradehub-config-env-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a TRADEHUB_ variable for every scalar and text-list setting, with the conventional aliases', () => {
    const names = new Map(CONFIG_ENV_SETTINGS.map((setting) => [setting.path.join('.'), [setting.name, ...setting.aliases]]));
    assert.deepEqual(names.get('cors.origins'), ['TRADEHUB_CORS_ORIGINS']);
    assert.deepEqual(names.get('redis.url'), ['TRADEHUB_REDIS_URL', 'REDIS_URL']);
    assert.deepEqual(names.get('nodeId'), ['TRADEHUB_NODE_ID', 'NODE_ID']);
    assert.deepEqual(names.get('auth.login.maxFailuresPerAddress'), ['TRADEHUB_AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS']);
    assert.deepEqual(names.get('limits.tickConflationBytes'), ['TRADEHUB_LIMITS_TICK_CONFLATION_BYTES']);
    assert.deepEqual(names.get('demo'), ['TRADEHUB_DEMO']);
    // Lists of entities stay in the file.
    assert.ok(![...names.keys()].some((path) => /^(organizations|clients)|signing/.test(path)));
  });

  it('reads lists, switches, bounded numbers and number-or-off over the file, naming the variable on a bad value', () => {
    const path = join(dir, 'base.yaml');
    writeFileSync(path, 'trade: { historyLength: 500 }\ninteropHub: true\norganizations: [{ id: acme }]\n');
    const { config, overrides } = loadConfig({
      TRADEHUB_CONFIG: path,
      TRADEHUB_CORS_ORIGINS: 'https://a.example, https://b.example:8443,',
      TRADEHUB_INTEROP_HUB: 'off',
      TRADEHUB_TRADE_HISTORY_LENGTH: '2000',
      TRADEHUB_LIMITS_TICK_CONFLATION_BYTES: 'off',
      REDIS_URL: 'redis://alias:6379',
      TRADEHUB_REDIS_URL: 'redis://wins:6379',
    });
    assert.deepEqual(config.cors?.origins, ['https://a.example', 'https://b.example:8443']);
    assert.equal(config.interopHub, false);
    assert.equal(config.trade.historyLength, 2000);
    assert.equal(config.limits.tickConflationBytes, false);
    assert.equal(config.redis?.url, 'redis://wins:6379');
    assert.equal(overrides.get('redis.url'), 'TRADEHUB_REDIS_URL');

    assert.equal(messageOf(() => loadConfig({ TRADEHUB_CORS_ORIGINS: 'https://a.example, https://b.example/path' })),
      'TRADEHUB_CORS_ORIGINS (item 2): must be an origin: scheme://host[:port], without a path.');
    assert.equal(messageOf(() => loadConfig({ TRADEHUB_HSTS_INCLUDE_SUB_DOMAINS: 'maybe' })), 'TRADEHUB_HSTS_INCLUDE_SUB_DOMAINS must be on or off, not \'maybe\'.');
    assert.equal(messageOf(() => loadConfig({ TRADEHUB_TRADE_HISTORY_LENGTH: '5' })), 'TRADEHUB_TRADE_HISTORY_LENGTH must be a whole number from 10 to 1000000, not \'5\'.');
    assert.equal(messageOf(() => loadConfig({ TRADEHUB_AUTH_ACCESS_TOKEN_LIFETIME_SECONDS: '1e9' })),
      'TRADEHUB_AUTH_ACCESS_TOKEN_LIFETIME_SECONDS must be a whole number of seconds from 5 to 86400, not \'1e9\'.');
  });

  it('refuses an unknown TRADEHUB_* variable with the nearest known name, but knows the env: secrets of the file', () => {
    const unknown = (() => {
      try {
        loadConfig({ TRADEHUB_REDIS_ULR: 'redis://x:6379', TRADEHUB_WHATEVER_THIS_IS: '1' });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    assert.ok(unknown instanceof ConfigError);
    assert.deepEqual(unknown.lines(), [
      'Unknown environment setting TRADEHUB_REDIS_ULR: did you mean TRADEHUB_REDIS_URL?',
      'Unknown environment setting TRADEHUB_WHATEVER_THIS_IS (`tradehub --help` lists the known ones).',
    ]);
    const path = join(dir, 'secrets.yaml');
    writeFileSync(path, 'organizations: [{ id: acme }]\nclients: [{ id: feed, secret: env:TRADEHUB_FEED_SECRET, organization: acme, scopes: [trade.publish] }]\n');
    assert.equal(loadConfig({ TRADEHUB_CONFIG: path, TRADEHUB_FEED_SECRET: 'x' }).config.clients[0]?.secret, 'env:TRADEHUB_FEED_SECRET');
  });

  it('demo: true (in the file or TRADEHUB_DEMO) keeps the demo organization and clients first, beside the file\'s', () => {
    const path = join(dir, 'demo.yaml');
    writeFileSync(path, 'demo: true\norganizations: [{ id: acme }]\nclients: [{ id: feed, secret: s, organization: acme, scopes: [trade.read] }]\n');
    const loaded = loadConfig({ TRADEHUB_CONFIG: path });
    assert.equal(loaded.demo, true);
    assert.deepEqual(loaded.config.organizations.map((organization) => organization.id), ['demo', 'acme']);
    assert.deepEqual(loaded.config.clients.map((client) => client.id), ['demo-reader', 'demo-publisher', 'demo-admin', 'feed']);
    const plain = join(dir, 'plain.yaml');
    writeFileSync(plain, 'organizations: [{ id: acme }]\n');
    assert.equal(loadConfig({ TRADEHUB_CONFIG: plain }).demo, false);
    assert.deepEqual(loadConfig({ TRADEHUB_CONFIG: plain, TRADEHUB_DEMO: 'on' }).config.organizations.map((organization) => organization.id), ['demo', 'acme']);
  });
});
