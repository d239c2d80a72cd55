import type { TradehubConfig } from './config-schema.js';
import { resolveSecret } from './secret-ref.js';

/** Fields that hold a secret or a reference to one, wherever they are: by name, so that a new one is covered. */
const SECRET_FIELD = /secret|password|privatekey|token/i;
const HIDDEN = '***';

/**
 * The configuration as it may be shown: secret values replaced by `***`; references to them
 * (`env:NAME`, `file:PATH`) kept, since they tell where the secret comes from and hold none;
 * a password in a Redis URL (`redis.url`, `redis.cluster`) hidden too.
 */
export function redactedConfig(config: TradehubConfig): unknown {
  return redact(config, undefined);
}

function redact(value: unknown, key: string | undefined): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && SECRET_FIELD.test(key)) return /^(env|file):/.test(value) ? value : HIDDEN;
    // `redis.url`, and entries of `redis.cluster` given as URLs (`host:port` has no password).
    return key === 'url' || (key === 'cluster' && value.includes('://')) ? withoutPassword(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redact(item, name)]));
  }
  return value;
}

function withoutPassword(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password === '') return raw;
    url.password = HIDDEN;
    return url.toString();
  } catch {
    return HIDDEN;
  }
}

/** One line for each `env:` or `file:` secret that cannot be resolved now (a variable not set, a file not readable). */
export function unresolvedSecrets(config: TradehubConfig, env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const visit = (value: unknown, path: string, key: string | undefined): void => {
    if (typeof value === 'string') {
      if (key === undefined || !SECRET_FIELD.test(key) || !/^(env|file):/.test(value)) return;
      try {
        resolveSecret(value, env, path);
      } catch (error) {
        problems.push((error as Error).message);
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, `${path}.${index}`, key));
    } else if (typeof value === 'object' && value !== null) {
      for (const [name, item] of Object.entries(value)) visit(item, path === '' ? name : `${path}.${name}`, name);
    }
  };
  visit(config, '', undefined);
  return problems;
}
