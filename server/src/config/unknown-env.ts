import { closestName } from '../text/closest-name.js';
import { CONFIG_ENV_SETTINGS } from './env-settings.js';
import { PROCESS_ENV_SETTINGS } from './process-env.js';

const PREFIX = 'TRADEHUB_';
const KNOWN: ReadonlySet<string> = new Set([
  ...CONFIG_ENV_SETTINGS.map((setting) => setting.name),
  ...PROCESS_ENV_SETTINGS.map((setting) => setting.name),
]);

/**
 * One line for each `TRADEHUB_*` variable that no setting reads (a typo would otherwise leave a
 * setting silently at its default). `referenced` are the variables the configuration file names
 * in `env:` secrets, which are known too.
 */
export function unknownEnvProblems(env: NodeJS.ProcessEnv, referenced: ReadonlySet<string>): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && !KNOWN.has(name) && !referenced.has(name))
    .sort()
    .map((name) => {
      // Compared without the prefix they all share, so that a short typo is not "near" every name.
      const suggestion = closestName(name.slice(PREFIX.length), [...KNOWN].map((known) => known.slice(PREFIX.length)));
      return `Unknown environment setting ${name}${suggestion ? `: did you mean ${PREFIX}${suggestion}?` : ' (`tradehub --help` lists the known ones).'}`;
    });
}
