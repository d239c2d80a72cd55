import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { loadConfig, parseConfig } from '@tradehub/server';
import { byteEdits, fuzzRuns, mutate } from '../support/fuzz.js';

/**
 * Configuration objects and files of arbitrary shape, with distinctive secret values in every
 * place a secret goes: the result is a valid configuration or an Error with a message that
 * names the problem and never contains one of the secrets.
 */

/** Secret values no error text could contain by chance, each distinct by its role. */
const secret = (role: string): fc.Arbitrary<string> => fc.stringMatching(/^[a-z]{4}$/).map((tag) => `SeCrEt-${role}-${tag}-7f3a9c`);

/** A plausible configuration whose secret fields hold generated secrets. */
const baseConfig = fc.record({ clientSecret: secret('client'), managerPassword: secret('manager'), signingSecret: secret('signing'), privateKey: secret('key'), rsa: fc.boolean() })
  .map(({ clientSecret, managerPassword, signingSecret, privateKey, rsa }) => ({
    secrets: [clientSecret, managerPassword, signingSecret, privateKey],
    config: {
      auth: rsa
        ? { signing: { algorithm: 'RS256', keys: [{ kid: 'k1', privateKey }] } }
        : { signing: { algorithm: 'HS256', secret: signingSecret }, accessTokenLifetimeSeconds: 600 },
      organizations: [{ id: 'acme', platforms: [{ id: 'acme-mt5', kind: 'mt5', managers: [{ login: '2000', password: managerPassword }] }] }],
      clients: [{ id: 'acme-reader', secret: clientSecret, organization: 'acme', scopes: ['trade.read'] }],
      cors: { origins: ['https://app.example.com'] },
      redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'x' },
    } as Record<string, unknown>,
  }));

/** Paths into the configuration where a value is replaced by one of any type. */
const PATHS: readonly string[][] = [
  ['auth'], ['auth', 'signing'], ['auth', 'signing', 'algorithm'], ['auth', 'accessTokenLifetimeSeconds'], ['auth', 'issuer'],
  ['organizations'], ['organizations', '0'], ['organizations', '0', 'id'], ['organizations', '0', 'platforms'],
  ['organizations', '0', 'platforms', '0', 'id'], ['organizations', '0', 'platforms', '0', 'managers', '0', 'login'],
  ['organizations', '0', 'platforms', '0', 'managers', '0'],
  ['clients'], ['clients', '0', 'id'], ['clients', '0', 'organization'], ['clients', '0', 'scopes'], ['clients', '0', 'platforms'],
  ['clients', '0'], ['cors', 'origins'], ['redis', 'url'], ['nodeId'], ['trade'], ['interopHub'],
];

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node: unknown = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === 'object' && node !== null) (node as Record<string, unknown>)[path[path.length - 1] as string] = value;
}

/** The base configuration with some values replaced; replacements may move a secret somewhere else. */
const bentConfig = fc.tuple(baseConfig, fc.array(fc.tuple(fc.constantFrom(...PATHS), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant('SECRET-MOVED'))), { maxLength: 4 }))
  .map(([{ secrets, config }, changes]) => {
    const copy = structuredClone(config);
    for (const [path, value] of changes) setPath(copy, path, value === 'SECRET-MOVED' ? secrets[0] : value);
    return { secrets, config: copy };
  });

function assertOnlyClearErrors(run: () => unknown, secrets: readonly string[]): void {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof Error, `threw a non-Error: ${String(error)}`);
    assert.ok(error.message.length > 0 && error.message.length < 4000, 'an empty or endless message');
    for (const value of secrets) assert.ok(!error.message.includes(value), `the message repeats a secret: ${error.message}`);
  }
}

describe('fuzz: configuration', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tradehub-fuzz-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parseConfig: a configuration, or an Error that names the problem without a secret', () => {
    fc.assert(fc.property(bentConfig, ({ secrets, config }) => {
      // Secrets an id or a name may legitimately hold after a move are not secrets any more.
      assertOnlyClearErrors(() => parseConfig(config, 'fuzz.yaml'), secrets.slice(1));
    }), fuzzRuns(0xc001, 1500));
  });

  it('parseConfig: arbitrary values are refused with an Error, never anything else', () => {
    fc.assert(fc.property(fc.anything({ maxDepth: 3 }), (value) => {
      assertOnlyClearErrors(() => parseConfig(value, 'fuzz.yaml'), []);
    }), fuzzRuns(0xc002, 1500));
  });

  it('loadConfig: YAML and JSON files, mutated or not, load or fail with a message that holds no secret', () => {
    let file = 0;
    fc.assert(fc.property(baseConfig, fc.boolean(), fc.option(byteEdits, { nil: undefined }), ({ secrets, config }, json, edits) => {
      const text = json ? JSON.stringify(config, null, 2) : toYaml(config);
      const path = join(dir, `config-${file++}.${json ? 'json' : 'yaml'}`);
      writeFileSync(path, edits ? mutate(Buffer.from(text), edits) : text);
      // A mutation may cut a secret in two, so that the rest of it is no secret any more: check whole secrets only.
      assertOnlyClearErrors(() => loadConfig({ TRADEHUB_CONFIG: path }), secrets);
    }), fuzzRuns(0xc003, 400));
  });
});
