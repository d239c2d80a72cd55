import { CONFIG_ENV_SETTINGS } from '../config/env-settings.js';
import { PROCESS_ENV_SETTINGS } from '../config/process-env.js';

/** The environment variables `tradehub serve` reads, for its help: derived from the schema, never a second list. */
export function envHelp(): string {
  const names = (setting: { name: string; aliases: readonly string[] }): string => [setting.name, ...setting.aliases].join(' or ');
  const program = PROCESS_ENV_SETTINGS.map((setting) => `  ${names(setting).padEnd(34)} ${setting.description}`);
  const config = CONFIG_ENV_SETTINGS.map((setting) => `  ${names(setting).padEnd(50)} ${setting.path.join('.')}${hintOf(setting.kind)}`);
  return [
    'Environment (the TRADEHUB_ name wins over its alias; an unknown TRADEHUB_* variable is an error):',
    ...program,
    '',
    'Every setting of the configuration file except lists of organizations, clients and keys,',
    'over the file\'s value:',
    ...config,
  ].join('\n');
}

function hintOf(kind: (typeof CONFIG_ENV_SETTINGS)[number]['kind']): string {
  switch (kind) {
    case 'list': return ' (comma-separated)';
    case 'boolean': return ' (on or off)';
    case 'number-or-false': return ' (a number, or off)';
    default: return '';
  }
}
