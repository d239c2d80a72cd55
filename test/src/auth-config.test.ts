import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { createTradehubApp, demoConfig, hashSecret, loadConfig, parseConfig, type TradehubConfig } from '@tradehub/server';
import { api, basic, postForm } from './support/auth-helpers.js';
import { startTradehub, type RunningTradehub } from './support/tradehub-app.js';
import { messageOf } from './support/thrown.js';

const SECRET_VALUE = 'Sup3r-Secret-Value-4815162342';

/** A minimal valid raw configuration (before defaults). */
function rawConfig(): Record<string, unknown> {
  return {
    organizations: [{ id: 'org-a', platforms: [{ id: 'plat-a', managers: [{ login: '100', password: SECRET_VALUE }] }] }],
    clients: [{ id: 'client-a', secret: SECRET_VALUE, organization: 'org-a', scopes: ['trade.read'] }],
  };
}

function first<T>(items: readonly T[]): T {
  const item = items[0];
  assert.ok(item !== undefined, 'empty list');
  return item;
}

async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('expected a rejection');
}

function assertNoSecret(message: string, ...secrets: string[]): void {
  for (const secret of [SECRET_VALUE, ...secrets]) {
    assert.ok(!message.includes(secret) && !message.includes(secret.slice(0, 10)), `the message shows a secret: ${message}`);
  }
}

