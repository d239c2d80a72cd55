import { z } from 'zod';
import { configSchema } from './config-schema.js';

/** How an environment value becomes a configuration value. */
type EnvValueKind =
  | { kind: 'string' }
  | { kind: 'boolean' }
  | { kind: 'number'; integer: boolean; min: number; max: number }
  | { kind: 'number-or-false'; min: number; max: number }
  | { kind: 'list' };

/** One configuration setting that an environment variable can give. */
export type ConfigEnvSetting = EnvValueKind & {
  /** `TRADEHUB_` and the setting's path in upper snake case: `cors.origins` is `TRADEHUB_CORS_ORIGINS`. */
  name: string;
  /** Names operators already use for it (`REDIS_URL`); the `TRADEHUB_` name wins when both are set. */
  aliases: readonly string[];
  path: readonly string[];
  /** The setting's own schema, so that a bad value is told in one line that names the variable. */
  schema: z.core.$ZodType;
};

/** The conventional names beside the derived ones. */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  TRADEHUB_NODE_ID: ['NODE_ID'],
  TRADEHUB_REDIS_URL: ['REDIS_URL'],
  TRADEHUB_REDIS_CLUSTER: ['REDIS_CLUSTER_NODES'],
  TRADEHUB_REDIS_KEY_PREFIX: ['REDIS_KEY_PREFIX'],
  TRADEHUB_REDIS_COMMAND_TIMEOUT_MS: ['REDIS_COMMAND_TIMEOUT_MS'],
};

/**
 * Every scalar or list-of-text setting of the configuration file, derived from its schema so
 * that a new setting gets its variable without a list to keep up to date. Lists of entities
 * (organizations, clients, signing keys) stay in the file.
 */
export const CONFIG_ENV_SETTINGS: readonly ConfigEnvSetting[] = settingsOf(configSchema, []);

function settingsOf(schema: z.core.$ZodType, path: readonly string[]): ConfigEnvSetting[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, z.core.$ZodType>).flatMap(([key, child]) => settingsOf(child, [...path, key]));
  }
  const value = valueKindOf(inner);
  if (!value) return [];
  const name = `TRADEHUB_${path.map(upperSnake).join('_')}`;
  return [{ ...value, name, aliases: ALIASES[name] ?? [], path, schema: inner }];
}

function valueKindOf(schema: z.core.$ZodType): EnvValueKind | undefined {
  if (schema instanceof z.ZodString || schema instanceof z.ZodEnum) return { kind: 'string' };
  if (schema instanceof z.ZodBoolean) return { kind: 'boolean' };
  if (schema instanceof z.ZodNumber) return { kind: 'number', ...boundsOf(schema) };
  if (schema instanceof z.ZodArray) {
    const element = unwrap(schema.element as z.core.$ZodType);
    return element instanceof z.ZodString || element instanceof z.ZodEnum ? { kind: 'list' } : undefined;
  }
  if (schema instanceof z.ZodUnion) {
    const options = schema.options as readonly z.core.$ZodType[];
    const number = options.find((option): option is z.ZodNumber => option instanceof z.ZodNumber);
    const onlyFalse = options.every((option) => option === number || (option instanceof z.ZodLiteral && option.values.has(false)));
    if (number && onlyFalse) {
      const { min, max } = boundsOf(number);
      return { kind: 'number-or-false', min, max };
    }
  }
  return undefined;
}

function boundsOf(schema: z.ZodNumber): { integer: boolean; min: number; max: number } {
  return { integer: schema.isInt, min: schema.minValue ?? -Infinity, max: schema.maxValue ?? Infinity };
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodNullable) {
    return unwrap(schema.unwrap() as z.core.$ZodType);
  }
  return schema;
}

function upperSnake(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The variable of `setting` that is set in `env` (the `TRADEHUB_` name first), if any. */
export function envNameIn(setting: ConfigEnvSetting, env: NodeJS.ProcessEnv): string | undefined {
  return [setting.name, ...setting.aliases].find((name) => env[name] !== undefined && env[name] !== '');
}

/**
 * The configuration value of an environment value, checked against the setting's schema. Errors
 * are one line that names the variable; a number or switch quotes at most 20 characters of the
 * value, text never (a URL may carry a password).
 */
export function envValue(setting: ConfigEnvSetting, variable: string, raw: string): unknown {
  const value = convertedValue(setting, variable, raw);
  const result = z.safeParse(setting.schema, value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const item = setting.kind === 'list' && typeof issue?.path[0] === 'number' ? ` (item ${issue.path[0] + 1})` : '';
  throw new Error(`${variable}${item}: ${issue?.message ?? 'invalid value'}.`);
}

function convertedValue(setting: ConfigEnvSetting, variable: string, raw: string): unknown {
  const quoted = `'${raw.slice(0, 20)}'`;
  switch (setting.kind) {
    case 'string':
      return raw;
    case 'list':
      return raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
    case 'boolean': {
      const value = raw.trim().toLowerCase();
      if (['on', 'true', '1'].includes(value)) return true;
      if (['off', 'false', '0'].includes(value)) return false;
      throw new Error(`${variable} must be on or off, not ${quoted}.`);
    }
    case 'number-or-false':
      if (['off', 'false'].includes(raw.trim().toLowerCase())) return false;
      return numberOf({ integer: true, min: setting.min, max: setting.max }, variable, raw, quoted);
    case 'number':
      return numberOf(setting, variable, raw, quoted);
  }
}

function numberOf(setting: { integer: boolean; min: number; max: number }, variable: string, raw: string, quoted: string): number {
  const value = raw.trim() === '' ? NaN : Number(raw.trim());
  if (Number.isFinite(value) && (!setting.integer || Number.isInteger(value)) && value >= setting.min && value <= setting.max) return value;
  const what = setting.integer ? `a whole number${unitOf(variable)}` : `a number${unitOf(variable)}`;
  const bounded = (limit: number): boolean => Math.abs(limit) < Number.MAX_SAFE_INTEGER;
  const range = bounded(setting.min) && bounded(setting.max) ? ` from ${setting.min} to ${setting.max}`
    : bounded(setting.min) ? ` of at least ${setting.min}` : '';
  throw new Error(`${variable} must be ${what}${range}, not ${quoted}.`);
}

function unitOf(variable: string): string {
  if (variable.endsWith('_MS')) return ' of milliseconds';
  if (variable.endsWith('_SECONDS')) return ' of seconds';
  if (variable.endsWith('_HOURS')) return ' of hours';
  if (variable.endsWith('_BYTES')) return ' of bytes';
  return '';
}
