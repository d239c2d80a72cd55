/**
 * Environment variables of the `tradehub` program that are not configuration-file settings
 * (those are derived from the schema in env-settings.ts). Any other `TRADEHUB_*` variable is a
 * mistake the program refuses at start, naming the nearest known one.
 */
export const PROCESS_ENV_SETTINGS = [
  { name: 'TRADEHUB_CONFIG', aliases: [], description: 'configuration file (YAML or JSON); the embedded demo when unset' },
  { name: 'TRADEHUB_PORT', aliases: ['PORT'], description: 'port to listen on (default 5000; 0 picks a free one)' },
  { name: 'TRADEHUB_HOST', aliases: ['HOST'], description: 'address to listen on (default 127.0.0.1)' },
  { name: 'TRADEHUB_LOG_LEVEL', aliases: ['LOG_LEVEL'], description: 'fatal, error, warn, info (default), debug, trace or silent' },
  { name: 'TRADEHUB_SIMULATOR', aliases: [], description: 'on or off: simulate the first platform (on by default with the demo)' },
  { name: 'TRADEHUB_JWT_SECRET', aliases: [], description: 'HS256 signing secret (at least 32 bytes), instead of auth.signing' },
  { name: 'TRADEHUB_ADMIN_TOKEN', aliases: [], description: 'access token with the admin scope, for `tradehub token`' },
  { name: 'TRADEHUB_HUB_URL', aliases: [], description: 'base URL of a running hub, for `tradehub simulate` and `tradehub token`' },
  { name: 'TRADEHUB_CLIENT_ID', aliases: [], description: 'client id, for `tradehub simulate` (client credentials)' },
  { name: 'TRADEHUB_CLIENT_SECRET', aliases: [], description: 'client secret, for `tradehub simulate` (client credentials)' },
  { name: 'TRADEHUB_TOKEN', aliases: [], description: 'access token with trade.publish, for `tradehub simulate`' },
] as const;

export type ProcessEnvName = (typeof PROCESS_ENV_SETTINGS)[number]['name'];

/** The value of a program setting: its `TRADEHUB_` name first, then its conventional alias. */
export function processEnv(env: NodeJS.ProcessEnv, name: ProcessEnvName): string | undefined {
  const setting = PROCESS_ENV_SETTINGS.find((candidate) => candidate.name === name);
  for (const variable of [name, ...(setting?.aliases ?? [])]) {
    const value = env[variable];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}
