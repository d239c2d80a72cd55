import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLError } from 'yaml';
import type { z } from 'zod';
import { configSchema, type TradehubConfig } from './config-schema.js';
import { ConfigError } from './config-error.js';
import { addDemoEntities, demoConfig, DEMO_SECRETS } from './demo-config.js';
import { CONFIG_ENV_SETTINGS, envNameIn, envValue } from './env-settings.js';
import { resolveSecret } from './secret-ref.js';
import { unknownEnvProblems } from './unknown-env.js';

export interface LoadedConfig {
  config: TradehubConfig;
  /** True when the published demo entities are in it: the embedded default, or a file with `demo: true`. */
  demo: boolean;
  /** Settings the environment gave: dotted path to the variable that set it. */
  overrides: ReadonlyMap<string, string>;
}

/**
 * Reads the configuration: the file named by `TRADEHUB_CONFIG` (YAML or JSON), or the demo
 * default; then the environment overrides (CONFIG_ENV_SETTINGS: `TRADEHUB_CORS_ORIGINS`,
 * `REDIS_URL`, ...; `TRADEHUB_JWT_SECRET`). An unknown `TRADEHUB_*` variable is an error.
 * Errors (ConfigError) name the offending field or variable and never echo a value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const path = env.TRADEHUB_CONFIG;
  const raw = path ? readConfigFile(path) : demoConfig('./data');
  const source = path ?? 'the embedded demo configuration';
  const unknown = unknownEnvProblems(env, envReferencesIn(raw));
  if (unknown.length > 0) throw new ConfigError(unknown);
  const fromEnv = applyEnvOverrides(raw, env);
  if (isRecord(raw) && raw.demo === true) addDemoEntities(raw);
  const config = parseConfig(raw, source, fromEnv);
  if (env.NODE_ENV === 'production') refuseDemoSecrets(config, path === undefined, env);
  return { config, demo: config.demo, overrides: fromEnv };
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError([`Cannot read configuration file ${path}.`]);
  }
  const json = /\.json$/i.test(path);
  try {
    // Warnings would be printed with the offending source line, which may hold a secret.
    return json ? JSON.parse(text) : parseYaml(text, { logLevel: 'error' });
  } catch (error) {
    throw new ConfigError([`Configuration file ${path} is not valid ${json ? 'JSON' : 'YAML'}: ${json ? describeJsonError(error) : describeYamlError(error)}`]);
  }
}

/**
 * Validates a configuration object. `fromEnv` maps the dotted paths that environment variables
 * set to those variables, so that a problem with such a value names the variable.
 */
export function parseConfig(raw: unknown, source: string, fromEnv: ReadonlyMap<string, string> = new Map()): TradehubConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(result.error, fromEnv), source);
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

function describeIssues(error: z.ZodError, fromEnv: ReadonlyMap<string, string>): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.join('.');
    const variable = [...fromEnv].find(([setting]) => path === setting || path.startsWith(`${setting}.`))?.[1];
    return `${path || '(root)'}${variable ? ` (from ${variable})` : ''}: ${issue.message}`;
  });
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
  if (problems.length > 0) throw new ConfigError(problems, source);
}

/** Sets what the environment gives on the raw configuration; answers which variable set which path. */
function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv): Map<string, string> {
  const fromEnv = new Map<string, string>();
  if (!isRecord(raw)) return fromEnv;
  for (const setting of CONFIG_ENV_SETTINGS) {
    const variable = envNameIn(setting, env);
    if (variable === undefined) continue;
    setAt(raw, setting.path, envValue(setting, variable, env[variable] as string));
    fromEnv.set(setting.path.join('.'), variable);
  }
  if (env.TRADEHUB_JWT_SECRET) {
    // A reference, not the value: the secret itself stays out of the configuration object.
    setAt(raw, ['auth', 'signing'], { algorithm: 'HS256', secret: 'env:TRADEHUB_JWT_SECRET' });
    fromEnv.set('auth.signing', 'TRADEHUB_JWT_SECRET');
  }
  return fromEnv;
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [key, ...rest] = path;
  if (key === undefined) return;
  if (rest.length === 0) {
    target[key] = value;
    return;
  }
  const child = target[key];
  const next = isRecord(child) ? child : {};
  target[key] = next;
  setAt(next, rest, value);
}

/** Variables that `env:NAME` secrets of the file name, anywhere in it. */
function envReferencesIn(raw: unknown, found = new Set<string>()): Set<string> {
  if (typeof raw === 'string' && raw.startsWith('env:')) found.add(raw.slice(4));
  else if (Array.isArray(raw)) for (const item of raw) envReferencesIn(item, found);
  else if (isRecord(raw)) for (const value of Object.values(raw)) envReferencesIn(value, found);
  return found;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuseDemoSecrets(config: TradehubConfig, embedded: boolean, env: NodeJS.ProcessEnv): void {
  if (embedded) {
    throw new ConfigError(['NODE_ENV=production needs a configuration file (TRADEHUB_CONFIG): the embedded demo credentials are public.']);
  }
  if (config.demo) throw new ConfigError(['NODE_ENV=production refuses `demo: true`: the demo credentials are public.']);
  const secrets = [
    ...config.clients.map((client) => ({ where: `client '${client.id}'`, ref: client.secret })),
    ...config.organizations.flatMap((organization) => organization.platforms.flatMap((platform) =>
      platform.managers.map((manager) => ({ where: `manager ${manager.login} of platform '${platform.id}'`, ref: manager.password })))),
  ];
  for (const { where, ref } of secrets) {
    if (DEMO_SECRETS.has(resolveSecret(ref, env, where))) {
      throw new ConfigError([`NODE_ENV=production refuses the public demo secret of ${where}.`]);
    }
  }
}
