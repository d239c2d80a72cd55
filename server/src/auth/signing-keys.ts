import { createPrivateKey, createPublicKey, createSecretKey, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisCommands } from '../redis/redis-commands.js';
import type { TradehubConfig } from '../config/config-schema.js';
import { resolveSecret } from '../config/secret-ref.js';

export type SigningAlgorithm = 'HS256' | 'RS256' | 'ES256';

export interface VerificationKey {
  kid: string;
  /**
   * Always a KeyObject: given raw bytes, jsonwebtoken first tries (and fails) to read them as a
   * public key on every verification, which cost about half of an authenticated connect's CPU.
   */
  key: KeyObject;
}

/** The keys tokens are signed and verified with; the first key signs, every key verifies. */
export interface SigningKeys {
  algorithm: SigningAlgorithm;
  signing: VerificationKey;
  verification: ReadonlyMap<string, VerificationKey>;
  /** Public keys for `/.well-known/jwks.json`; empty for HS256, whose key is secret. */
  jwks: { keys: JsonWebKey[] };
}

const HS256_KID = 'hs256';
const MIN_HS256_BYTES = 32;

/**
 * @param sharedSecret the HS256 secret every node shares when none is configured (kept in
 *   Redis); without it, one is generated and kept in the data directory.
 */
export function loadSigningKeys(config: TradehubConfig, env: NodeJS.ProcessEnv, sharedSecret?: Buffer): SigningKeys {
  const signing = config.auth.signing;
  if (signing.algorithm === 'HS256') {
    const secret = signing.secret !== undefined
      ? Buffer.from(resolveSecret(signing.secret, env, 'auth.signing.secret'), 'utf8')
      : sharedSecret ?? persistentHs256Secret(config.dataDir);
    if (secret.length < MIN_HS256_BYTES) {
      throw new Error(`auth.signing.secret must be at least ${MIN_HS256_BYTES} bytes for HS256.`);
    }
    const key = { kid: HS256_KID, key: createSecretKey(secret) };
    return { algorithm: 'HS256', signing: key, verification: new Map([[HS256_KID, key]]), jwks: { keys: [] } };
  }
  const keys = signing.keys.map(({ kid, privateKey }) => {
    const pem = resolveSecret(privateKey, env, `auth.signing.keys[${kid}].privateKey`);
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch {
      throw new Error(`auth.signing.keys[${kid}].privateKey is not a PEM private key.`);
    }
    const expectedType = signing.algorithm === 'RS256' ? 'rsa' : 'ec';
    if (key.asymmetricKeyType !== expectedType) {
      throw new Error(`auth.signing.keys[${kid}] is a ${key.asymmetricKeyType} key; ${signing.algorithm} needs ${expectedType}.`);
    }
    return { kid, key, publicKey: createPublicKey(key) };
  });
  const first = keys[0];
  if (!first) throw new Error('auth.signing.keys must hold at least one key.');
  return {
    algorithm: signing.algorithm,
    signing: { kid: first.kid, key: first.key },
    verification: new Map(keys.map(({ kid, publicKey }) => [kid, { kid, key: publicKey }])),
    jwks: {
      keys: keys.map(({ kid, publicKey }) => ({ ...publicKey.export({ format: 'jwk' }), kid, alg: signing.algorithm, use: 'sig' })),
    },
  };
}

/** The embedded default generates its HS256 secret once and keeps it, so tokens survive a restart. */
function persistentHs256Secret(dataDir: string): Buffer {
  const path = join(dataDir, 'jwt-hs256.key');
  try {
    return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(48);
    writeFileSync(`${path}.tmp`, secret.toString('base64url'), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    return secret;
  }
}

/**
 * Nodes sharing a Redis share a generated HS256 secret through it, so that a token issued by
 * one node is accepted by all. The first node to start creates it.
 */
export async function redisSharedHs256Secret(redis: RedisCommands, keyPrefix: string): Promise<Buffer> {
  const key = `${keyPrefix}:auth:hs256-secret`;
  await redis.set(key, randomBytes(48).toString('base64url'), { NX: true });
  const stored = await redis.get(key);
  if (stored === null) throw new Error('The shared signing secret could not be read from Redis.');
  return Buffer.from(stored, 'base64url');
}
