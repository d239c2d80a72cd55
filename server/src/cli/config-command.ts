import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { redactedConfig, unresolvedSecrets } from '../config/secret-fields.js';
import { UsageError } from './cli-errors.js';
import { HELP_OPTION, parsedOrUsageError } from './command-args.js';
import type { Command } from './command.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'config check FILE: validate a configuration file and print what was understood',
  help: [
    'Usage: tradehub config check FILE',
    '',
    'Reads FILE (YAML or JSON) with the environment overrides, as `tradehub serve` would, and',
    'prints the configuration it understood, defaults filled in, secrets shown as ***',
    '(references such as env:NAME are shown, and checked to resolve). Exits 0 when it is',
    'valid; otherwise prints one line per problem and exits 2.',
  ].join('\n'),
  async run(args, env) {
    const { values, positionals } = parsedOrUsageError(
      () => parseArgs({ args: [...args], options: HELP_OPTION, allowPositionals: true, strict: true }), Object.keys(HELP_OPTION));
    if (values.help) {
      console.log(configCommand.help);
      return 0;
    }
    const [action, file, ...extra] = positionals;
    if (action !== 'check') throw new UsageError(action === undefined ? 'say what to do: config check FILE' : `unknown action '${action.slice(0, 40)}': only check`);
    if (file === undefined) throw new UsageError('config check needs the FILE to check');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]?.slice(0, 40)}'`);
    const checkedEnv = { ...env, TRADEHUB_CONFIG: file };
    const loaded = loadConfig(checkedEnv);
    const unresolved = unresolvedSecrets(loaded.config, checkedEnv);
    if (unresolved.length > 0) throw new ConfigError(unresolved, file);
    console.log(`# ${file}: valid${loaded.overrides.size > 0 ? `; from the environment: ${[...loaded.overrides].map(([path, variable]) => `${path} (${variable})`).join(', ')}` : ''}`);
    process.stdout.write(toYaml(redactedConfig(loaded.config)));
    return 0;
  },
};