describe('auth: configuration', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tradehub-config-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('parseConfig', () => {
    it('fills in the documented defaults', () => {
      const config = parseConfig(rawConfig(), 'the test');
      assert.equal(config.dataDir, './data');
      assert.deepEqual(config.auth, {
        issuer: 'tradehub', audience: 'tradehub', accessTokenLifetimeSeconds: 3600, signing: { algorithm: 'HS256' },
        login: {
          failureWindowSeconds: 60, maxFailuresPerAddress: 50, maxFailuresPerAccountAddress: 10,
          accountFreeFailures: 3, accountDelayBaseSeconds: 1, accountDelayMaxSeconds: 30, knownSourceHours: 24,
          maxTrackedKeys: 20_000, hashConcurrency: 2, hashQueueLength: 64,
        },
      });
      assert.equal(config.organizations[0]?.platforms[0]?.kind, 'mt5');
      assert.equal(config.redis, undefined);
    });

    const invalid: Array<{ name: string; change: (raw: Record<string, unknown>) => void; message: RegExp }> = [
      {
        name: 'a client of an unknown organization',
        change: (raw) => { first(raw.clients as Array<Record<string, unknown>>).organization = 'nope'; },
        message: /^Invalid configuration in the test:\n {2}- client 'client-a' names unknown organization 'nope'$/,
      },
      {
        name: 'a platform defined twice',
        change: (raw) => { (raw.organizations as unknown[]).push({ id: 'org-b', platforms: [{ id: 'plat-a' }] }); },
        message: /- platform 'plat-a' is defined twice/,
      },
      {
        name: 'an organization defined twice',
        change: (raw) => { (raw.organizations as unknown[]).push({ id: 'org-a' }); },
        message: /- organization 'org-a' is defined twice/,
      },
      {
        name: 'a client defined twice',
        change: (raw) => { (raw.clients as unknown[]).push({ id: 'client-a', secret: SECRET_VALUE, organization: 'org-a', scopes: ['admin'] }); },
        message: /- client 'client-a' is defined twice/,
      },
      {
        name: 'a client naming a platform of another organization',
        change: (raw) => {
          (raw.organizations as unknown[]).push({ id: 'org-b', platforms: [{ id: 'plat-b' }] });
          first(raw.clients as Array<Record<string, unknown>>).platforms = ['plat-b'];
        },
        message: /- client 'client-a' names platform 'plat-b', which is not in organization 'org-a'/,
      },
      {
        name: 'a bad scope',
        change: (raw) => { first(raw.clients as Array<Record<string, unknown>>).scopes = ['trade.read', 'root']; },
        message: /- clients\.0\.scopes\.1: /,
      },
      {
        name: 'no scope at all',
        change: (raw) => { first(raw.clients as Array<Record<string, unknown>>).scopes = []; },
        message: /- clients\.0\.scopes: /,
      },
      {
        name: 'an empty secret',
        change: (raw) => { first(raw.clients as Array<Record<string, unknown>>).secret = ''; },
        message: /- clients\.0\.secret: /,
      },
      {
        name: 'a bad id',
        change: (raw) => { first(raw.organizations as Array<Record<string, unknown>>).id = 'has space'; },
        message: /- organizations\.0\.id: must be 1-64 letters, digits, "\.", "_" or "-"/,
      },
      {
        name: 'a non-numeric manager login',
        change: (raw) => {
          const organization = first(raw.organizations as Array<{ platforms: Array<{ managers: Array<Record<string, unknown>> }> }>);
          first(first(organization.platforms).managers).login = 'admin';
        },
        message: /- organizations\.0\.platforms\.0\.managers\.0\.login: must be a numeric MetaTrader login/,
      },
      {
        name: 'no organization',
        change: (raw) => { raw.organizations = []; raw.clients = []; },
        message: /- organizations: /,
      },
      {
        name: 'a token lifetime under five seconds',
        change: (raw) => { raw.auth = { accessTokenLifetimeSeconds: 4 }; },
        message: /- auth\.accessTokenLifetimeSeconds: /,
      },
      {
        name: 'a login delay cap below its first delay',
        change: (raw) => { raw.auth = { login: { accountDelayBaseSeconds: 10, accountDelayMaxSeconds: 5 } }; },
        message: /- auth\.login\.accountDelayMaxSeconds: must not be below accountDelayBaseSeconds$/,
      },
      {
        name: 'no concurrent login hashing at all',
        change: (raw) => { raw.auth = { login: { hashConcurrency: 0 } }; },
        message: /- auth\.login\.hashConcurrency: /,
      },
      {
        name: 'an unknown key (a typo)',
        change: (raw) => { raw.trade = { historyLenght: 100 }; },
        message: /- trade: Unrecognized key: "historyLenght"/,
      },
      {
        name: 'a retired setting (the login limits moved to auth.login)',
        change: (raw) => { raw.auth = { maxFailuresPerClient: 10 }; },
        message: /- auth: Unrecognized key: "maxFailuresPerClient"/,
      },
      {
        name: 'ES256 without keys',
        change: (raw) => { raw.auth = { signing: { algorithm: 'ES256', keys: [] } }; },
        message: /- auth\.signing\.keys: /,
      },
      {
        name: 'an unknown signing algorithm',
        change: (raw) => { raw.auth = { signing: { algorithm: 'HS512', secret: SECRET_VALUE } }; },
        message: /- auth\.signing\.algorithm: /,
      },
      {
        name: 'a Redis URL that is no URL (with a password in it)',
        change: (raw) => { raw.redis = { url: `redis://:${SECRET_VALUE}@bad host:6379` }; },
        message: /- redis\.url: /,
      },
    ];
    for (const { name, change, message } of invalid) {
      it(`refuses ${name}, naming the field and not the secret`, () => {
        const raw = rawConfig();
        change(raw);
        const text = messageOf(() => parseConfig(raw, 'the test'));
        assert.match(text, /^Invalid configuration in the test:\n/);
        assert.match(text, message);
        assertNoSecret(text);
      });
    }
  });

  describe('secrets at start-up (createTradehubApp)', () => {
    function config(change: (config: TradehubConfig) => void): TradehubConfig {
      const base = demoConfig(join(dir, 'unused-data'));
      change(base);
      return parseConfig(base, 'the test');
    }

    it('refuses an HS256 secret shorter than 32 bytes, without showing it', async () => {
      const short = 'short-secret-31-bytes-long-xxxx';
      const message = await rejectionOf(createTradehubApp(config((c) => { c.auth.signing = { algorithm: 'HS256', secret: short }; }), { env: {} }));
      assert.equal(message, 'auth.signing.secret must be at least 32 bytes for HS256.');
      assertNoSecret(message, short);
      // The same for a short secret from the environment.
      const fromEnv = await rejectionOf(createTradehubApp(config((c) => { c.auth.signing = { algorithm: 'HS256', secret: 'env:TH_SHORT' }; }), { env: { TH_SHORT: short } }));
      assert.equal(fromEnv, 'auth.signing.secret must be at least 32 bytes for HS256.');
    });

    it('names a missing environment variable or secret file, and the setting that needs it', async () => {
      const env = await rejectionOf(createTradehubApp(config((c) => { c.auth.signing = { algorithm: 'HS256', secret: 'env:TH_TEST_MISSING' }; }), { env: {} }));
      assert.equal(env, 'auth.signing.secret: environment variable TH_TEST_MISSING is not set.');
      const missingFile = join(dir, 'no-such-file');
      const file = await rejectionOf(createTradehubApp(config((c) => { first(c.clients).secret = `file:${missingFile}`; }), { env: {} }));
      assert.equal(file, `client 'demo-reader' secret: cannot read secret file ${missingFile}.`);
      const manager = await rejectionOf(createTradehubApp(config((c) => { first(first(first(c.organizations).platforms).managers).password = 'env:TH_NO_PASSWORD'; }), { env: {} }));
      assert.equal(manager, "manager 1000 of platform 'demo': environment variable TH_NO_PASSWORD is not set.");
    });

    it('refuses a private key of the wrong type or that is no PEM, without showing it', async () => {
      const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const wrongType = await rejectionOf(createTradehubApp(config((c) => { c.auth.signing = { algorithm: 'ES256', keys: [{ kid: 'k1', privateKey: rsaPem }] }; }), { env: {} }));
      assert.equal(wrongType, 'auth.signing.keys[k1] is a rsa key; ES256 needs ec.');
      const notPem = `-----BEGIN PRIVATE KEY-----\n${SECRET_VALUE}\n-----END PRIVATE KEY-----`;
      const broken = await rejectionOf(createTradehubApp(config((c) => { c.auth.signing = { algorithm: 'ES256', keys: [{ kid: 'k1', privateKey: notPem }] }; }), { env: {} }));
      assert.equal(broken, 'auth.signing.keys[k1].privateKey is not a PEM private key.');
      assertNoSecret(broken);
    });
  });

  describe('secret references in a running node', () => {
    let hub: RunningTradehub | undefined;
    after(async () => {
      await hub?.close();
    });

    it('resolves env:NAME and file:PATH secrets, and accepts pre-hashed client secrets', async () => {
      const jwtSecretFile = join(dir, 'jwt-secret');
      const passwordFile = join(dir, 'manager-password');
      const jwtSecret = 'file-jwt-secret-that-is-long-enough-0123456789';
      writeFileSync(jwtSecretFile, `${jwtSecret}\n`);
      writeFileSync(passwordFile, 'password-from-a-file\n');
      const hashed = await hashSecret('plain-secret-behind-a-hash');
      hub = await startTradehub({
        env: { TH_READER_SECRET: 'reader-secret-from-env' },
        config: (config) => {
          config.auth.signing = { algorithm: 'HS256', secret: `file:${jwtSecretFile}` };
          first(config.clients).secret = 'env:TH_READER_SECRET';
          (config.clients[1] ?? assert.fail('no second client')).secret = hashed;
          first(first(first(config.organizations).platforms).managers).password = `file:${passwordFile}`;
          return config;
        },
      });
      const tokenUrl = `${hub.baseUrl}/connect/token`;
      const fromEnv = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic('demo-reader', 'reader-secret-from-env') });
      assert.equal(fromEnv.status, 200, fromEnv.text);
      // The reference itself is no secret.
      const literal = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic('demo-reader', 'env:TH_READER_SECRET') });
      assert.equal(literal.status, 401);
      const viaHash = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic('demo-publisher', 'plain-secret-behind-a-hash') });
      assert.equal(viaHash.status, 200, viaHash.text);
      const hashAsSecret = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { Authorization: basic('demo-publisher', hashed) });
      assert.equal(hashAsSecret.status, 401);

      // Tokens are signed with the secret of the file (trailing newline trimmed).
      const token = (fromEnv.json as { access_token: string }).access_token;
      const payload = jwt.verify(token, jwtSecret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      assert.equal(payload.sub, 'demo-reader');

      const init = await api(hub.baseUrl, '/v1/init?server=demo&login=1000&password=password-from-a-file');
      assert.equal(init.status, 200, init.text);
    });
  });

  describe('loadConfig', () => {
    it('uses the demo configuration when no file is named', () => {
      const { config, demo } = loadConfig({});
      assert.equal(demo, true);
      assert.deepEqual(config.organizations.map((o) => o.id), ['demo']);
      assert.deepEqual(config.clients.map((c) => c.id), ['demo-reader', 'demo-publisher', 'demo-admin']);
      assert.equal(config.dataDir, './data');
    });

    it('applies environment overrides', () => {
      const { config } = loadConfig({
        TRADEHUB_DATA_DIR: '/var/lib/tradehub', NODE_ID: 'node-7', REDIS_URL: 'redis://cache:6379', REDIS_KEY_PREFIX: 'th', TRADEHUB_JWT_SECRET: 'x'.repeat(40),
      });
      assert.equal(config.dataDir, '/var/lib/tradehub');
      assert.equal(config.nodeId, 'node-7');
      assert.deepEqual(config.redis, { url: 'redis://cache:6379', keyPrefix: 'th', commandTimeoutMs: 2_000 });
      // A reference, not the value: the secret itself stays out of the configuration object.
      assert.deepEqual(config.auth.signing, { algorithm: 'HS256', secret: 'env:TRADEHUB_JWT_SECRET' });
    });

    it('refuses to run the demo configuration in production, pointing at the demo credentials', () => {
      const message = messageOf(() => loadConfig({ NODE_ENV: 'production' }));
      assert.match(message, /demo credentials/);
      assert.match(message, /TRADEHUB_CONFIG/);
    });

    it('loads a YAML file with env: and file: secrets, and runs a node from it', async () => {
      const passwordFile = join(dir, 'yaml-manager-password');
      writeFileSync(passwordFile, 'yaml-manager-password-value');
      const dataDir = join(dir, 'yaml-data');
      const path = join(dir, 'tradehub.yaml');
      writeFileSync(path, [
        '# tradehub configuration',
        `dataDir: ${dataDir}`,
        'auth:',
        '  accessTokenLifetimeSeconds: 600',
        'organizations:',
        '  - id: yaml-org',
        '    name: YAML Org',
        '    platforms:',
        '      - id: yaml-mt4',
        '        kind: mt4',
        '        managers:',
        `          - { login: "42", password: "file:${passwordFile}" }`,
        'clients:',
        '  - id: yaml-client',
        '    secret: env:YAML_CLIENT_SECRET',
        '    organization: yaml-org',
        '    scopes: [trade.read]',
        '',
      ].join('\n'));
      const env = { TRADEHUB_CONFIG: path, YAML_CLIENT_SECRET: 'yaml-client-secret-value' };
      const { config, demo } = loadConfig(env);
      assert.equal(demo, false);
      assert.equal(config.dataDir, dataDir);
      assert.equal(config.auth.accessTokenLifetimeSeconds, 600);
      assert.equal(config.auth.issuer, 'tradehub');
      assert.deepEqual(config.organizations[0]?.platforms[0]?.managers, [{ login: '42', password: `file:${passwordFile}` }]);
      assert.equal(config.clients[0]?.secret, 'env:YAML_CLIENT_SECRET');
      // Valid for production too: no demo secret in it.
      assert.equal(loadConfig({ ...env, NODE_ENV: 'production' }).demo, false);

      const app = await createTradehubApp(config, { env });
      try {
        const { port } = await app.host.listen(0, '127.0.0.1');
        const baseUrl = `http://127.0.0.1:${port}`;
        const token = await postForm(`${baseUrl}/connect/token`, { grant_type: 'client_credentials' }, { Authorization: basic('yaml-client', 'yaml-client-secret-value') });
        assert.equal(token.status, 200, token.text);
        assert.equal((token.json as { expires_in: number }).expires_in, 600);
        const platforms = await api(baseUrl, '/api/platforms', { token: (token.json as { access_token: string }).access_token });
        assert.deepEqual(platforms.json, [{ id: 'yaml-mt4', name: 'yaml-mt4', kind: 'mt4', organization: 'yaml-org' }]);
        const init = await api(baseUrl, '/v1/init?server=yaml-mt4&login=42&password=yaml-manager-password-value');
        assert.equal(init.status, 200, init.text);
      } finally {
        await app.close();
      }
    });

    it('loads a JSON file', () => {
      const path = join(dir, 'tradehub.json');
      writeFileSync(path, JSON.stringify(rawConfig()));
      const { config, demo } = loadConfig({ TRADEHUB_CONFIG: path });
      assert.equal(demo, false);
      assert.equal(config.clients[0]?.id, 'client-a');
    });

    it('refuses public demo secrets in production, also behind env: references', () => {
      const path = join(dir, 'demo-secrets.yaml');
      writeFileSync(path, 'organizations: [{ id: o }]\nclients:\n  - { id: c, secret: "env:C_SECRET", organization: o, scopes: [trade.read] }\n');
      assert.equal(loadConfig({ TRADEHUB_CONFIG: path, C_SECRET: 'demo-reader-secret' }).demo, false);
      const message = messageOf(() => loadConfig({ TRADEHUB_CONFIG: path, C_SECRET: 'demo-reader-secret', NODE_ENV: 'production' }));
      assert.equal(message, "NODE_ENV=production refuses the public demo secret of client 'c'.");
    });

    it('names a file it cannot read', () => {
      const path = join(dir, 'missing.yaml');
      assert.equal(messageOf(() => loadConfig({ TRADEHUB_CONFIG: path })), `Cannot read configuration file ${path}.`);
    });

    it('reports syntax errors without quoting the file (which may hold a secret)', async () => {
      const warnings: string[] = [];
      const onWarning = (warning: Error): void => {
        warnings.push(`${warning.name}: ${warning.message}`);
      };
      process.on('warning', onWarning);
      try {
        const files: Array<[name: string, text: string, expected: RegExp]> = [
          ['bare.json', `{"organizations":[{"id":"o"}],"clients":[{"id":"c","secret": ${SECRET_VALUE}}]}`, /is not valid JSON: syntax error/],
          ['unclosed.json', `{"clients":[{"id":"c","secret":"${SECRET_VALUE}"}}`, /is not valid JSON: syntax error at position \d+/],
          ['quote.yaml', `organizations: [{ id: o }]\nclients:\n  - id: c\n    secret: "${SECRET_VALUE}\n`, /is not valid YAML: Missing closing "quote at line \d+, column \d+$/],
          ['alias.yaml', `organizations: [{ id: o }]\nclients:\n  - id: c\n    secret: *${SECRET_VALUE}\n`, /is not valid YAML: Unresolved alias/],
          ['mapping.yaml', `organizations: [{ id: o }]\nclients:\n  - id: c\n    secret: ${SECRET_VALUE}: x: y\n`, /is not valid YAML: Nested mappings are not allowed in compact mappings at line 4, column \d+$/],
          // Read as a tag: a warning that would print the line, then an empty secret.
          ['tag.yaml', `organizations: [{ id: o }]\nclients:\n  - { id: c, organization: o, scopes: [trade.read], secret: !${SECRET_VALUE} }\n`, /- clients\.0\.secret: /],
        ];
        for (const [name, text, expected] of files) {
          const path = join(dir, name);
          writeFileSync(path, text);
          const message = messageOf(() => loadConfig({ TRADEHUB_CONFIG: path }));
          assertNoSecret(message);
          assert.match(message, expected, name);
        }
        await new Promise((resolve) => setImmediate(resolve));
        for (const warning of warnings) assertNoSecret(warning);
      } finally {
        process.off('warning', onWarning);
      }
    });
  });
});
