import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLError } from 'yaml';
import type { z } from 'zod';
import { configSchema, trustedProxies, type TradehubConfig } from './config-schema.js';
import { demoConfig, DEMO_SECRETS } from './demo-config.js';
import { resolveSecret } from './secret-ref.js';

export interface LoadedConfig {
  config: TradehubConfig;
  /** True for the embedded default with its published demo credentials. */
  demo: boolean;
}

/**
 * Reads the configuration: the file named by `TRADEHUB_CONFIG` (YAML or JSON), or the demo
 * default; then environment overrides (`TRADEHUB_DATA_DIR`, `REDIS_URL`, `TRADEHUB_JWT_SECRET`,
 * `REDIS_COMMAND_TIMEOUT_MS`, `NODE_ID`, `TRADEHUB_INTEROP_HUB`, `TRADEHUB_TRUST_PROXY`). Errors name the offending field and never echo a value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const path = env.TRADEHUB_CONFIG;
  let raw: unknown;
  let demo = false;
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new Error(`Cannot read configuration file ${path}.`);
    }
    const json = /\.json$/i.test(path);
    try {
      // Warnings would be printed with the offending source line, which may hold a secret.
      raw = json ? JSON.parse(text) : parseYaml(text, { logLevel: 'error' });
    } catch (error) {
      throw new Error(`Configuration file ${path} is not valid ${json ? 'JSON' : 'YAML'}: ${json ? describeJsonError(error) : describeYamlError(error)}`);
    }
  } else {
    raw = demoConfig(env.TRADEHUB_DATA_DIR ?? './data');
    demo = true;
  }
  const config = parseConfig(raw, path ?? 'the embedded demo configuration');
  applyEnvOverrides(config, env);
  if (env.NODE_ENV === 'production') refuseDemoSecrets(config, demo, env);
  return { config, demo };
}

export function parseConfig(raw: unknown, source: string): TradehubConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new Error(`Invalid configuration in ${source}:\n${describeIssues(result.error)}`);
  checkReferences(result.data, source);
  return result.data;
}

/** Where the syntax error is, without the excerpt of the file that Node puts in the message (it may hold a secret). */
function describeJsonError(error: unknown): string {
  const position = /at position \d+(?: \(line \d+ column \d+\))?/.exec(error instanceof Error ? error.message : '');
  return position ? `syntax error ${position[0]}` : 'syntax error';
}

/** The problem and its place, without the text after a colon that some messages quote from the file (an alias name, say). */
function describeYamlError(error: unknown): string {
  if (!(error instanceof Error)) return 'it cannot be parsed';
  const problem = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '').split(': ')[0];
  const at = error instanceof YAMLError ? error.linePos?.[0] : undefined;
  return at ? `${problem} at line ${at.line}, column ${at.col}` : `${problem}`;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`).join('\n');
}

/** Cross-references zod cannot see: unique ids, clients naming existing organizations and platforms. */
function checkReferences(config: TradehubConfig, source: string): void {
  const problems: string[] = [];
  const platformsByOrganization = new Map<string, Set<string>>();
  const allPlatforms = new Set<string>();
  for (const organization of config.organizations) {
    if (platformsByOrganization.has(organization.id)) problems.push(`organization '${organization.id}' is defined twice`);
    const ids = new Set<string>();
    for (const platform of organization.platforms) {
      if (allPlatforms.has(platform.id)) problems.push(`platform '${platform.id}' is defined twice`);
      allPlatforms.add(platform.id);
      ids.add(platform.id);
    }
    platformsByOrganization.set(organization.id, ids);
  }
  const clientIds = new Set<string>();
  for (const client of config.clients) {
    if (clientIds.has(client.id)) problems.push(`client '${client.id}' is defined twice`);
    clientIds.add(client.id);
    const platforms = platformsByOrganization.get(client.organization);
    if (!platforms) {
      problems.push(`client '${client.id}' names unknown organization '${client.organization}'`);
      continue;
    }
    for (const platform of client.platforms ?? []) {
      if (!platforms.has(platform)) problems.push(`client '${client.id}' names platform '${platform}', which is not in organization '${client.organization}'`);
    }
  }
  if (problems.length > 0) throw new Error(`Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

function applyEnvOverrides(config: TradehubConfig, env: NodeJS.ProcessEnv): void {
  if (env.TRADEHUB_DATA_DIR) config.dataDir = env.TRADEHUB_DATA_DIR;
  if (env.NODE_ID) config.nodeId = env.NODE_ID;
  if (env.REDIS_URL) {
    config.redis = {
      url: env.REDIS_URL,
      keyPrefix: env.REDIS_KEY_PREFIX ?? config.redis?.keyPrefix ?? 'tradehub',
      commandTimeoutMs: config.redis?.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    };
  }
  if (env.REDIS_COMMAND_TIMEOUT_MS !== undefined && config.redis) {
    config.redis.commandTimeoutMs = parseMilliseconds(env.REDIS_COMMAND_TIMEOUT_MS, 'REDIS_COMMAND_TIMEOUT_MS', 50, 60_000);
  }
  if (env.TRADEHUB_JWT_SECRET) config.auth.signing = { algorithm: 'HS256', secret: 'env:TRADEHUB_JWT_SECRET' };
  if (env.TRADEHUB_INTEROP_HUB !== undefined) config.interopHub = parseSwitch(env.TRADEHUB_INTEROP_HUB, 'TRADEHUB_INTEROP_HUB');
  if (env.TRADEHUB_TRUST_PROXY !== undefined) config.trustProxy = parseTrustProxy(env.TRADEHUB_TRUST_PROXY);
}

const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2_000;

/** A whole number of milliseconds within bounds. */
function parseMilliseconds(raw: string, name: string, min: number, max: number): number {
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number of milliseconds from ${min} to ${max}, not '${raw.slice(0, 20)}'.`);
  }
  return value;
}

/** `TRADEHUB_TRUST_PROXY`: proxies separated by commas, such as `loopback, 10.0.0.0/8`. */
function parseTrustProxy(raw: string): string[] {
  const result = trustedProxies.safeParse(raw.split(',').map((part) => part.trim()).filter((part) => part !== ''));
  if (!result.success) throw new Error(`TRADEHUB_TRUST_PROXY must list proxy addresses, subnets or loopback, linklocal, uniquelocal, separated by commas: ${result.error.issues[0]?.message ?? 'none given'}.`);
  return result.data;
}

/** An on/off environment setting: `on`, `true`, `1` or `off`, `false`, `0`. */
function parseSwitch(raw: string, name: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['on', 'true', '1'].includes(value)) return true;
  if (['off', 'false', '0'].includes(value)) return false;
  throw new Error(`${name} must be on or off, not '${raw.slice(0, 20)}'.`);
}

function refuseDemoSecrets(config: TradehubConfig, demo: boolean, env: NodeJS.ProcessEnv): void {
  if (demo) {
    throw new Error('NODE_ENV=production needs a configuration file (TRADEHUB_CONFIG): the embedded demo credentials are public.');
  }
  const secrets = [
    ...config.clients.map((client) => ({ where: `client '${client.id}'`, ref: client.secret })),
    ...config.organizations.flatMap((organization) => organization.platforms.flatMap((platform) =>
      platform.managers.map((manager) => ({ where: `manager ${manager.login} of platform '${platform.id}'`, ref: manager.password })))),
  ];
  for (const { where, ref } of secrets) {
    if (DEMO_SECRETS.has(resolveSecret(ref, env, where))) {
      throw new Error(`NODE_ENV=production refuses the public demo secret of ${where}.`);
    }
  }
}
